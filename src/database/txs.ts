// Transaction reads (txById, txScan): the header plus each entry shaped per immudb's EntriesSpec: raw
// TxEntries (store key with prefix, hValue, vLen, metadata, optionally the store value) and/or decoded
// kv Entries and sorted-set ZEntries. The default is raw entries without values, as immudb sends.
import { ImmuError, isImmuError } from '../common/errors.js';
import { scanResultsMax } from '../common/limits.js';
import type { StoredEntry, StoredTx } from '../store/types.js';
import type { DbContext } from './context.js';
import { decodeValue, decodeZAddKey, SET_KEY_PREFIX, SORTED_SET_KEY_PREFIX, trimPrefix } from '../proof/kv-encoding.js';
import { entryFor, versionOfTxEntry } from './entries.js';
import { readCommittedTx, waitForIndex } from './index-reads.js';
import { memberEntry } from './sorted-sets.js';
import type { EntriesSpec, Entry, EntryAction, Tx, TxEntry, TxRequest, TxScanRequest, ZEntry } from './types.js';
import { nonNegativeInt } from './validation.js';

const ACTIONS: readonly EntryAction[] = ['exclude', 'onlyDigest', 'rawValue', 'resolve'];

interface TxShape {
  readonly kv: EntryAction;
  readonly z: EntryAction;
  readonly sql: EntryAction;
  readonly keepReferencesUnresolved: boolean;
}

function action(a: EntryAction | undefined, what: string): EntryAction {
  if (a === undefined) return 'onlyDigest';
  if (!ACTIONS.includes(a)) throw new ImmuError('ILLEGAL_ARGUMENTS', `unknown ${what} entries action ${String(a)}`);
  return a;
}

export function txShape(spec: EntriesSpec | undefined, keepReferencesUnresolved: boolean | undefined): TxShape {
  const sql = action(spec?.sql, 'sql');
  if (sql === 'resolve') throw new ImmuError('ILLEGAL_ARGUMENTS', 'sql and document entries cannot be resolved');
  return { kv: action(spec?.kv, 'kv'), z: action(spec?.z, 'z'), sql, keepReferencesUnresolved: keepReferencesUnresolved === true };
}

async function rawEntry(ctx: DbContext, e: StoredEntry, withValue: boolean): Promise<TxEntry> {
  const base = { key: e.key, hValue: e.hVal, vLen: e.value.length, metadata: e.metadata };
  return withValue ? { ...base, value: e.value.length === 0 ? Buffer.alloc(0) : await ctx.store.readValue(e.value, e.hVal) } : base;
}

/** A reference left unresolved: key names the target, referencedBy the reference itself. */
async function unresolvedReference(ctx: DbContext, e: StoredEntry, txId: number): Promise<Entry | undefined> {
  const v = await versionOfTxEntry(ctx, e, txId);
  const raw = e.value.length === 0 ? undefined : decodeValue(await ctx.store.readValue(e.value, e.hVal));
  if (raw?.kind !== 'reference') return undefined;
  return {
    tx: raw.atTx,
    key: Buffer.from(raw.referencedKey),
    value: Buffer.alloc(0),
    metadata: undefined,
    expired: false,
    revision: 0,
    referencedBy: { tx: txId, key: trimPrefix(e.key), atTx: raw.atTx, metadata: e.metadata, revision: v.revision },
  };
}

async function kvEntry(ctx: DbContext, e: StoredEntry, txId: number, keepUnresolved: boolean): Promise<Entry> {
  if (keepUnresolved) {
    const unresolved = await unresolvedReference(ctx, e, txId);
    if (unresolved !== undefined) return unresolved;
  }
  try {
    return await entryFor(ctx, await versionOfTxEntry(ctx, e, txId), 'any');
  } catch (err) {
    if (!isImmuError(err, 'KEY_NOT_FOUND')) throw err;
    const unresolved = await unresolvedReference(ctx, e, txId);
    if (unresolved === undefined) throw err;
    return unresolved;
  }
}

async function zEntry(ctx: DbContext, e: StoredEntry): Promise<ZEntry> {
  const m = decodeZAddKey(e.key);
  const entry = await memberEntry(ctx, m.key, m.atTx);
  return { set: Buffer.from(m.set), key: Buffer.from(m.key), entry, score: m.score, atTx: m.atTx };
}

export async function shapeTx(ctx: DbContext, stored: StoredTx, shape: TxShape): Promise<Tx> {
  const entries: TxEntry[] = [];
  const kvEntries: Entry[] = [];
  const zEntries: ZEntry[] = [];
  for (const e of stored.entries) {
    const space = e.key[0];
    const act = space === SET_KEY_PREFIX ? shape.kv : space === SORTED_SET_KEY_PREFIX ? shape.z : shape.sql;
    if (act === 'exclude') continue;
    if (act !== 'resolve') entries.push(await rawEntry(ctx, e, act === 'rawValue'));
    else if (space === SET_KEY_PREFIX) kvEntries.push(await kvEntry(ctx, e, stored.header.id, shape.keepReferencesUnresolved));
    else zEntries.push(await zEntry(ctx, e));
  }
  return { header: stored.header, entries, kvEntries, zEntries };
}

export async function txById(ctx: DbContext, req: TxRequest): Promise<Tx> {
  const txId = nonNegativeInt(req.tx, 'tx');
  const shape = txShape(req.entriesSpec, req.keepReferencesUnresolved);
  await waitForIndex(ctx, nonNegativeInt(req.sinceTx, 'sinceTx'), req.noWait === true);
  return shapeTx(ctx, await readCommittedTx(ctx, txId), shape);
}

/** Txs from initialTx (0: the first, or the last when desc), up to limit (capped at scanResultsMax). */
export async function txScan(ctx: DbContext, req: TxScanRequest): Promise<Tx[]> {
  const initial = nonNegativeInt(req.initialTx, 'initialTx');
  const limitReq = nonNegativeInt(req.limit, 'limit');
  const limit = limitReq === 0 ? scanResultsMax : Math.min(limitReq, scanResultsMax);
  const shape = txShape(req.entriesSpec, undefined);
  await waitForIndex(ctx, nonNegativeInt(req.sinceTx, 'sinceTx'), req.noWait === true);
  const committed = ctx.store.committedState().txId;
  const desc = req.desc === true;
  const out: Tx[] = [];
  let id = initial === 0 ? (desc ? committed : 1) : Math.min(initial, desc ? committed : initial);
  while (out.length < limit && id >= 1 && id <= committed) {
    out.push(await shapeTx(ctx, await readCommittedTx(ctx, id), shape));
    id += desc ? -1 : 1;
  }
  return out;
}
