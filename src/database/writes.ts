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
import { encodeKey } from '../proof/kv-encoding.js';
import type { KeyPrecondition, WriteOptions } from './types.js';
import { checkEntryCount, checkStoreEntry, nonNegativeInt, requireKey } from './validation.js';

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
  const seen = new Set<string>();
  for (const e of entries) {
    checkStoreEntry(e.key, e.value, store.limits);
    const k = e.key.toString('latin1'); // one byte per char: cheaper to build and hash than hex
    if (seen.has(k)) throw new ImmuError('DUPLICATED_KEY', `key ${e.key.subarray(1).toString('hex')} appears twice in one transaction`);
    seen.add(k);
  }
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
