// The client's plain inputs -> proto messages to encode. Validates what the server would refuse anyway
// only where a wrong value would be silently misencoded (ids that are not safe non-negative integers,
// both atTx and atRevision); everything else is the server's to judge. Pure.
import { ImmuError } from '../common/errors.js';
import type * as P from '../api/proto-types.js';
import type { EntriesSpec, EntryAction, GetOptions, KvMetadata, KeyValue, Op, Precondition, WriteOptions } from './types.js';

/** A tx id, offset or limit given by the caller: a safe integer >= 0. */
export function txIdArg(value: number | undefined, field: string): number {
  if (value === undefined) return 0;
  if (!Number.isSafeInteger(value) || value < 0) throw new ImmuError('INVALID_ARGUMENT', `${field} must be a non-negative safe integer, got ${value}`, { field });
  return value;
}

export function kvMetadataToInit(md: KvMetadata | undefined): P.KVMetadataInit | undefined {
  if (md === undefined) return undefined;
  return {
    ...(md.deleted === true ? { deleted: true } : {}),
    ...(md.expiresAt !== undefined ? { expiration: { expiresAt: md.expiresAt } } : {}),
    ...(md.nonIndexable === true ? { nonIndexable: true } : {}),
  };
}

export function keyValueToInit(kv: KeyValue): P.KeyValueInit {
  const metadata = kvMetadataToInit(kv.metadata);
  return { key: kv.key, value: kv.value, ...(metadata !== undefined ? { metadata } : {}) };
}

export function preconditionToInit(p: Precondition): P.PreconditionInit {
  switch (p.kind) {
    case 'keyMustExist':
      return { keyMustExist: { key: p.key } };
    case 'keyMustNotExist':
      return { keyMustNotExist: { key: p.key } };
    case 'keyNotModifiedAfterTx':
      return { keyNotModifiedAfterTX: { key: p.key, txID: txIdArg(p.txId, 'precondition.txId') } };
  }
}

export function setRequest(kvs: readonly KeyValue[], options: WriteOptions = {}): P.SetRequestInit {
  return {
    KVs: kvs.map(keyValueToInit),
    noWait: options.noWait === true,
    preconditions: (options.preconditions ?? []).map(preconditionToInit),
  };
}

export function keyRequest(key: Buffer, options: GetOptions = {}): P.KeyRequestInit {
  const atRevision = options.atRevision ?? 0;
  if (!Number.isSafeInteger(atRevision)) throw new ImmuError('INVALID_ARGUMENT', `atRevision must be a safe integer, got ${atRevision}`);
  if (atRevision !== 0 && (options.atTx ?? 0) !== 0) {
    throw new ImmuError('ILLEGAL_ARGUMENTS', 'atTx and atRevision cannot both be set');
  }
  return {
    key,
    atTx: txIdArg(options.atTx, 'atTx'),
    sinceTx: txIdArg(options.sinceTx, 'sinceTx'),
    noWait: options.noWait === true,
    atRevision,
  };
}

export function referenceRequest(key: Buffer, referencedKey: Buffer, options: { atTx?: number; boundRef?: boolean } & WriteOptions = {}): P.ReferenceRequestInit {
  const atTx = txIdArg(options.atTx, 'atTx');
  return {
    key,
    referencedKey,
    atTx,
    boundRef: options.boundRef ?? atTx > 0,
    noWait: options.noWait === true,
    preconditions: (options.preconditions ?? []).map(preconditionToInit),
  };
}

export function zAddRequest(set: Buffer, score: number, key: Buffer, options: { atTx?: number; boundRef?: boolean; noWait?: boolean } = {}): P.ZAddRequestInit {
  if (!Number.isFinite(score)) throw new ImmuError('INVALID_ARGUMENT', `score must be a finite number, got ${score}`);
  const atTx = txIdArg(options.atTx, 'atTx');
  return { set, score, key, atTx, boundRef: options.boundRef ?? atTx > 0, noWait: options.noWait === true };
}

export function opToInit(op: Op): P.OpInit {
  switch (op.kind) {
    case 'kv':
      return { kv: keyValueToInit(op) };
    case 'zAdd':
      return { zAdd: zAddRequest(op.set, op.score, op.key, op) };
    case 'ref':
      return { ref: referenceRequest(op.key, op.referencedKey, op) };
  }
}

const entryActionNumber: Readonly<Record<EntryAction, number>> = { exclude: 0, onlyDigest: 1, rawValue: 2, resolve: 3 };

export function entriesSpecToInit(spec: EntriesSpec | undefined): P.EntriesSpecInit | undefined {
  if (spec === undefined) return undefined;
  const one = (a: EntryAction | undefined): P.EntryTypeSpecInit | undefined => (a === undefined ? undefined : { action: entryActionNumber[a] });
  return {
    ...(spec.kvEntries !== undefined ? { kvEntriesSpec: one(spec.kvEntries) } : {}),
    ...(spec.zEntries !== undefined ? { zEntriesSpec: one(spec.zEntries) } : {}),
    ...(spec.sqlEntries !== undefined ? { sqlEntriesSpec: one(spec.sqlEntries) } : {}),
  };
}
