// The public contract of the embedded store: what `src/database` (and later replication) may call.
// The store knows nothing of gRPC, users or replication policy; it offers watermarks and verified I/O.
// Implementations live beside this file; this file holds only types so the layers above can be written
// against it. Tx ids, timestamps and file offsets are JS numbers (safe integers, asserted).
import type { Logger } from '../common/log.js';
import type { KvMetadata, TxMetadata } from '../proof/metadata.js';
import type { TxHeader, TxHeaderVersion } from '../proof/tx-header.js';

export interface StoreOptions {
  readonly dir: string;
  readonly logger: Logger;
  /** Header version of txs this store writes (0 or 1); default 1. */
  readonly writeTxHeaderVersion?: TxHeaderVersion;
  /** Per-database limits; defaults from common/limits. Fixed at creation, persisted in chunk headers. */
  readonly maxKeyLen?: number;
  readonly maxValueLen?: number;
  readonly maxTxEntries?: number;
  readonly fileSizeBytes?: number;
  /**
   * When true (sync replication primary, or any replica), commits advance only up to the id given to
   * allowCommitUpTo(); precommitted txs beyond it wait. When false, durable precommit implies commit.
   */
  readonly externalCommitAllowance?: boolean;
  /** Clock for tx timestamps, unix seconds. Injected so tests and vectors can fix it. */
  readonly nowSeconds?: () => number;
  /** Directory of the key index; default `<dir>/index`. */
  readonly indexDir?: string;
}

/** One entry as the database layer hands it to the store: key and value already carry their prefixes. */
export interface EntryInput {
  readonly key: Buffer;
  readonly value: Buffer;
  readonly metadata?: KvMetadata;
}

export type Precondition =
  | { readonly kind: 'mustExist'; readonly key: Buffer }
  | { readonly kind: 'mustNotExist'; readonly key: Buffer }
  | { readonly kind: 'notModifiedAfterTx'; readonly key: Buffer; readonly txId: number };

export interface TxInput {
  readonly entries: readonly EntryInput[];
  readonly metadata?: TxMetadata;
  /** Checked atomically with id assignment, against the index caught up to the last precommitted tx. */
  readonly preconditions?: readonly Precondition[];
}

/** Where a value lives: value log id (1-based; 0 = not available) and offset in that log. */
export interface ValueRef {
  readonly vLogId: number;
  readonly offset: number;
  readonly length: number;
}

export interface StoredEntry {
  readonly key: Buffer;
  readonly metadata: KvMetadata | undefined;
  readonly value: ValueRef;
  readonly hVal: Buffer;
}

export interface StoredTx {
  readonly header: TxHeader;
  readonly alh: Buffer;
  readonly entries: readonly StoredEntry[];
}

export interface CommittedTx {
  readonly header: TxHeader;
  readonly alh: Buffer;
}

export interface StoreState {
  readonly txId: number;
  readonly alh: Buffer;
}

/** A key's version as kept by the index. */
export interface IndexedValue {
  readonly key: Buffer;
  readonly txId: number;
  readonly metadata: KvMetadata | undefined;
  readonly value: ValueRef;
  readonly hVal: Buffer;
  /** 1-based count of versions of this key up to and including this one. */
  readonly revision: number;
}

export interface ScanOptions {
  readonly prefix?: Buffer;
  /** Start after (exclusive) or at this key, in scan direction. */
  readonly seekKey?: Buffer;
  readonly inclusiveSeek?: boolean;
  readonly endKey?: Buffer;
  readonly inclusiveEnd?: boolean;
  readonly desc?: boolean;
  readonly limit?: number;
  /** Wait for the index to reach this tx first. */
  readonly sinceTx?: number;
}

export interface HistoryOptions {
  readonly offset?: number;
  readonly limit?: number;
  readonly desc?: boolean;
  readonly sinceTx?: number;
}

export interface VerifyProgress {
  readonly txId: number;
  readonly lastTxId: number;
}

export interface VerifyReport {
  readonly txsChecked: number;
  readonly lastTxId: number;
  readonly lastAlh: Buffer;
}

export { type TxHeader, type TxHeaderVersion };
