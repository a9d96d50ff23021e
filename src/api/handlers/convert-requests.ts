// Decoding of the KV API's request messages into the Database's request types (database/types.ts):
// KeyValue, Precondition, SetRequest, KeyRequest, KeyListRequest, DeleteKeysRequest, ReferenceRequest,
// ZAddRequest, Op/ExecAllRequest, ScanRequest, HistoryRequest, ZScanRequest, EntriesSpec, TxRequest,
// VerifiableTxRequest, TxScanRequest. Numbers go through ../convert.ts (beyond 2^53 - 1 is
// INVALID_ARGUMENT, never rounded); key, value and limit rules are the Database's, checked there once.
// Preconditions, Op and EntriesSpec also convert back (our client and round-trip tests need them).
import { ImmuError } from '../../common/errors.js';
import type {
  DeleteRequest,
  EntriesSpec,
  EntryAction,
  ExecAllRequest,
  GetRequest,
  HistoryRequest,
  KeyPrecondition,
  KeyValue,
  Operation,
  ReferenceRequest,
  ScanRequest,
  SetRequest,
  TxRequest,
  TxScanRequest,
  VerifiableTxRequest,
  WriteOptions,
  ZAddRequest,
  ZScanRequest,
} from '../../database/types.js';
import { toBuffer, toInt64, toTxId, toUint, toUint32 } from '../convert.js';
import {
  EntryTypeAction,
  type DeleteKeysRequestMsg,
  type EntriesSpecInit,
  type EntriesSpecMsg,
  type EntryTypeSpecMsg,
  type ExecAllRequestMsg,
  type HistoryRequestMsg,
  type KeyListRequestMsg,
  type KeyRequestMsg,
  type KeyValueMsg,
  type OpInit,
  type OpMsg,
  type PreconditionInit,
  type PreconditionMsg,
  type ReferenceRequestMsg,
  type ScanRequestMsg,
  type SetRequestMsg,
  type TxRequestMsg,
  type TxScanRequestMsg,
  type VerifiableTxRequestMsg,
  type ZAddRequestMsg,
  type ZScanRequestMsg,
} from '../proto-types.js';
import { isColumnarSetRequest } from '../set-request-decoder.js';
import { kvMetadataFromProto, kvMetadataToProto } from './convert-entries.js';

function invalid(field: string, why: string): ImmuError {
  return new ImmuError('INVALID_ARGUMENT', `${field}: ${why}`, { field });
}

/** A nested request message (e.g. VerifiableSetRequest.setRequest) that must be present. */
export function requiredMessage<T>(msg: T | null | undefined, field: string): T {
  if (msg === null || msg === undefined) throw invalid(field, 'is missing');
  return msg;
}

/** Absent optional numbers stay absent so the Database applies its own defaults. */
function optionalTx(value: unknown, field: string): number | undefined {
  const n = toTxId(value, field);
  return n === 0 ? undefined : n;
}

// ---- KV writes ------------------------------------------------------------------------------------

export function keyValueFromProto(msg: KeyValueMsg, field = 'kv'): KeyValue {
  const metadata = kvMetadataFromProto(msg.metadata, `${field}.metadata`);
  return {
    key: toBuffer(msg.key, `${field}.key`),
    value: toBuffer(msg.value, `${field}.value`),
    ...(metadata !== undefined ? { metadata } : {}),
  };
}

/**
 * The KVs of a Set. A KV with Buffer key and value and no metadata (what grpc-js decoding yields) is
 * taken as it is; anything else goes through keyValueFromProto, whose field names are built only then
 * (four strings per KV were a measurable share of a 1000-KV Set's garbage).
 */
function keyValuesFromProto(list: readonly KeyValueMsg[]): KeyValue[] {
  const n = list.length;
  const out = new Array<KeyValue>(n);
  for (let i = 0; i < n; i++) {
    const kv = list[i] as KeyValueMsg;
    const key: unknown = kv.key;
    const value: unknown = kv.value;
    out[i] =
      Buffer.isBuffer(key) && Buffer.isBuffer(value) && (kv.metadata === null || kv.metadata === undefined)
        ? { key, value }
        : keyValueFromProto(kv, `KVs[${i}]`);
  }
  return out;
}

