// The one path every write takes: validate the planned store entries as a whole (count, sizes,
// duplicates, metadata vs header version), turn user preconditions into store preconditions, commit, and
// then (unless noWait) wait for the index so the writer reads its own write. Nothing reaches the store
// before every check has passed.
import { ImmuError } from '../common/errors.js';
import { indexWaitTimeoutMsDefault, txEntriesMaxHeaderV0, txMetadataExtraBytesMax } from '../common/limits.js';
import type { TxMetadata } from '../proof/metadata.js';
import type { TxHeader } from '../proof/tx-header.js';
import type { EntryInput, Precondition } from '../store/types.js';
import type { DbContext } from './context.js';
import { encodeKey, PLAIN_VALUE_PREFIX, SET_KEY_PREFIX } from '../proof/kv-encoding.js';
import type { KvMetadata } from '../proof/metadata.js';
import type { KeyPrecondition, KvColumns, WriteOptions } from './types.js';
import { assert } from '../common/assert.js';
import { checkEntryCount, checkStoreEntry, checkUserMetadata, nonNegativeInt, requireBytes, requireKey } from './validation.js';

/**
 * The store entries of a Set: encodeKey(key) and encodePlainValue(value) per KV (core spec 1.7), the
 * same bytes, built as views of two slabs (keys, values) instead of two concatenations per entry: a
 * 1000-KV Set allocates two buffers, not thousands. Keys and values have separate slabs because the
 * index keeps the keys after commit, the values are dropped once the store has packed them. Checks run
 * per KV in the same order as before (metadata, key, value), all before anything is allocated.
 */
export function plainSetEntries(
  kvs: readonly { readonly key: unknown; readonly value: unknown; readonly metadata?: KvMetadata | undefined }[],
  headerVersion: number | undefined,
): EntryInput[] {
  const n = kvs.length;
  const keys = new Array<Buffer>(n);
  const values = new Array<Buffer>(n);
  const mds = new Array<KvMetadata | undefined>(n);
  let keyBytes = 0;
  let valueBytes = 0;
  for (let i = 0; i < n; i++) {
    const kv = kvs[i] as (typeof kvs)[number];
    mds[i] = checkUserMetadata(kv.metadata, headerVersion);
    const k = requireKey(kv.key);
    const v = requireBytes(kv.value, 'value');
    keys[i] = k;
    values[i] = v;
    keyBytes += 1 + k.length;
    valueBytes += 1 + v.length;
  }
  const kSlab = Buffer.allocUnsafe(keyBytes); // small ones come from node's pool
  const vSlab = Buffer.allocUnsafe(valueBytes);
  const out = new Array<EntryInput>(n);
  let ko = 0;
  let vo = 0;
  for (let i = 0; i < n; i++) {
    const k = keys[i] as Buffer;
    const v = values[i] as Buffer;
    kSlab[ko] = SET_KEY_PREFIX;
    kSlab.set(k, ko + 1);
    const key = kSlab.subarray(ko, ko + 1 + k.length);
    ko += 1 + k.length;
    vSlab[vo] = PLAIN_VALUE_PREFIX;
    vSlab.set(v, vo + 1);
    const value = vSlab.subarray(vo, vo + 1 + v.length);
    vo += 1 + v.length;
    const metadata = mds[i];
    out[i] = metadata === undefined ? { key, value } : { key, value, metadata };
  }
  return out;
}

/**
 * plainSetEntries for KVs given as columns (no metadata): the same entries, checks and errors, without a
 * KeyValue per KV in between and without copying: the byte before each span becomes the store prefix
 * (see KvColumns), so each key and value is one view of the request's bytes.
 */
export function plainSetEntriesFromColumns(kvs: KvColumns): EntryInput[] {
  const { bytes, spans, count: n } = kvs;
  if (n === 0) throw new ImmuError('NO_ENTRIES', 'kvs is empty');
  assert(spans.length >= 4 * n, 'a span per key and value');
  for (let i = 0; i < n; i++) {
    if (spans[4 * i + 1] === 0) throw new ImmuError('KEY_EMPTY', 'key is empty');
  }
  const out = new Array<EntryInput>(n);
  for (let i = 0; i < n; i++) {
    const k = spans[4 * i] as number;
    const v = spans[4 * i + 2] as number;
    assert(k >= 1 && v >= 1 && k !== v, 'each span has a byte of its own before it');
    bytes[k - 1] = SET_KEY_PREFIX;
    bytes[v - 1] = PLAIN_VALUE_PREFIX;
    out[i] = { key: bytes.subarray(k - 1, k + (spans[4 * i + 1] as number)), value: bytes.subarray(v - 1, v + (spans[4 * i + 3] as number)) };
  }
  return out;
}

