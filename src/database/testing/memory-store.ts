// TEST DOUBLE ONLY: a small in-memory DatabaseStore, written so src/database could be built and tested
// before the real ImmuStore + KeyIndex landed. It hashes exactly like the real store (same src/proof
// code) but has no files, no group commit and no crash safety. The index can be held back
// (holdIndexing) to test noWait and sinceTx. Never import this from production code.
import { ImmuError } from '../../common/errors.js';
import { sha256 } from '../../proof/hash.js';
import { buildDualProof, type DualProof } from '../../proof/dual-proof.js';
import { entryDigestFor } from '../../proof/entry-digest.js';
import { htreeRoot } from '../../proof/htree.js';
import { MemoryProofHistory } from '../../proof/memory-history.js';
import { encodeKvMetadata } from '../../proof/metadata.js';
import type { TxHeader, TxHeaderVersion } from '../../proof/tx-header.js';
import type {
  CommittedTx,
  HistoryOptions,
  IndexedValue,
  Precondition,
  ScanOptions,
  StoreState,
  StoredEntry,
  StoredTx,
  TxInput,
  ValueRef,
} from '../../store/types.js';
import type { DatabaseStore, KeyIndexApi, StoreEntryLimits } from '../store-api.js';

export interface MemoryStoreOptions {
  readonly writeTxHeaderVersion?: TxHeaderVersion;
  readonly nowSeconds?: () => number;
  readonly maxKeyLen?: number;
  readonly maxValueLen?: number;
  readonly maxTxEntries?: number;
}

const isLive = (v: IndexedValue | undefined, now: number): v is IndexedValue =>
  v !== undefined && v.metadata?.deleted !== true && !(v.metadata?.expiresAt !== undefined && v.metadata.expiresAt <= now);

export class MemoryStore implements DatabaseStore {
  readonly writeTxHeaderVersion: TxHeaderVersion;
  readonly limits: StoreEntryLimits;
  readonly index: MemoryIndex;
  readonly #now: () => number;
  readonly #history = new MemoryProofHistory();
  readonly #txs: StoredTx[] = [];
  readonly #values: Buffer[] = [];
  #closed = false;

  constructor(opts: MemoryStoreOptions = {}) {
    this.writeTxHeaderVersion = opts.writeTxHeaderVersion ?? 1;
    this.limits = {
      maxKeyLen: opts.maxKeyLen ?? 1024,
      maxValueLen: opts.maxValueLen ?? 32 * 1024 * 1024,
      maxTxEntries: opts.maxTxEntries ?? 1024,
    };
    this.#now = opts.nowSeconds ?? ((): number => Math.floor(Date.now() / 1000));
    this.index = new MemoryIndex();
  }

