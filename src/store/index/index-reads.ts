// Read semantics of the key index over IndexDb: revisions (1-based, 0 = latest, negative = back from
// the latest, as immudb's GetAtRevision), as-of-tx reads, history pages, scans of latest versions and
// counts. Every function runs synchronously, so it sees one lmdb read snapshot. Tombstones are returned
// like any version; callers interpret metadata (deleted, expiresAt).
import { ImmuError } from '../../common/errors.js';
import type { HistoryOptions, IndexedValue, ScanOptions } from '../types.js';
import { decodeVersion, versionExpiresAt, versionIsTombstone } from './entry-codec.js';
import { storeKeyBytesMax, type IndexDb } from './index-db.js';
import { planScan } from './key-range.js';

/** Keys lmdb could not hold can never have been indexed; answering "absent" avoids lmdb errors. */
function storableKey(key: Buffer): boolean {
  return key.length > 0 && key.length <= storeKeyBytesMax;
}

function checkCount(what: string, n: number | undefined): void {
  if (n !== undefined && (!Number.isSafeInteger(n) || n < 0)) {
    throw new ImmuError('ILLEGAL_ARGUMENTS', `${what} must be a non-negative integer, got ${n}`);
  }
}

export function readLatest(db: IndexDb, key: Buffer): IndexedValue | undefined {
  if (!storableKey(key)) return undefined;
  const n = db.versionCount(key);
  if (n === 0) return undefined;
  const bytes = db.versionAt(key, 0, true);
  return bytes === undefined ? undefined : decodeVersion(key, bytes, n);
}

export function readAtRevision(db: IndexDb, key: Buffer, revision: number): IndexedValue | undefined {
  if (!Number.isSafeInteger(revision)) throw new ImmuError('ILLEGAL_ARGUMENTS', `revision ${revision} is not an integer`);
  if (!storableKey(key)) return undefined;
  const n = db.versionCount(key);
  const r = revision > 0 ? revision : n + revision;
  if (n === 0 || r < 1 || r > n) return undefined;
  // Walk from whichever end is nearer: lmdb skips dups one by one.
  const fromNewest = r > n / 2;
  const bytes = db.versionAt(key, fromNewest ? n - r : r - 1, fromNewest);
  return bytes === undefined ? undefined : decodeVersion(key, bytes, r);
}

export function readAsOfTx(db: IndexDb, key: Buffer, txId: number): IndexedValue | undefined {
  if (!Number.isSafeInteger(txId)) throw new ImmuError('ILLEGAL_ARGUMENTS', `txId ${txId} is not an integer`);
  if (!storableKey(key) || txId < 1) return undefined;
  const bytes = db.versionAsOf(key, txId);
  if (bytes === undefined) return undefined;
  return decodeVersion(key, bytes, db.versionCountUpTo(key, txId));
}

export function readHistory(db: IndexDb, key: Buffer, opts: HistoryOptions): IndexedValue[] {
  const offset = opts.offset ?? 0;
  checkCount('offset', offset);
  checkCount('limit', opts.limit);
  if (!storableKey(key)) return [];
  const desc = opts.desc === true;
  const limit = opts.limit === undefined || opts.limit === 0 ? undefined : opts.limit;
  const n = desc ? db.versionCount(key) : 0;
  return db.versions(key, offset, limit, desc).map((bytes, i) => decodeVersion(key, bytes, desc ? n - offset - i : offset + i + 1));
}

/**
 * Latest version of each key in the range, in scan order. `accept` filters results before the limit
 * applies (the database layer passes "not deleted, not expired" so a page is full of live keys).
 */
export function readScan(db: IndexDb, opts: ScanOptions, accept?: (v: IndexedValue) => boolean): IndexedValue[] {
  checkCount('limit', opts.limit);
  const limit = opts.limit === undefined || opts.limit === 0 ? Number.POSITIVE_INFINITY : opts.limit;
  const plan = planScan(opts);
  const out: IndexedValue[] = [];
  for (const key of db.keys(plan.start, plan.reverse)) {
    const verdict = plan.classify(key);
    if (verdict === 'stop') break;
    if (verdict === 'skip') continue;
    const v = readLatest(db, key);
    if (v === undefined || (accept !== undefined && !accept(v))) continue;
    out.push(v);
    if (out.length >= limit) break;
  }
  return out;
}

/** Distinct keys with the prefix whose latest version is not a tombstone (nor expired, given a clock). */
export function readCount(db: IndexDb, prefix: Buffer, nowSeconds?: number): number {
  const plan = planScan({ prefix });
  let n = 0;
  for (const key of db.keys(plan.start, false)) {
    const verdict = plan.classify(key);
    if (verdict === 'stop') break;
    if (verdict === 'skip') continue;
    const latest = db.versionAt(key, 0, true);
    if (latest === undefined || versionIsTombstone(latest)) continue;
    if (nowSeconds !== undefined) {
      const expiresAt = versionExpiresAt(latest);
      if (expiresAt !== undefined && expiresAt <= nowSeconds) continue;
    }
    n++;
  }
  return n;
}
