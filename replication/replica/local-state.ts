// What a replica driver reads from its own store before it may replicate (design checklist, replica 1):
// the store's files verified from tx 1 (a failure makes the replica halt for good and never promotable),
// the committed tip, the durably precommitted tip and the Alh of every tx in between. Nothing is written.
import type { Logger } from '../../src/common/log.js';
import { EMPTY_HASH } from '../../src/proof/index.js';
import { txAlh } from '../../src/proof/tx-header.js';
import type { ImmuStore } from '../../src/store/immu-store.js';
import type { StoreIndex } from '../../src/store/store-index.js';
import type { StoreState } from '../../src/store/types.js';
import type { ReplicaLocalState, TxRef } from '../core/index.js';

export type LocalStateStore = Pick<
  ImmuStore<StoreIndex>,
  'verify' | 'precommittedState' | 'committedState' | 'durablePrecommittedState' | 'waitForDurablePrecommit' | 'txHeader'
>;

/** A store state as the core's TxRef: tx 0 is the empty history, whose Alh is EMPTY_HASH. */
export function txRefOf(s: StoreState): TxRef {
  return { txId: s.txId, alh: s.txId === 0 ? EMPTY_HASH : s.alh };
}

/** Runs store.verify(); false (logged as replication.local_corruption) when the files do not verify. */
export async function verifyLocalStore(store: LocalStateStore, database: string, log: Logger): Promise<boolean> {
  try {
    const report = await store.verify();
    log.info({ event: 'replication.local_verified', db: database, txId: report.lastTxId }, 'replica store verified');
    return true;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    log.error({ event: 'replication.local_corruption', db: database, code, err: (err as Error).message }, 'replica store failed verification');
    return false;
  }
}

export async function readLocalState(store: LocalStateStore, epoch: number, verifiedAtStart: boolean): Promise<ReplicaLocalState> {
  if (!verifiedAtStart) {
    const committed = txRefOf(store.committedState());
    return { committed, precommitted: committed, uncommitted: [], epoch, verifiedAtStart };
  }
  // After a restart the recovered tail is precommitted but not yet fsynced by this process: wait for it.
  await store.waitForDurablePrecommit(store.precommittedState().txId);
  const committed = txRefOf(store.committedState());
  const precommitted = txRefOf(store.durablePrecommittedState());
  const uncommitted: TxRef[] = [];
  for (let id = committed.txId + 1; id <= precommitted.txId; id++) {
    uncommitted.push({ txId: id, alh: txAlh(await store.txHeader(id, { allowPrecommitted: true })) });
  }
  return { committed, precommitted, uncommitted, epoch, verifiedAtStart };
}
