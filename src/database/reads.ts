// Key reads of the plain keyspace: get (latest, at tx, at revision), getAll, scan, history and count.
// Each waits for the index (sinceTx, default the committed state) unless noWait, hides deleted and expired
// keys where immudb does, and resolves references through entries.ts.
import { ImmuError, isImmuError } from '../common/errors.js';
import { historyResultsMax, scanResultsMax } from '../common/limits.js';
import type { DbContext } from './context.js';
import { encodeKey, SET_KEY_PREFIX } from '../proof/kv-encoding.js';
import { entryFor, versionAtRevision, versionAtTx } from './entries.js';
import { latestVersion, waitForIndex } from './index-reads.js';
import { scanIndexPages } from './scan-pages.js';
import type { Entry, GetRequest, HistoryRequest, ScanRequest } from './types.js';
import { nonNegativeInt, optionalBytes, requireKey, safeInt } from './validation.js';

export async function get(ctx: DbContext, req: GetRequest): Promise<Entry> {
  const storeKey = encodeKey(requireKey(req.key));
  const atTx = nonNegativeInt(req.atTx, 'atTx');
  const sinceTx = nonNegativeInt(req.sinceTx, 'sinceTx');
  const atRevision = safeInt(req.atRevision, 'atRevision');
  if (atTx > 0 && sinceTx > 0) throw new ImmuError('ILLEGAL_ARGUMENTS', 'atTx and sinceTx cannot be combined');
  if (atTx > 0 && atRevision !== 0) throw new ImmuError('ILLEGAL_ARGUMENTS', 'atTx and atRevision cannot be combined');
  if (atTx > 0) return entryFor(ctx, await versionAtTx(ctx, storeKey, atTx), 'liveOnly');
  await waitForIndex(ctx, sinceTx, req.noWait === true);
  if (atRevision !== 0) return entryFor(ctx, await versionAtRevision(ctx, storeKey, atRevision), 'liveOnly');
  const v = await latestVersion(ctx, storeKey);
  if (v === undefined) throw new ImmuError('KEY_NOT_FOUND', `key ${storeKey.subarray(1).toString('hex')} does not exist`);
  return entryFor(ctx, v, 'liveOnly');
}

/** Latest live entry of each key; keys that are missing, deleted or expired are left out (as immudb). */
export async function getAll(ctx: DbContext, keys: readonly Buffer[], sinceTx: number | undefined): Promise<Entry[]> {
  if (!Array.isArray(keys)) throw new ImmuError('ILLEGAL_ARGUMENTS', 'keys must be a list');
  const storeKeys = keys.map((k) => encodeKey(requireKey(k)));
  await waitForIndex(ctx, nonNegativeInt(sinceTx, 'sinceTx'), false);
  const out: Entry[] = [];
  for (const storeKey of storeKeys) {
    const v = await latestVersion(ctx, storeKey);
    if (v === undefined) continue;
    try {
      out.push(await entryFor(ctx, v, 'liveOnly'));
    } catch (err) {
      if (!isImmuError(err, 'KEY_NOT_FOUND')) throw err;
    }
  }
  return out;
}

function cappedLimit(limit: number | undefined, max: number): number {
  const n = nonNegativeInt(limit, 'limit');
  return n === 0 ? max : Math.min(n, max);
}

export async function scan(ctx: DbContext, req: ScanRequest): Promise<Entry[]> {
  const prefix = optionalBytes(req.prefix, 'prefix');
  const seekKey = optionalBytes(req.seekKey, 'seekKey');
  const endKey = optionalBytes(req.endKey, 'endKey');
  const limit = cappedLimit(req.limit, scanResultsMax);
  await waitForIndex(ctx, nonNegativeInt(req.sinceTx, 'sinceTx'), req.noWait === true);
  const out: Entry[] = [];
  await scanIndexPages(
    ctx,
    {
      prefix: encodeKey(prefix),
      ...(seekKey.length > 0 ? { seekKey: encodeKey(seekKey), inclusiveSeek: req.inclusiveSeek === true } : {}),
      ...(endKey.length > 0 ? { endKey: encodeKey(endKey), inclusiveEnd: req.inclusiveEnd === true } : {}),
      desc: req.desc === true,
    },
    async (v) => {
      try {
        out.push(await entryFor(ctx, v, 'liveOnly'));
      } catch (err) {
        if (!isImmuError(err, 'KEY_NOT_FOUND')) throw err;
      }
      return out.length < limit;
    },
  );
  return out;
}

/** Every version of a key, deletions included, each with its revision; KEY_NOT_FOUND for a key never written. */
export async function history(ctx: DbContext, req: HistoryRequest): Promise<Entry[]> {
  const storeKey = encodeKey(requireKey(req.key));
  const offset = nonNegativeInt(req.offset, 'offset');
  const limit = cappedLimit(req.limit, historyResultsMax);
  await waitForIndex(ctx, nonNegativeInt(req.sinceTx, 'sinceTx'), false);
  const versions = await ctx.store.index.history(storeKey, { offset, limit, desc: req.desc === true });
  if (versions.length === 0 && (await latestVersion(ctx, storeKey)) === undefined) {
    throw new ImmuError('KEY_NOT_FOUND', `key ${storeKey.subarray(1).toString('hex')} has no history`);
  }
  const out: Entry[] = [];
  for (const v of versions.slice(0, limit)) out.push(await entryFor(ctx, v, 'any'));
  return out;
}

/** Live keys (not deleted, not expired) of the plain keyspace under prefix. */
export async function count(ctx: DbContext, prefix: Buffer): Promise<number> {
  const p = optionalBytes(prefix, 'prefix');
  await waitForIndex(ctx, 0, false);
  return ctx.store.index.count(Buffer.concat([Buffer.from([SET_KEY_PREFIX]), p]), ctx.nowSeconds());
}
