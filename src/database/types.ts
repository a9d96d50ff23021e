// Requests and results of the Database API as plain TypeScript objects. They mirror immudb's proto
// messages (Entry, Reference, ZEntry, Tx, TxEntry, VerifiableTx, VerifiableEntry, ImmutableState) so the
// server layer converts them field by field; keys and values in Entry/ZEntry/Reference are user bytes
// (no prefix), while TxEntry.key is the store key, prefix included, as immudb sends it.
import type { DualProof } from '../proof/dual-proof.js';
import type { InclusionProof } from '../proof/htree.js';
import type { KvMetadata } from '../proof/metadata.js';
import type { TxHeader } from '../proof/tx-header.js';

// ---- writes ---------------------------------------------------------------------------------------

export interface KeyValue {
  readonly key: Buffer;
  readonly value: Buffer;
  /** expiresAt and nonIndexable; deletion goes through delete(). Refused on header-version-0 databases. */
  readonly metadata?: KvMetadata;
}

/** Conditions on plain (user) keys, checked by the store atomically with the commit. */
export type KeyPrecondition =
  | { readonly kind: 'mustExist'; readonly key: Buffer }
  | { readonly kind: 'mustNotExist'; readonly key: Buffer }
  | { readonly kind: 'notModifiedAfterTx'; readonly key: Buffer; readonly txId: number };

/** Fields every write shares. */
export interface WriteOptions {
  readonly preconditions?: readonly KeyPrecondition[];
  /** Do not wait for the index to include the new tx before returning. */
  readonly noWait?: boolean;
  /** Tx metadata `extra` (1..256 bytes); immudb's server fills it from request metadata. v1 headers only. */
  readonly txExtra?: Buffer;
}

/**
 * KVs without metadata laid out as spans of one buffer (a decoded request's bytes): KV i has its key at
 * spans[4i] (length spans[4i+1]) and its value at spans[4i+2] (length spans[4i+3]). Every span is
 * preceded by a byte that belongs to no other span (in a protobuf message: the span's own length byte),
 * which the database overwrites with the store prefix so the prefixed key and value are views of
 * `bytes`, not copies: the columns are consumed by the write that takes them. What the server's Set
 * decoder hands over, so a 1000-KV Set builds neither a message object per KV nor copies of its bytes.
 */
export interface KvColumns {
  readonly bytes: Buffer;
  readonly spans: Uint32Array;
  readonly count: number;
}

export function isKvColumns(kvs: SetRequest['kvs']): kvs is KvColumns {
  return !Array.isArray(kvs) && typeof kvs === 'object' && kvs !== null && 'spans' in kvs;
}

export interface SetRequest extends WriteOptions {
  readonly kvs: readonly KeyValue[] | KvColumns;
}

export interface DeleteRequest {
  readonly keys: readonly Buffer[];
  readonly noWait?: boolean;
}

export interface ReferenceRequest extends WriteOptions {
  readonly key: Buffer;
  readonly referencedKey: Buffer;
  readonly atTx?: number;
  readonly boundRef?: boolean;
}

export interface ZAddRequest {
  readonly set: Buffer;
  readonly score: number;
  readonly key: Buffer;
  readonly atTx?: number;
  readonly boundRef?: boolean;
  readonly noWait?: boolean;
}

export type Operation =
  | { readonly kind: 'kv'; readonly key: Buffer; readonly value: Buffer; readonly metadata?: KvMetadata }
  | { readonly kind: 'ref'; readonly key: Buffer; readonly referencedKey: Buffer; readonly atTx?: number; readonly boundRef?: boolean }
  | { readonly kind: 'zadd'; readonly set: Buffer; readonly score: number; readonly key: Buffer; readonly atTx?: number; readonly boundRef?: boolean };

export interface ExecAllRequest extends WriteOptions {
  readonly operations: readonly Operation[];
}

// ---- reads ----------------------------------------------------------------------------------------

export interface GetRequest {
  readonly key: Buffer;
  /** Read the version written in exactly this tx (works for nonIndexable entries). */
  readonly atTx?: number;
  /** Wait for the index to reach this tx first (default: the committed state). */
  readonly sinceTx?: number;
  readonly noWait?: boolean;
  /** > 0: that revision; < 0: relative to the latest (-1 = the one before); 0: latest. */
  readonly atRevision?: number;
}

