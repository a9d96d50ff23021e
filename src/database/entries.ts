// Turns stored versions of plain keys into proto-shaped Entries: locates a version (latest, at an exact
// tx, at a revision), reads and decodes its value, applies the deleted/expired filter and resolves a
// reference one level (referencedResolutionDepthMax). Everything that returns an Entry goes through here.
import { ImmuError } from '../common/errors.js';
import { EMPTY_HASH } from '../proof/hash.js';
import type { IndexedValue, StoredEntry } from '../store/types.js';
import type { DbContext } from './context.js';
import { decodeValue, encodeKey, trimPrefix, type DecodedValue } from '../proof/kv-encoding.js';
import { latestVersion, orUndefined, readCommittedTx } from './index-reads.js';
import type { Entry } from './types.js';
import { isExpired } from './validation.js';

/** Whether deleted and expired versions are refused (get, scan) or returned as they are (history, tx reads). */
export type LiveFilter = 'liveOnly' | 'any';

function notFound(storeKey: Buffer, why: string): ImmuError {
  return new ImmuError('KEY_NOT_FOUND', `key ${trimPrefix(storeKey).toString('hex')} ${why}`);
}

/**
 * The version of storeKey written in exactly tx txId, read from the tx itself (so nonIndexable entries
 * are found). Its revision comes from the index when the index already holds that tx, else 0.
 */
export async function versionAtTx(ctx: DbContext, storeKey: Buffer, txId: number): Promise<IndexedValue> {
  const tx = await readCommittedTx(ctx, txId);
  const e = tx.entries.find((x) => x.key.equals(storeKey));
  if (e === undefined) throw notFound(storeKey, `is not written in tx ${txId}`);
  return versionOfTxEntry(ctx, e, txId);
}

/** A tx entry as a version; revision from the index when it already holds txId (else 0). */
export async function versionOfTxEntry(ctx: DbContext, e: StoredEntry, txId: number): Promise<IndexedValue> {
  let revision = 0;
  if (e.metadata?.nonIndexable !== true && ctx.store.index.indexedTxId() >= txId) {
    const indexed = await orUndefined(() => ctx.store.index.getAsOfTx(e.key, txId));
    if (indexed !== undefined && indexed.txId === txId) revision = indexed.revision;
  }
  return { key: e.key, txId, metadata: e.metadata, value: e.value, hVal: e.hVal, revision };
}

/** Revision > 0: that one; < 0: relative to the latest (-1 = the one before); KEY_NOT_FOUND when absent. */
export async function versionAtRevision(ctx: DbContext, storeKey: Buffer, atRevision: number): Promise<IndexedValue> {
  let revision = atRevision;
  if (revision < 0) {
    const latest = await latestVersion(ctx, storeKey);
    if (latest === undefined) throw notFound(storeKey, 'does not exist');
    revision = latest.revision + atRevision;
    if (revision < 1) throw notFound(storeKey, `has no revision ${atRevision} (latest is ${latest.revision})`);
  }
  const v = await orUndefined(() => ctx.store.index.getAtRevision(storeKey, revision));
  if (v === undefined) throw notFound(storeKey, `has no revision ${revision}`);
  return v;
}

export async function readDecoded(ctx: DbContext, v: IndexedValue): Promise<DecodedValue> {
  if (v.value.length === 0 && v.hVal.equals(EMPTY_HASH)) return { kind: 'empty' };
  return decodeValue(await ctx.store.readValue(v.value, v.hVal));
}

function checkLive(ctx: DbContext, v: IndexedValue, filter: LiveFilter): void {
  if (filter === 'any') return;
  if (v.metadata?.deleted === true) throw notFound(v.key, 'is deleted');
  if (isExpired(v.metadata, ctx.nowSeconds())) throw notFound(v.key, 'has expired');
}

function plainEntry(ctx: DbContext, v: IndexedValue, value: Buffer): Entry {
  return {
    tx: v.txId,
    key: trimPrefix(v.key),
    value,
    metadata: v.metadata,
    expired: isExpired(v.metadata, ctx.nowSeconds()),
    revision: v.revision,
  };
}

/** The Entry for one version, resolving a reference one level; the filter applies to both levels. */
export async function entryFor(ctx: DbContext, v: IndexedValue, filter: LiveFilter): Promise<Entry> {
  checkLive(ctx, v, filter);
  const decoded = await readDecoded(ctx, v);
  if (decoded.kind === 'empty') return plainEntry(ctx, v, Buffer.alloc(0));
  if (decoded.kind === 'plain') return plainEntry(ctx, v, decoded.value);
  const targetKey = encodeKey(decoded.referencedKey);
  const target =
    decoded.atTx > 0 ? await versionAtTx(ctx, targetKey, decoded.atTx) : await latestVersion(ctx, targetKey);
  if (target === undefined) throw notFound(targetKey, 'referenced by a reference does not exist');
  checkLive(ctx, target, filter);
  const targetValue = await readDecoded(ctx, target);
  if (targetValue.kind === 'reference') {
    throw new ImmuError('REFERENCE_INVALID', 'a reference resolves to another reference (max resolution depth is 1)');
  }
  const value = targetValue.kind === 'plain' ? targetValue.value : Buffer.alloc(0);
  return {
    ...plainEntry(ctx, target, value),
    referencedBy: {
      tx: v.txId,
      key: trimPrefix(v.key),
      atTx: decoded.atTx,
      metadata: v.metadata,
      revision: v.revision,
    },
  };
}