export function preconditionFromProto(msg: PreconditionMsg, field = 'precondition'): KeyPrecondition {
  switch (msg.precondition) {
    case 'keyMustExist':
      return { kind: 'mustExist', key: toBuffer(msg.keyMustExist?.key, `${field}.keyMustExist.key`) };
    case 'keyMustNotExist':
      return { kind: 'mustNotExist', key: toBuffer(msg.keyMustNotExist?.key, `${field}.keyMustNotExist.key`) };
    case 'keyNotModifiedAfterTX':
      return {
        kind: 'notModifiedAfterTx',
        key: toBuffer(msg.keyNotModifiedAfterTX?.key, `${field}.keyNotModifiedAfterTX.key`),
        txId: toTxId(msg.keyNotModifiedAfterTX?.txID, `${field}.keyNotModifiedAfterTX.txID`),
      };
    default:
      throw invalid(field, 'no precondition is set');
  }
}

export function preconditionToProto(p: KeyPrecondition): PreconditionInit {
  switch (p.kind) {
    case 'mustExist':
      return { keyMustExist: { key: p.key } };
    case 'mustNotExist':
      return { keyMustNotExist: { key: p.key } };
    case 'notModifiedAfterTx':
      return { keyNotModifiedAfterTX: { key: p.key, txID: p.txId } };
  }
}

function preconditionsFromProto(list: readonly PreconditionMsg[]): readonly KeyPrecondition[] | undefined {
  if (list.length === 0) return undefined;
  return list.map((p, i) => preconditionFromProto(p, `preconditions[${i}]`));
}

/** Fields every write shares; `txExtra` comes from the node (request-metadata logging), not the request. */
function writeOptions(noWait: boolean, preconditions: readonly PreconditionMsg[], txExtra: Buffer | undefined): WriteOptions {
  const pre = preconditionsFromProto(preconditions);
  return {
    ...(noWait ? { noWait: true } : {}),
    ...(pre !== undefined ? { preconditions: pre } : {}),
    ...(txExtra !== undefined ? { txExtra } : {}),
  };
}

export function setRequestFromProto(msg: SetRequestMsg, txExtra?: Buffer): SetRequest {
  return {
    kvs: isColumnarSetRequest(msg) ? msg.columns : keyValuesFromProto(msg.KVs),
    ...writeOptions(msg.noWait, msg.preconditions, txExtra),
  };
}

export function deleteRequestFromProto(msg: DeleteKeysRequestMsg): DeleteRequest {
  // sinceTx is validated but not needed: Delete always waits for the index to reach the committed state.
  toTxId(msg.sinceTx, 'sinceTx');
  return { keys: msg.keys.map((k, i) => toBuffer(k, `keys[${i}]`)), ...(msg.noWait ? { noWait: true } : {}) };
}

export function referenceRequestFromProto(msg: ReferenceRequestMsg, txExtra?: Buffer): ReferenceRequest {
  return {
    key: toBuffer(msg.key, 'key'),
    referencedKey: toBuffer(msg.referencedKey, 'referencedKey'),
    atTx: toTxId(msg.atTx, 'atTx'),
    boundRef: msg.boundRef,
    ...writeOptions(msg.noWait, msg.preconditions, txExtra),
  };
}

export function zAddRequestFromProto(msg: ZAddRequestMsg, field = 'zAdd'): ZAddRequest {
  return {
    set: toBuffer(msg.set, `${field}.set`),
    score: msg.score,
    key: toBuffer(msg.key, `${field}.key`),
    atTx: toTxId(msg.atTx, `${field}.atTx`),
    boundRef: msg.boundRef,
    ...(msg.noWait ? { noWait: true } : {}),
  };
}

/**
 * One Op. immudb-node 1.1.1's execAll() sends every Op as an empty `ref` (sdk spec Q1); that decodes
 * to a reference with empty keys, which the Database refuses like immudb does.
 */