export function toStorePreconditions(pre: readonly KeyPrecondition[] | undefined): Precondition[] {
  if (pre === undefined) return [];
  if (!Array.isArray(pre)) throw new ImmuError('ILLEGAL_ARGUMENTS', 'preconditions must be a list');
  return pre.map((p): Precondition => {
    const key = encodeKey(requireKey(p.key, 'precondition key'));
    switch (p.kind) {
      case 'mustExist':
      case 'mustNotExist':
        return { kind: p.kind, key };
      case 'notModifiedAfterTx':
        return { kind: p.kind, key, txId: nonNegativeInt(p.txId, 'precondition txId') };
      default:
        throw new ImmuError('ILLEGAL_ARGUMENTS', `unknown precondition kind ${String((p as { kind: unknown }).kind)}`);
    }
  });
}

function txMetadataFor(ctx: DbContext, extra: Buffer | undefined): TxMetadata | undefined {
  if (extra === undefined || extra.length === 0) return undefined;
  if (extra.length > txMetadataExtraBytesMax) {
    throw new ImmuError('METADATA_INVALID', `tx extra is ${extra.length} bytes, max ${txMetadataExtraBytesMax}`);
  }
  if (ctx.store.writeTxHeaderVersion === 0) {
    throw new ImmuError('METADATA_INVALID', 'this database writes tx header version 0, which cannot carry tx metadata');
  }
  return { extra };
}

/** Checks the planned entries of one tx as a whole; DUPLICATED_KEY when two share a store key. */
export function checkPlannedEntries(ctx: DbContext, entries: readonly EntryInput[]): void {
  const store = ctx.store;
  checkEntryCount(entries.length, store.limits);
  if (store.writeTxHeaderVersion === 0 && entries.length > txEntriesMaxHeaderV0) {
    throw new ImmuError('TOO_MANY_ENTRIES', `header version 0 holds at most ${txEntriesMaxHeaderV0} entries`);
  }
  const dup = firstRepeatedKey(entries); // checked in entry order below, as if interleaved with the limits
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as EntryInput;
    checkStoreEntry(e.key, e.value, store.limits);
    if (i === dup) throw new ImmuError('DUPLICATED_KEY', `key ${e.key.subarray(1).toString('hex')} appears twice in one transaction`);
  }
}

/**
 * Index of the first entry whose key repeats an earlier one, or undefined. FNV-1a of each key's bytes into an
 * open-addressing table of entry indexes, bytes compared on a hit: no string or object per entry.
 */
export function firstRepeatedKey(entries: readonly { readonly key: Buffer }[]): number | undefined {
  const n = entries.length;
  if (n < 2) return undefined;
  let cap = 16;
  while (cap < 2 * n) cap *= 2;
  const table = new Int32Array(cap);
  for (let i = 0; i < n; i++) {
    const key = (entries[i] as { readonly key: Buffer }).key;
    let h = 0x811c9dc5;
    for (let j = 0; j < key.length; j++) h = Math.imul(h ^ (key[j] as number), 0x01000193);
    for (let slot = (h >>> 0) & (cap - 1); ; slot = (slot + 1) & (cap - 1)) {
      const other = table[slot] as number;
      if (other === 0) {
        table[slot] = i + 1;
        break;
      }
      if ((entries[other - 1] as { readonly key: Buffer }).key.equals(key)) return i;
    }
  }
  return undefined;
}

/** Commits planned entries and returns the header of the committed tx. */
export async function commitEntries(
  ctx: DbContext,
  entries: readonly EntryInput[],
  opts: WriteOptions,
): Promise<TxHeader> {
  checkPlannedEntries(ctx, entries);
  const preconditions = toStorePreconditions(opts.preconditions);
  const metadata = txMetadataFor(ctx, opts.txExtra);
  const committed = await ctx.store.commit({
    entries,
    ...(metadata !== undefined ? { metadata } : {}),
    ...(preconditions.length > 0 ? { preconditions } : {}),
  });
  if (opts.noWait !== true) await ctx.store.index.waitForIndexedTx(committed.header.id, indexWaitTimeoutMsDefault);
  ctx.logger.debug({ event: 'database.committed', txId: committed.header.id, entries: entries.length });
  return committed.header;
}
