// Boundary checks for Database requests: every number, key and value is validated here once, before
// anything reaches the store, so a bad request gets a typed ImmuError and writes nothing. Limits are the
// store's (per database); this file only compares.
import { ImmuError } from '../common/errors.js';
import type { KvMetadata } from '../proof/metadata.js';
import type { StoreEntryLimits } from './store-api.js';

/** A non-negative safe integer (tx ids, offsets, limits); absent means 0. */
export function nonNegativeInt(value: number | undefined, what: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ImmuError('ILLEGAL_ARGUMENTS', `${what} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

/** A safe integer that may be negative (atRevision). */
export function safeInt(value: number | undefined, what: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new ImmuError('ILLEGAL_ARGUMENTS', `${what} must be an integer, got ${String(value)}`);
  }
  return value;
}

/** A finite double (sorted-set scores); NaN and infinities are refused. */
export function finiteScore(value: number | undefined, what: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ImmuError('ILLEGAL_ARGUMENTS', `${what} must be a finite number, got ${String(value)}`);
  }
  return value;
}

export function requireBytes(value: unknown, what: string): Buffer {
  if (!(value instanceof Uint8Array)) throw new ImmuError('ILLEGAL_ARGUMENTS', `${what} must be bytes`);
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

export function requireKey(value: unknown, what = 'key'): Buffer {
  const key = requireBytes(value, what);
  if (key.length === 0) throw new ImmuError('KEY_EMPTY', `${what} is empty`);
  return key;
}

export function optionalBytes(value: unknown, what: string): Buffer {
  return value === undefined ? Buffer.alloc(0) : requireBytes(value, what);
}

/** Limits that the store enforces too; checked here first so the whole request fails before commit. */
export type EntryLimits = StoreEntryLimits;

export function checkStoreEntry(storeKey: Buffer, storeValue: Buffer, limits: EntryLimits): void {
  if (storeKey.length > limits.maxKeyLen) {
    throw new ImmuError('KEY_TOO_LARGE', `key is ${storeKey.length} bytes encoded, max ${limits.maxKeyLen}`);
  }
  if (storeValue.length > limits.maxValueLen) {
    throw new ImmuError('VALUE_TOO_LARGE', `value is ${storeValue.length} bytes encoded, max ${limits.maxValueLen}`);
  }
}

export function checkEntryCount(count: number, limits: EntryLimits): void {
  if (count === 0) throw new ImmuError('NO_ENTRIES', 'a transaction needs at least one entry');
  if (count > limits.maxTxEntries) {
    throw new ImmuError('TOO_MANY_ENTRIES', `${count} entries in one transaction, max ${limits.maxTxEntries}`);
  }
}

/** User-supplied KV metadata: expiresAt and nonIndexable only, and none at all on header version 0. */
export function checkUserMetadata(md: KvMetadata | undefined, headerVersion: number | undefined): KvMetadata | undefined {
  if (md === undefined) return undefined;
  if (typeof md !== 'object' || md === null) throw new ImmuError('METADATA_INVALID', 'metadata must be an object');
  if (md.deleted === true) throw new ImmuError('METADATA_INVALID', 'set cannot write a deleted entry; use delete');
  const out: { expiresAt?: number; nonIndexable?: boolean } = {};
  if (md.expiresAt !== undefined) {
    if (!Number.isSafeInteger(md.expiresAt) || md.expiresAt < 0) {
      throw new ImmuError('METADATA_INVALID', `expiresAt must be a non-negative integer of unix seconds, got ${String(md.expiresAt)}`);
    }
    out.expiresAt = md.expiresAt;
  }
  if (md.nonIndexable === true) out.nonIndexable = true;
  if (out.expiresAt === undefined && out.nonIndexable === undefined) return undefined;
  if (headerVersion === 0) {
    throw new ImmuError('METADATA_INVALID', 'this database writes tx header version 0, which cannot carry key metadata');
  }
  return out;
}

/** True when the version has expired at nowSeconds (immudb: expiresAt <= now). */
export function isExpired(md: KvMetadata | undefined, nowSeconds: number): boolean {
  return md?.expiresAt !== undefined && md.expiresAt <= nowSeconds;
}