export interface Reference {
  readonly tx: number;
  /** The reference's own user key. */
  readonly key: Buffer;
  readonly atTx: number;
  readonly metadata: KvMetadata | undefined;
  readonly revision: number;
}

export interface Entry {
  readonly tx: number;
  readonly key: Buffer;
  readonly value: Buffer;
  readonly referencedBy?: Reference;
  readonly metadata: KvMetadata | undefined;
  readonly expired: boolean;
  /** 1-based version number of the key; 0 when unknown (nonIndexable entries read by tx). */
  readonly revision: number;
}

export interface ScanRequest {
  readonly prefix?: Buffer;
  readonly seekKey?: Buffer;
  readonly endKey?: Buffer;
  readonly inclusiveSeek?: boolean;
  readonly inclusiveEnd?: boolean;
  readonly desc?: boolean;
  /** 0 or absent: scanResultsMax; larger values are capped to it. */
  readonly limit?: number;
  readonly sinceTx?: number;
  readonly noWait?: boolean;
}

export interface HistoryRequest {
  readonly key: Buffer;
  readonly offset?: number;
  readonly limit?: number;
  readonly desc?: boolean;
  readonly sinceTx?: number;
}

export interface ZScanRequest {
  readonly set: Buffer;
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

export interface ZEntry {
  readonly set: Buffer;
  readonly key: Buffer;
  /** The member's entry; absent only in tx reads whose member no longer resolves. */
  readonly entry: Entry | undefined;
  readonly score: number;
  readonly atTx: number;
}

// ---- transactions ---------------------------------------------------------------------------------

/** What a tx read returns per keyspace (immudb EntriesSpec): default onlyDigest for every keyspace. */
export type EntryAction = 'exclude' | 'onlyDigest' | 'rawValue' | 'resolve';

export interface EntriesSpec {
  readonly kv?: EntryAction;
  readonly z?: EntryAction;
  /** SQL and document keyspaces: 'resolve' is refused. */
  readonly sql?: EntryAction;
}

export interface TxRequest {
  readonly tx: number;
  readonly entriesSpec?: EntriesSpec;
  readonly sinceTx?: number;
  readonly noWait?: boolean;
  readonly keepReferencesUnresolved?: boolean;
}

export interface TxScanRequest {
  readonly initialTx?: number;
  readonly limit?: number;
  readonly desc?: boolean;
  readonly entriesSpec?: EntriesSpec;
  readonly sinceTx?: number;
  readonly noWait?: boolean;
}

/** A raw tx entry: store key (prefix included), hash and length of the store value, metadata. */
export interface TxEntry {
  readonly key: Buffer;
  readonly hValue: Buffer;
  readonly vLen: number;
  readonly metadata: KvMetadata | undefined;
  /** Store value (prefix included), only with the 'rawValue' action. */
  readonly value?: Buffer;
}

export interface Tx {
  readonly header: TxHeader;
  readonly entries: readonly TxEntry[];
  readonly kvEntries: readonly Entry[];
  readonly zEntries: readonly ZEntry[];
}

export interface DatabaseState {
  readonly db: string;
  readonly txId: number;
  /** Alh of txId; EMPTY hash when txId = 0. */
  readonly txHash: Buffer;
  readonly precommittedTxId: number;
  readonly precommittedTxHash: Buffer;
}

// ---- verifiable -----------------------------------------------------------------------------------

export interface VerifiableTx {
  /** The tx with every raw entry (no values), as VerifiableSet/VerifiableTxById send it. */
  readonly tx: Tx;
  readonly dualProof: DualProof;
}

export interface VerifiableEntry {
  readonly entry: Entry;
  readonly verifiableTx: VerifiableTx;
  /** htree proof of the requested key (0x00‖key) inside verifiableTx.tx. */
  readonly inclusionProof: InclusionProof;
}

export interface VerifiableTxRequest {
  readonly tx: number;
  readonly proveSinceTx: number;
  readonly entriesSpec?: EntriesSpec;
  readonly sinceTx?: number;
  readonly noWait?: boolean;
  readonly keepReferencesUnresolved?: boolean;
}
