// Shared helpers for the store's tests: temp dirs, a minimal in-memory index standing in for KeyIndex
// where a test is about the log files, and the 12 txs of the golden vectors. Test-only code.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromHex } from '../common/bytes.js';
import { silentLogger } from '../common/log.js';
import { decodeKvMetadata, decodeTxMetadata } from '../proof/metadata.js';
import { ImmuStore, type ImmuStoreOptions } from './immu-store.js';
import type { IndexOpenOptions, IndexSource, StoreIndex } from './store-index.js';
import type { IndexedValue, TxInput } from './types.js';

export const VECTORS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared');

export function readVector<T>(rel: string): T {
  return JSON.parse(fs.readFileSync(path.join(VECTORS_DIR, rel), 'utf8')) as T;
}

export function tempDir(prefix = 'immustore-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A tiny synchronous-enough index: latest version per key, fed from readTxForIndex. */
export class MemoryIndex implements StoreIndex {
  readonly #source: IndexSource;
  readonly #map = new Map<string, IndexedValue>();
  #indexed = 0;
  #target = 0;
  #running = false;
  readonly #waiters: Array<{ txId: number; resolve: () => void }> = [];

  constructor(source: IndexSource) {
    this.#source = source;
  }

  static async open(o: IndexOpenOptions): Promise<MemoryIndex> {
    return new MemoryIndex(o.source);
  }

  indexedTxId(): number {
    return this.#indexed;
  }

  notifyCommitted(txId: number): void {
    this.#target = Math.max(this.#target, txId);
    void this.#run();
  }

  async #run(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      await this.#loop();
    } catch {
      // a damaged log stops this test index; the store reports the damage to its own callers
    } finally {
      this.#running = false;
    }
  }

  async #loop(): Promise<void> {
    {
      while (this.#indexed < this.#target) {
        const tx = await this.#source.readTxForIndex(this.#indexed + 1);
        for (const e of tx.entries) {
          const k = e.key.toString('hex');
          const prev = this.#map.get(k);
          this.#map.set(k, { key: e.key, txId: tx.header.id, metadata: e.metadata, value: e.value, hVal: e.hVal, revision: (prev?.revision ?? 0) + 1 });
        }
        this.#indexed = tx.header.id;
        for (const w of this.#waiters.splice(0)) {
          if (w.txId <= this.#indexed) w.resolve();
          else this.#waiters.push(w);
        }
      }
    }
  }

  waitForIndexedTx(txId: number): Promise<void> {
    if (txId <= this.#indexed) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ txId, resolve }));
  }

  get(key: Buffer): IndexedValue | undefined {
    return this.#map.get(key.toString('hex'));
  }

  async close(): Promise<void> {}
}

export function openTestStore(opts: Partial<ImmuStoreOptions> & { dir: string }): Promise<ImmuStore<MemoryIndex>> {
  return ImmuStore.openWith({ logger: silentLogger(), hashWorkers: 0, ...opts }, MemoryIndex.open);
}

export interface VectorEntry {
  key: string;
  md: string;
  value: string;
  vLen: number;
  hValue: string;
}
export interface VectorTx {
  id: number;
  alh: string;
  txMetadata: string;
  exportTx: string;
  entries: VectorEntry[];
}
export interface StoreVectors {
  txs: VectorTx[];
}

export function vectorTxInputs(): { inputs: TxInput[]; txs: VectorTx[] } {
  const v = readVector<StoreVectors>('vectors/store_txs_and_dualproofs.json');
  const inputs = v.txs.map((t) => ({
    entries: t.entries.map((e) => ({ key: fromHex(e.key), value: fromHex(e.value), metadata: decodeKvMetadata(fromHex(e.md)) })),
    metadata: decodeTxMetadata(fromHex(t.txMetadata)),
  }));
  return { inputs, txs: v.txs };
}

export const VECTOR_TS = 1700000000;

/** Creates the vector store: MAX_VALUE_LEN 4096, FILE_SIZE 64 MiB, ts fixed; writes the 12 txs in order. */
export async function writeVectorStore(dir: string, extra: Partial<ImmuStoreOptions> = {}): Promise<ImmuStore<MemoryIndex>> {
  const store = await openTestStore({ dir, maxValueLen: 4096, fileSizeBytes: 64 * 1024 * 1024, nowSeconds: () => VECTOR_TS, ...extra });
  for (const input of vectorTxInputs().inputs) await store.commit(input);
  return store;
}
