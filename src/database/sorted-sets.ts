// Sorted sets: zAdd writes one store key per (set, score, member, atTx) with an empty value (core spec
// 1.7), and zScan walks a set's keys in store-key order (the raw IEEE-754 bits of the score, so negative
// scores do not sort numerically, exactly as in immudb), filtering by score and resolving each member.
import { ImmuError, isImmuError } from '../common/errors.js';
import { scanResultsMax } from '../common/limits.js';
import type { EntryInput } from '../store/types.js';
import type { DbContext } from './context.js';
import { decodeZAddKey, encodeKey, encodeZAddKey, encodeZSetPrefix } from '../proof/kv-encoding.js';
import { entryFor, versionAtTx } from './entries.js';
import { latestVersion, waitForIndex } from './index-reads.js';
import { checkBinding, type SameTxWrites } from './references.js';
import { scanIndexPages } from './scan-pages.js';
import type { Entry, ZEntry, ZScanRequest } from './types.js';
import { finiteScore, isExpired, nonNegativeInt, optionalBytes, requireKey } from './validation.js';

export interface NormalisedZAdd {
  readonly set: Buffer;
  readonly score: number;
  readonly key: Buffer;
  readonly atTx: number;
}

export function normaliseZAdd(req: { set: Buffer; score: number; key: Buffer; atTx?: number; boundRef?: boolean }): NormalisedZAdd {
  const set = requireKey(req.set, 'set');
  const key = requireKey(req.key, 'member key');
  if (typeof req.score !== 'number') throw new ImmuError('ILLEGAL_ARGUMENTS', 'score must be a number');
  const score = finiteScore(req.score, 'score');
  const atTx = nonNegativeInt(req.atTx, 'atTx');
  checkBinding(atTx, req.boundRef);
  return { set, score, key, atTx };
}

export function zAddEntry(z: NormalisedZAdd): EntryInput {
  return { key: encodeZAddKey(z.set, z.score, z.key, z.atTx), value: Buffer.alloc(0) };
}

/** The member must be a live key (latest, or written in tx atTx), or be set in the same tx (unbound). */
export async function checkMember(ctx: DbContext, z: NormalisedZAdd, sameTx: SameTxWrites): Promise<void> {
  const memberKey = encodeKey(z.key);
  if (z.atTx === 0 && sameTx.has(memberKey.toString('hex'))) return;
  const v = z.atTx > 0 ? await versionAtTx(ctx, memberKey, z.atTx) : await latestVersion(ctx, memberKey);
  const why =
    v === undefined ? 'does not exist' : v.metadata?.deleted === true ? 'is deleted' : isExpired(v.metadata, ctx.nowSeconds()) ? 'has expired' : '';
  if (why !== '') throw new ImmuError('KEY_NOT_FOUND', `sorted-set member ${z.key.toString('hex')} ${why}`);
}

/** The member's entry (at atTx when bound); undefined when it no longer resolves to a live key. */
export async function memberEntry(ctx: DbContext, key: Buffer, atTx: number): Promise<Entry | undefined> {
  const storeKey = encodeKey(key);
  try {
    const v = atTx > 0 ? await versionAtTx(ctx, storeKey, atTx) : await latestVersion(ctx, storeKey);
    return v === undefined ? undefined : await entryFor(ctx, v, 'liveOnly');
  } catch (err) {
    if (isImmuError(err, 'KEY_NOT_FOUND')) return undefined;
    throw err;
  }
}

export async function zScan(ctx: DbContext, req: ZScanRequest): Promise<ZEntry[]> {
  const set = requireKey(req.set, 'set');
  const limitReq = nonNegativeInt(req.limit, 'limit');
  const limit = limitReq === 0 ? scanResultsMax : Math.min(limitReq, scanResultsMax);
  const minScore = req.minScore === undefined ? undefined : finiteScore(req.minScore, 'minScore');
  const maxScore = req.maxScore === undefined ? undefined : finiteScore(req.maxScore, 'maxScore');
  const seekKey = optionalBytes(req.seekKey, 'seekKey');
  const seekScore = finiteScore(req.seekScore, 'seekScore');
  const seekAtTx = nonNegativeInt(req.seekAtTx, 'seekAtTx');
  await waitForIndex(ctx, nonNegativeInt(req.sinceTx, 'sinceTx'), req.noWait === true);
  const out: ZEntry[] = [];
  await scanIndexPages(
    ctx,
    {
      prefix: encodeZSetPrefix(set),
      ...(seekKey.length > 0 ? { seekKey: encodeZAddKey(set, seekScore, seekKey, seekAtTx), inclusiveSeek: req.inclusiveSeek === true } : {}),
      desc: req.desc === true,
    },
    async (v) => {
      const m = decodeZAddKey(v.key);
      if (!m.set.equals(set)) return true;
      if ((minScore !== undefined && m.score < minScore) || (maxScore !== undefined && m.score > maxScore)) return true;
      const entry = await memberEntry(ctx, m.key, m.atTx);
      if (entry === undefined) return true;
      out.push({ set: Buffer.from(m.set), key: Buffer.from(m.key), entry, score: m.score, atTx: m.atTx });
      return out.length < limit;
    },
  );
  return out;
}
