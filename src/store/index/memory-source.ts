// An IndexSource of pure data: committed txs held in an array, for the index's tests and its bench.
// Hashes are not computed (the index never checks Eh or digests; it compares Alh only as an identity),
// so tx Alh values here are deterministic stand-ins. Not for production use.
import { createHash } from 'node:crypto';
import { ImmuError } from '../../common/errors.js';
import type { KvMetadata } from '../../proof/metadata.js';
import type { StoredEntry, StoredTx } from '../types.js';
import type { IndexSource } from './key-index.js';

const ZERO32 = Buffer.alloc(32);

export interface MemoryEntry {
  readonly key: Buffer;
  readonly value?: Buffer;
  readonly metadata?: KvMetadata;
}

export class MemorySource implements IndexSource {
  readonly txs: StoredTx[] = [];
  /** Tx ids whose reads fail (CORRUPTED_DATA), to exercise stalls. */
  readonly failingTxIds = new Set<number>();
  /** Salt mixed into Alh stand-ins: two sources with different salts are "different histories". */
  readonly #salt: string;
  #valueOffset = 0;

  constructor(salt = '') {
    this.#salt = salt;
  }

  committedTxId(): number {
    return this.txs.length;
  }

  readTxForIndex(txId: number): Promise<StoredTx> {
    if (this.failingTxIds.has(txId)) {
      return Promise.reject(new ImmuError('CORRUPTED_DATA', `tx ${txId} failed its checksum (test)`, { txId }));
    }
    const tx = this.txs[txId - 1];
    if (tx === undefined) return Promise.reject(new ImmuError('TX_NOT_FOUND', `tx ${txId} does not exist`));
    return Promise.resolve(tx);
  }

  /** Appends a committed tx and returns its id; each value gets a fresh offset in value log 1. */
  append(entries: readonly MemoryEntry[]): number {
    const id = this.txs.length + 1;
    const stored: StoredEntry[] = entries.map((e) => {
      const value = e.value ?? Buffer.alloc(0);
      const ref = { vLogId: 1, offset: this.#valueOffset, length: value.length };
      this.#valueOffset += value.length;
      return { key: e.key, metadata: e.metadata, value: ref, hVal: createHash('sha256').update(value).digest() };
    });
    this.txs.push(memoryTx(id, stored, this.#salt));
    return id;
  }

  /** Appends a tx whose entries are already built (the bench reuses one hVal). */
  appendStored(entries: readonly StoredEntry[]): number {
    const id = this.txs.length + 1;
    this.txs.push(memoryTx(id, entries, this.#salt));
    return id;
  }
}

function memoryTx(id: number, entries: readonly StoredEntry[], salt: string): StoredTx {
  return {
    header: {
      id,
      ts: 1_700_000_000 + id,
      blTxId: id - 1,
      blRoot: ZERO32,
      prevAlh: ZERO32,
      version: 1,
      metadata: undefined,
      nEntries: entries.length,
      eh: ZERO32,
    },
    alh: createHash('sha256').update(`${salt}:${id}`).digest(),
    entries,
  };
}