export function operationFromProto(msg: OpMsg, field = 'op'): Operation {
  switch (msg.operation) {
    case 'kv': {
      const kv = keyValueFromProto(requiredMessage(msg.kv, `${field}.kv`), `${field}.kv`);
      return { kind: 'kv', ...kv };
    }
    case 'ref': {
      const ref = requiredMessage(msg.ref, `${field}.ref`);
      if (ref.preconditions.length > 0) throw invalid(`${field}.ref.preconditions`, 'preconditions belong to the ExecAllRequest');
      return {
        kind: 'ref',
        key: toBuffer(ref.key, `${field}.ref.key`),
        referencedKey: toBuffer(ref.referencedKey, `${field}.ref.referencedKey`),
        atTx: toTxId(ref.atTx, `${field}.ref.atTx`),
        boundRef: ref.boundRef,
      };
    }
    case 'zAdd': {
      const { noWait: _ignored, ...z } = zAddRequestFromProto(requiredMessage(msg.zAdd, `${field}.zAdd`), `${field}.zAdd`);
      return { kind: 'zadd', ...z };
    }
    default:
      throw new ImmuError('ILLEGAL_ARGUMENTS', `${field}: no operation is set`, { field });
  }
}

export function operationToProto(op: Operation): OpInit {
  switch (op.kind) {
    case 'kv': {
      const metadata = kvMetadataToProto(op.metadata);
      return { kv: { key: op.key, value: op.value, ...(metadata !== undefined ? { metadata } : {}) } };
    }
    case 'ref':
      return { ref: { key: op.key, referencedKey: op.referencedKey, atTx: op.atTx ?? 0, boundRef: op.boundRef === true } };
    case 'zadd':
      return { zAdd: { set: op.set, score: op.score, key: op.key, atTx: op.atTx ?? 0, boundRef: op.boundRef === true } };
  }
}

export function execAllRequestFromProto(msg: ExecAllRequestMsg, txExtra?: Buffer): ExecAllRequest {
  return {
    operations: msg.Operations.map((op, i) => operationFromProto(op, `Operations[${i}]`)),
    ...writeOptions(msg.noWait, msg.preconditions, txExtra),
  };
}

// ---- KV reads -------------------------------------------------------------------------------------

export function keyRequestFromProto(msg: KeyRequestMsg): GetRequest {
  const atTx = optionalTx(msg.atTx, 'atTx');
  const sinceTx = optionalTx(msg.sinceTx, 'sinceTx');
  const atRevision = toInt64(msg.atRevision, 'atRevision');
  return {
    key: toBuffer(msg.key, 'key'),
    ...(atTx !== undefined ? { atTx } : {}),
    ...(sinceTx !== undefined ? { sinceTx } : {}),
    ...(msg.noWait ? { noWait: true } : {}),
    ...(atRevision !== 0 ? { atRevision } : {}),
  };
}

export function keyListFromProto(msg: KeyListRequestMsg): { readonly keys: Buffer[]; readonly sinceTx: number } {
  return { keys: msg.keys.map((k, i) => toBuffer(k, `keys[${i}]`)), sinceTx: toTxId(msg.sinceTx, 'sinceTx') };
}

/** Empty seek/end/prefix bytes mean "none", as in immudb. */
export function scanRequestFromProto(msg: ScanRequestMsg): ScanRequest {
  return {
    prefix: toBuffer(msg.prefix, 'prefix'),
    seekKey: toBuffer(msg.seekKey, 'seekKey'),
    endKey: toBuffer(msg.endKey, 'endKey'),
    inclusiveSeek: msg.inclusiveSeek,
    inclusiveEnd: msg.inclusiveEnd,
    desc: msg.desc,
    limit: toUint(msg.limit, 'limit'),
    sinceTx: toTxId(msg.sinceTx, 'sinceTx'),
    noWait: msg.noWait,
  };
}

export function historyRequestFromProto(msg: HistoryRequestMsg): HistoryRequest {
  if (!Number.isInteger(msg.limit) || msg.limit < 0) throw invalid('limit', 'must not be negative');
  return {
    key: toBuffer(msg.key, 'key'),
    offset: toUint(msg.offset, 'offset'),
    limit: msg.limit,
    desc: msg.desc,
    sinceTx: toTxId(msg.sinceTx, 'sinceTx'),
  };
}

export function zScanRequestFromProto(msg: ZScanRequestMsg): ZScanRequest {
  return {
    set: toBuffer(msg.set, 'set'),
    seekKey: toBuffer(msg.seekKey, 'seekKey'),
    seekScore: msg.seekScore,
    seekAtTx: toTxId(msg.seekAtTx, 'seekAtTx'),
    inclusiveSeek: msg.inclusiveSeek,
    limit: toUint(msg.limit, 'limit'),
    desc: msg.desc,
    ...(msg.minScore !== null && msg.minScore !== undefined ? { minScore: msg.minScore.score } : {}),
    ...(msg.maxScore !== null && msg.maxScore !== undefined ? { maxScore: msg.maxScore.score } : {}),
    sinceTx: toTxId(msg.sinceTx, 'sinceTx'),
    noWait: msg.noWait,
  };
}