  async commit(tx: TxInput): Promise<CommittedTx> {
    if (this.#closed) throw new ImmuError('STORE_CLOSED', 'store is closed');
    this.#validate(tx);
    for (const p of tx.preconditions ?? []) this.#checkPrecondition(p);
    const id = this.#txs.length + 1;
    const digest = entryDigestFor(this.writeTxHeaderVersion);
    const entries: StoredEntry[] = tx.entries.map((e) => {
      this.#values.push(Buffer.from(e.value));
      const value: ValueRef = { vLogId: 1, offset: this.#values.length - 1, length: e.value.length };
      return { key: Buffer.from(e.key), metadata: e.metadata, value, hVal: sha256(e.value) };
    });
    const header: TxHeader = {
      id,
      ts: this.#now(),
      blTxId: id - 1,
      blRoot: id === 1 ? Buffer.alloc(32) : this.#history.aht.root(id - 1),
      prevAlh: this.#history.lastAlh,
      version: this.writeTxHeaderVersion,
      metadata: tx.metadata,
      nEntries: entries.length,
      eh: htreeRoot(entries.map((e) => digest(e.key, encodeKvMetadata(e.metadata), e.hVal))),
    };
    const alh = this.#history.append(header);
    const stored: StoredTx = { header, alh, entries };
    this.#txs.push(stored);
    this.index.add(stored);
    return { header, alh };
  }

  #validate(tx: TxInput): void {
    if (tx.entries.length === 0) throw new ImmuError('NO_ENTRIES', 'no entries');
    if (tx.entries.length > this.limits.maxTxEntries) throw new ImmuError('TOO_MANY_ENTRIES', 'too many entries');
    const seen = new Set<string>();
    for (const e of tx.entries) {
      if (e.key.length === 0) throw new ImmuError('KEY_EMPTY', 'empty key');
      if (e.key.length > this.limits.maxKeyLen) throw new ImmuError('KEY_TOO_LARGE', 'key too large');
      if (e.value.length > this.limits.maxValueLen) throw new ImmuError('VALUE_TOO_LARGE', 'value too large');
      const k = e.key.toString('hex');
      if (seen.has(k)) throw new ImmuError('DUPLICATED_KEY', 'duplicated key');
      seen.add(k);
      if (this.writeTxHeaderVersion === 0 && encodeKvMetadata(e.metadata).length > 0) {
        throw new ImmuError('METADATA_INVALID', 'v0 entries cannot carry metadata');
      }
    }
  }

  #checkPrecondition(p: Precondition): void {
    const latest = this.index.latestCommitted(p.key);
    const ok =
      p.kind === 'mustExist'
        ? isLive(latest, this.#now())
        : p.kind === 'mustNotExist'
          ? !isLive(latest, this.#now())
          : latest === undefined || latest.txId <= p.txId;
    if (!ok) throw new ImmuError('PRECONDITION_FAILED', `precondition ${p.kind} failed`);
  }

  committedState(): StoreState {
    return { txId: this.#txs.length, alh: this.#history.lastAlh };
  }

  precommittedState(): StoreState {
    return this.committedState();
  }

  async waitForCommit(txId: number): Promise<void> {
    if (txId > this.#txs.length) throw new ImmuError('TIMEOUT', `tx ${txId} not committed`);
  }

  async txHeader(id: number): Promise<TxHeader> {
    return (await this.readTx(id)).header;
  }

  async readTx(id: number): Promise<StoredTx> {
    if (!Number.isSafeInteger(id) || id < 1) throw new ImmuError('TX_NOT_FOUND', `tx ${id} not found`);
    const tx = this.#txs[id - 1];
    if (tx === undefined) throw new ImmuError('TX_BEYOND_STATE', `tx ${id} beyond state`);
    return tx;
  }

  async readValue(ref: ValueRef, hVal: Buffer): Promise<Buffer> {
    const v = this.#values[ref.offset];
    if (v === undefined || !sha256(v).equals(hVal)) throw new ImmuError('CORRUPTED_DATA', 'value does not match its hash');
    return v;
  }

  /** Test hook: overwrite a stored value so reads detect corruption. */
  corruptValue(offset: number): void {
    const v = this.#values[offset];
    if (v !== undefined && v.length > 0) v[v.length - 1] = (v[v.length - 1] as number) ^ 0xff;
  }

  async dualProof(sourceId: number, targetId: number): Promise<DualProof> {
    return buildDualProof(this.#history, await this.txHeader(sourceId), await this.txHeader(targetId));
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}

export class MemoryIndex implements KeyIndexApi {
  /** Every indexable version, by hex key, oldest first; index reads see only txId <= #indexedTxId. */
  readonly #versions = new Map<string, IndexedValue[]>();
  #committedTxId = 0;
  #indexedTxId = 0;
  #held = false;
  #waiters: { txId: number; resolve: () => void }[] = [];

  add(tx: StoredTx): void {
    for (const e of tx.entries) {
      if (e.metadata?.nonIndexable === true) continue;
      const k = e.key.toString('hex');
      const list = this.#versions.get(k) ?? [];
      list.push({ key: e.key, txId: tx.header.id, metadata: e.metadata, value: e.value, hVal: e.hVal, revision: list.length + 1 });
      this.#versions.set(k, list);
    }
    this.#committedTxId = tx.header.id;
    if (!this.#held) this.#advance();
  }

  /** Test hook: stop the index at its current tx until releaseIndexing(). */
  holdIndexing(): void {
    this.#held = true;
  }

  releaseIndexing(): void {
    this.#held = false;
    this.#advance();
  }

  #advance(): void {
    this.#indexedTxId = this.#committedTxId;
    const ready = this.#waiters.filter((w) => w.txId <= this.#indexedTxId);
    this.#waiters = this.#waiters.filter((w) => w.txId > this.#indexedTxId);
    for (const w of ready) w.resolve();
  }

  latestCommitted(key: Buffer): IndexedValue | undefined {
    return this.#versions.get(key.toString('hex'))?.at(-1);
  }

  #visible(key: Buffer): IndexedValue[] {
    return (this.#versions.get(key.toString('hex')) ?? []).filter((v) => v.txId <= this.#indexedTxId);
  }

  async get(key: Buffer): Promise<IndexedValue | undefined> {
    return this.#visible(key).at(-1);
  }

  async getAtRevision(key: Buffer, revision: number): Promise<IndexedValue | undefined> {
    return this.#visible(key)[revision - 1];
  }

  async getAsOfTx(key: Buffer, txId: number): Promise<IndexedValue | undefined> {
    return this.#visible(key).filter((v) => v.txId <= txId).at(-1);
  }

  async history(key: Buffer, opts: HistoryOptions): Promise<readonly IndexedValue[]> {
    const all = this.#visible(key);
    const ordered = opts.desc === true ? [...all].reverse() : all;
    const offset = opts.offset ?? 0;
    return ordered.slice(offset, opts.limit === undefined || opts.limit === 0 ? undefined : offset + opts.limit);
  }

  async scan(opts: ScanOptions): Promise<readonly IndexedValue[]> {
    const prefix = opts.prefix ?? Buffer.alloc(0);
    const asc = [...this.#versions.values()]
      .map((list) => list.filter((v) => v.txId <= this.#indexedTxId).at(-1))
      .filter((v): v is IndexedValue => v !== undefined && v.key.subarray(0, prefix.length).equals(prefix))
      .sort((a, b) => Buffer.compare(a.key, b.key));
    const desc = opts.desc === true;
    const out: IndexedValue[] = [];
    for (const v of desc ? asc.reverse() : asc) {
      if (opts.seekKey !== undefined && opts.seekKey.length > 0) {
        const c = Buffer.compare(v.key, opts.seekKey) * (desc ? -1 : 1);
        if (c < 0 || (c === 0 && opts.inclusiveSeek !== true)) continue;
      }
      if (opts.endKey !== undefined && opts.endKey.length > 0) {
        const c = Buffer.compare(v.key, opts.endKey) * (desc ? -1 : 1);
        if (c > 0 || (c === 0 && opts.inclusiveEnd !== true)) break;
      }
      out.push(v);
      if (opts.limit !== undefined && opts.limit > 0 && out.length >= opts.limit) break;
    }
    return out;
  }

  async count(prefix: Buffer, nowSeconds: number): Promise<number> {
    return (await this.scan({ prefix })).filter((v) => isLive(v, nowSeconds)).length;
  }

  indexedTxId(): number {
    return this.#indexedTxId;
  }

  waitForIndexedTx(txId: number, timeoutMs = 30_000): Promise<void> {
    if (txId <= this.#indexedTxId) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new ImmuError('TIMEOUT', `index did not reach tx ${txId}`)), timeoutMs);
      this.#waiters.push({ txId, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }
}
