// The narrow seam between the store and its key index (src/store/index/key-index.ts, written
// separately): what the store calls on the index, and how it opens it. Tests may inject another opener.
import type { Logger } from '../common/log.js';
import type { RecordTxForIndex } from './index/index-batch.js';
import type { IndexedValue, StoredTx } from './types.js';

/** What the index reads from the store. */
export interface IndexSource {
  committedTxId(): number;
  readTxForIndex(txId: number): Promise<StoredTx>;
  /** Fast path: a committed tx still held as its packed record (no per-entry objects), else undefined. */
  readRecordForIndex?(txId: number): RecordTxForIndex | undefined;
}

/** What the store needs from the index. */
export interface StoreIndex {
  indexedTxId(): number;
  notifyCommitted(txId: number): void;
  waitForIndexedTx(txId: number, timeoutMs?: number): Promise<void>;
  get(key: Buffer): IndexedValue | undefined;
  close(): Promise<void>;
}

export interface IndexOpenOptions {
  readonly dir: string;
  readonly logger: Logger;
  readonly source: IndexSource;
}

export type IndexOpener<I extends StoreIndex = StoreIndex> = (opts: IndexOpenOptions) => Promise<I>;
