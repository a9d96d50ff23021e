// Normalised reads of the key index and of txs: "nothing there" is always `undefined` here, whether the
// index resolved undefined or rejected with KEY_NOT_FOUND, and waits for the index go through one place.
// Tx ids beyond the committed state are refused before the store is asked.
import { ImmuError, isImmuError } from '../common/errors.js';
import { indexWaitTimeoutMsDefault } from '../common/limits.js';
import type { IndexedValue, StoredTx } from '../store/types.js';
import type { DbContext } from './context.js';
import type { Awaitable } from './store-api.js';

/** Runs one index lookup; KEY_NOT_FOUND (thrown or rejected) becomes undefined. */
export async function orUndefined(read: () => Awaitable<IndexedValue | undefined>): Promise<IndexedValue | undefined> {
  try {
    return await read();
  } catch (err) {
    if (isImmuError(err, 'KEY_NOT_FOUND')) return undefined;
    throw err;
  }
}

export function latestVersion(ctx: DbContext, storeKey: Buffer): Promise<IndexedValue | undefined> {
  return orUndefined(() => ctx.store.index.get(storeKey));
}

/** sinceTx must not pass the committed state; returns the tx the index must reach (default: committed). */
export function checkSinceTx(ctx: DbContext, sinceTx: number): number {
  const committed = ctx.store.committedState().txId;
  if (sinceTx > committed) {
    throw new ImmuError('TX_BEYOND_STATE', `sinceTx ${sinceTx} is beyond the committed state ${committed}`);
  }
  return sinceTx === 0 ? committed : sinceTx;
}

/** Waits until the index holds sinceTx (or the committed state), unless noWait. */
export async function waitForIndex(ctx: DbContext, sinceTx: number, noWait: boolean): Promise<void> {
  const target = checkSinceTx(ctx, sinceTx);
  if (noWait) return;
  await ctx.store.index.waitForIndexedTx(target, indexWaitTimeoutMsDefault);
}

/** A committed tx; TX_NOT_FOUND for 0 and for ids past the committed state. */
export async function readCommittedTx(ctx: DbContext, txId: number): Promise<StoredTx> {
  const committed = ctx.store.committedState().txId;
  if (txId < 1 || txId > committed) {
    throw new ImmuError('TX_NOT_FOUND', `tx ${txId} does not exist (committed state is ${committed})`);
  }
  return ctx.store.readTx(txId);
}
