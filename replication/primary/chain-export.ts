// Exports from a replica database to a chained replica (immudb lets replicas feed replicas). A replica
// has no primary driver: it serves only what it committed (verified and attested), to async replicas
// only, long-polling like a primary (answering at once a replica behind its epoch) and carrying the
// epoch it follows. A sync request is refused with
// REPLICATION_HALTED (scope configuration): acks through a chain would not mean what sync promises.
import { ImmuError, isImmuError } from '../../src/common/errors.js';
import type { ExportAnswer, ExportRequest, PrimaryStore } from './primary-driver.js';
import { exportLongPollWindowMs } from './limits.js';

export async function exportFromReplica(
  store: Pick<PrimaryStore, 'committedState' | 'committedTxId' | 'waitForCommit' | 'exportTx'>,
  req: ExportRequest,
  epoch: number,
  windowMs = exportLongPollWindowMs,
): Promise<ExportAnswer> {
  if (req.state !== undefined) {
    throw new ImmuError('REPLICATION_HALTED', 'this database is a replica: it feeds async replicas only (no replica state expected)', {
      scope: 'configuration',
      epoch,
    });
  }
  if (!Number.isSafeInteger(req.txId) || req.txId < 1) throw new ImmuError('INVALID_ARGUMENT', `tx must be a positive tx id, not ${req.txId}`, { field: 'tx' });
  // A chained replica behind our epoch is answered at once, so it learns the epoch in one round trip.
  const behind = req.epoch !== undefined && req.epoch < epoch;
  if (store.committedTxId() < req.txId && !behind) {
    try {
      await store.waitForCommit(req.txId, windowMs);
    } catch (err) {
      if (!isImmuError(err, 'TIMEOUT')) throw err;
    }
  }
  const ready = store.committedTxId() >= req.txId;
  const payload = ready ? await store.exportTx(req.txId) : Buffer.alloc(0);
  return { payload, committed: store.committedState(), mayCommitUpTo: undefined, epoch };
}
