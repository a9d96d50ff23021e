// The seam between one logical database and the embedded store: exactly what src/database needs from
// ImmuStore and its KeyIndex, nothing more. Written before the store existed, so the database layer and
// its tests could proceed; the real ImmuStore + KeyIndex and the test double in testing/ both satisfy it.
// Keys and values crossing this seam are store bytes (database-layer prefixes included).
import type { DualProof } from '../proof/dual-proof.js';
import type { TxHeader, TxHeaderVersion } from '../proof/tx-header.js';
import type {
  CommittedTx,
  HistoryOptions,
  IndexedValue,
  ScanOptions,
  StoreState,
  StoredTx,
  TxInput,
  ValueRef,
} from '../store/types.js';

/**
 * Reads of the key index. Every method reads what the index holds now; waiting is explicit
 * (waitForIndexedTx). Deleted and expired versions are returned like any other: filtering them is the
 * database layer's job. nonIndexable entries are never in the index.
 * A lookup that finds nothing may either return `undefined` or throw KEY_NOT_FOUND, and reads may be
 * synchronous or asynchronous: callers normalise all of these (see index-reads.ts).
 */
export interface KeyIndexApi {
  /** Latest version of a key. */
  get(key: Buffer): Awaitable<IndexedValue | undefined>;
  /** Version number `revision` (1-based) of a key. */
  getAtRevision(key: Buffer, revision: number): Awaitable<IndexedValue | undefined>;
  /** Latest version written in a tx <= txId. */
  getAsOfTx(key: Buffer, txId: number): Awaitable<IndexedValue | undefined>;
  /** Versions of one key, oldest first unless desc. */
  history(key: Buffer, opts: HistoryOptions): Awaitable<readonly IndexedValue[]>;
  /** Latest version of each key in range, in key order (or reverse with desc); tombstones included. */
  scan(opts: ScanOptions): Awaitable<readonly IndexedValue[]>;
  /** Distinct keys under prefix whose latest version is live (not deleted; not expired at nowSeconds). */
  count(prefix: Buffer, nowSeconds: number): Awaitable<number>;
  /** Id of the last tx whose entries are all in the index. */
  indexedTxId(): number;
  /** Resolves when the index holds txId (TIMEOUT after timeoutMs). */
  waitForIndexedTx(txId: number, timeoutMs?: number): Promise<void>;
  /** Indexing progress and, when indexing stopped on an error, why. */
  status?(): { readonly indexedTxId: number; readonly lagTxs: number; readonly stalled?: { readonly reason: string } };
}

export type Awaitable<T> = T | Promise<T>;

export interface StoreEntryLimits {
  readonly maxKeyLen: number;
  readonly maxValueLen: number;
  readonly maxTxEntries: number;
}

export interface DatabaseStore {
  /** Resolves when the tx is durable and committed; validates limits itself (typed ImmuErrors). */
  commit(tx: TxInput): Promise<CommittedTx>;
  committedState(): StoreState;
  precommittedState(): StoreState;
  waitForCommit(txId: number, timeoutMs?: number): Promise<void>;
  /** TX_NOT_FOUND / TX_BEYOND_STATE. */
  txHeader(id: number): Promise<TxHeader>;
  /** TX_NOT_FOUND / TX_BEYOND_STATE. */
  readTx(id: number): Promise<StoredTx>;
  /** The value bytes at ref; the store checks them against hVal (CORRUPTED_DATA). */
  readValue(ref: ValueRef, hVal: Buffer): Promise<Buffer>;
  dualProof(sourceId: number, targetId: number): Promise<DualProof>;
  readonly index: KeyIndexApi;
  /**
   * Header version of the txs this store writes (v0 cannot carry KV or tx metadata). Optional: when the
   * store does not expose it, its own commit validation refuses v0 metadata (same code, checked later).
   */
  readonly writeTxHeaderVersion?: TxHeaderVersion;
  /** Per-database limits on store keys/values (prefix included) and entries per tx. */
  readonly limits: StoreEntryLimits;
  close(): Promise<void>;
}