// ---- tx reads -------------------------------------------------------------------------------------

const ACTION_BY_NUMBER: ReadonlyMap<number, EntryAction> = new Map<number, EntryAction>([
  [EntryTypeAction.EXCLUDE, 'exclude'],
  [EntryTypeAction.ONLY_DIGEST, 'onlyDigest'],
  [EntryTypeAction.RAW_VALUE, 'rawValue'],
  [EntryTypeAction.RESOLVE, 'resolve'],
]);

const NUMBER_BY_ACTION: Readonly<Record<EntryAction, number>> = {
  exclude: EntryTypeAction.EXCLUDE,
  onlyDigest: EntryTypeAction.ONLY_DIGEST,
  rawValue: EntryTypeAction.RAW_VALUE,
  resolve: EntryTypeAction.RESOLVE,
};

/** Inside a present EntriesSpec, a missing keyspace spec means EXCLUDE (immudb). */
function actionFromProto(msg: EntryTypeSpecMsg | null | undefined, field: string): EntryAction {
  if (msg === null || msg === undefined) return 'exclude';
  const action = ACTION_BY_NUMBER.get(msg.action);
  if (action === undefined) throw invalid(field, `unknown entry type action ${msg.action}`);
  return action;
}

/** No EntriesSpec: immudb's default (every entry raw, as digests). */
export function entriesSpecFromProto(msg: EntriesSpecMsg | null | undefined): EntriesSpec | undefined {
  if (msg === null || msg === undefined) return undefined;
  return {
    kv: actionFromProto(msg.kvEntriesSpec, 'entriesSpec.kvEntriesSpec'),
    z: actionFromProto(msg.zEntriesSpec, 'entriesSpec.zEntriesSpec'),
    sql: actionFromProto(msg.sqlEntriesSpec, 'entriesSpec.sqlEntriesSpec'),
  };
}

export function entriesSpecToProto(spec: EntriesSpec): EntriesSpecInit {
  const one = (a: EntryAction | undefined): { action: number } | undefined => (a === undefined || a === 'exclude' ? undefined : { action: NUMBER_BY_ACTION[a] });
  const kv = one(spec.kv);
  const z = one(spec.z);
  const sql = one(spec.sql);
  return {
    ...(kv !== undefined ? { kvEntriesSpec: kv } : {}),
    ...(z !== undefined ? { zEntriesSpec: z } : {}),
    ...(sql !== undefined ? { sqlEntriesSpec: sql } : {}),
  };
}

export function txRequestFromProto(msg: TxRequestMsg): TxRequest {
  const entriesSpec = entriesSpecFromProto(msg.entriesSpec);
  return {
    tx: toTxId(msg.tx, 'tx'),
    ...(entriesSpec !== undefined ? { entriesSpec } : {}),
    sinceTx: toTxId(msg.sinceTx, 'sinceTx'),
    noWait: msg.noWait,
    keepReferencesUnresolved: msg.keepReferencesUnresolved,
  };
}

export function verifiableTxRequestFromProto(msg: VerifiableTxRequestMsg): VerifiableTxRequest {
  const entriesSpec = entriesSpecFromProto(msg.entriesSpec);
  return {
    tx: toTxId(msg.tx, 'tx'),
    proveSinceTx: toTxId(msg.proveSinceTx, 'proveSinceTx'),
    ...(entriesSpec !== undefined ? { entriesSpec } : {}),
    sinceTx: toTxId(msg.sinceTx, 'sinceTx'),
    noWait: msg.noWait,
    keepReferencesUnresolved: msg.keepReferencesUnresolved,
  };
}

export function txScanRequestFromProto(msg: TxScanRequestMsg): TxScanRequest {
  const entriesSpec = entriesSpecFromProto(msg.entriesSpec);
  return {
    initialTx: toTxId(msg.initialTx, 'initialTx'),
    limit: toUint32(msg.limit, 'limit'),
    desc: msg.desc,
    ...(entriesSpec !== undefined ? { entriesSpec } : {}),
    sinceTx: toTxId(msg.sinceTx, 'sinceTx'),
    noWait: msg.noWait,
  };
}
