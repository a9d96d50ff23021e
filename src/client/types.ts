// The client's public data types: plain TypeScript (Buffers for bytes, numbers for ids), never raw proto
// messages. Transaction headers and metadata reuse src/proof's types, since those are what proofs hash.
// Types only; conversions live in decode.ts and encode.ts.
import type { KvMetadata, TxHeader } from '../proof/index.js';

export type { KvMetadata, TxHeader, TxMetadata } from '../proof/index.js';

/** A reference that was resolved to reach an entry. Keys are user keys (no keyspace prefix). */
export interface Reference {
  readonly tx: number;
  readonly key: Buffer;
  readonly atTx: number;
  readonly metadata: KvMetadata | undefined;
  readonly revision: number;
}

/** A key's value at some transaction. Keys and values are user bytes (no prefixes). */
export interface Entry {
  readonly tx: number;
  readonly key: Buffer;
  readonly value: Buffer;
  readonly referencedBy: Reference | undefined;
  readonly metadata: KvMetadata | undefined;
  readonly expired: boolean;
  readonly revision: number;
}

export interface ZEntry {
  readonly set: Buffer;
  readonly key: Buffer;
  readonly entry: Entry | undefined;
  readonly score: number;
  readonly atTx: number;
}

/** A raw transaction entry: store key (with its keyspace prefix), value hash and length. */
export interface TxEntry {
  readonly key: Buffer;
  readonly hValue: Buffer;
  readonly vLen: number;
  readonly metadata: KvMetadata | undefined;
  /** Present when the server was asked for raw values and the value is non-empty. */
  readonly value: Buffer | undefined;
}

export interface Tx {
  readonly header: TxHeader;
  readonly entries: readonly TxEntry[];
  readonly kvEntries: readonly Entry[];
  readonly zEntries: readonly ZEntry[];
}

export interface StateSignature {
  readonly publicKey: Buffer;
  readonly signature: Buffer;
}

/** CurrentState as the server reported it. */
export interface ImmuState {
  readonly db: string;
  readonly txId: number;
  /** Alh of txId. */
  readonly txHash: Buffer;
  readonly signature: StateSignature | undefined;
  readonly precommittedTxId: number;
  readonly precommittedTxHash: Buffer;
}

/** The last state this client proved, per (server UUID, database). */
export interface TrustedState {
  readonly serverUuid: string;
  readonly db: string;
  readonly txId: number;
  readonly txHash: Buffer;
  readonly signature: StateSignature | undefined;
}

export interface KeyValue {
  readonly key: Buffer;
  readonly value: Buffer;
  readonly metadata?: KvMetadata;
}

export type Precondition =
  | { readonly kind: 'keyMustExist'; readonly key: Buffer }
  | { readonly kind: 'keyMustNotExist'; readonly key: Buffer }
  | { readonly kind: 'keyNotModifiedAfterTx'; readonly key: Buffer; readonly txId: number };

export interface WriteOptions {
  readonly noWait?: boolean;
  readonly preconditions?: readonly Precondition[];
}

/** One operation of execAll. */
export type Op =
  | { readonly kind: 'kv'; readonly key: Buffer; readonly value: Buffer; readonly metadata?: KvMetadata }
  | { readonly kind: 'zAdd'; readonly set: Buffer; readonly score: number; readonly key: Buffer; readonly atTx?: number; readonly boundRef?: boolean }
  | { readonly kind: 'ref'; readonly key: Buffer; readonly referencedKey: Buffer; readonly atTx?: number; readonly boundRef?: boolean };

/** Which version of a key get/verifiedGet reads; at most one of atTx and atRevision. */
export interface GetOptions {
  readonly atTx?: number;
  /** Wait until the index has caught up with this tx. */
  readonly sinceTx?: number;
  /** 1-based from the oldest; negative counts back from the newest. */
  readonly atRevision?: number;
  readonly noWait?: boolean;
}

export interface ScanOptions {
  readonly prefix?: Buffer;
  readonly seekKey?: Buffer;
  readonly endKey?: Buffer;
  readonly inclusiveSeek?: boolean;
  readonly inclusiveEnd?: boolean;
  readonly desc?: boolean;
  readonly limit?: number;
  readonly sinceTx?: number;
  readonly noWait?: boolean;
}

export interface ZScanOptions {
  readonly seekKey?: Buffer;
  readonly seekScore?: number;
  readonly seekAtTx?: number;
  readonly inclusiveSeek?: boolean;
  readonly limit?: number;
  readonly desc?: boolean;
  readonly minScore?: number;
  readonly maxScore?: number;
  readonly sinceTx?: number;
  readonly noWait?: boolean;
}

export interface HistoryOptions {
  readonly offset?: number;
  readonly limit?: number;
  readonly desc?: boolean;
  readonly sinceTx?: number;
}

/** What a tx read returns per entry kind (immudb's EntriesSpec); raw entries only when absent. */
export type EntryAction = 'exclude' | 'onlyDigest' | 'rawValue' | 'resolve';

export interface EntriesSpec {
  readonly kvEntries?: EntryAction;
  readonly zEntries?: EntryAction;
  readonly sqlEntries?: EntryAction;
}

export interface TxOptions {
  readonly entriesSpec?: EntriesSpec;
  readonly sinceTx?: number;
  readonly noWait?: boolean;
  readonly keepReferencesUnresolved?: boolean;
}

export interface TxScanOptions extends Omit<TxOptions, 'keepReferencesUnresolved'> {
  readonly initialTx: number;
  readonly limit?: number;
  readonly desc?: boolean;
}

export interface HealthInfo {
  readonly status: boolean;
  readonly version: string;
}

export interface ServerInfo {
  readonly version: string;
  readonly startedAt: number;
  readonly numTransactions: number;
  readonly numDatabases: number;
  readonly databasesDiskSize: number;
}

/** immudb's permission codes. */
export const Permission = {
  READ: 1,
  READ_WRITE: 2,
  ADMIN: 254,
  SYS_ADMIN: 255,
} as const;
export type PermissionCode = (typeof Permission)[keyof typeof Permission];

export interface UserPermission {
  readonly database: string;
  readonly permission: number;
}

export interface User {
  readonly user: string;
  readonly permissions: readonly UserPermission[];
  readonly createdBy: string;
  readonly createdAt: string;
  readonly active: boolean;
}

export interface LoginResult {
  /** The server's warning (e.g. the default sysadmin password is still in use); empty when none. */
  readonly warning: string;
}

export interface SessionInfo {
  readonly sessionId: string;
  readonly serverUuid: string;
  readonly database: string;
}

/** Outcome of verifyState / consistencyCheck. */
export type ConsistencyResult =
  /** No saved state: the server's state was trusted on first use and saved. */
  | { readonly kind: 'firstUse'; readonly current: TrustedState }
  /** The server is still at the saved state. */
  | { readonly kind: 'unchanged'; readonly current: TrustedState }
  /** The server moved forward and its new state was proven to extend the saved one. */
  | { readonly kind: 'advanced'; readonly previous: TrustedState; readonly current: TrustedState };
