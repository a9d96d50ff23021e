// Replication lag in transactions and milliseconds, from observations only. Lag in ms is "how long ago
// did the primary first report a committed tx this replica has still not committed", computed from
// (primary committed tx id, time seen) samples; with no clock shared between nodes that is the honest
// measure. Samples are bounded: when full, the second oldest is dropped, which keeps the oldest time
// (so lag is never under-reported for the oldest missing tx) at the price of coarser steps.
import { lagSamplesMax } from './limits.js';

export interface LagSample {
  readonly txId: number;
  readonly seenAtMs: number;
}

export interface Lag {
  readonly lagTxs: number;
  readonly lagMs: number;
}

/** Records that the primary reported `txId` committed at `nowMs`; only increases are kept. */
export function recordPrimaryCommitted(samples: readonly LagSample[], txId: number, nowMs: number): readonly LagSample[] {
  const last = samples[samples.length - 1];
  if (last !== undefined && txId <= last.txId) return samples;
  const next = [...samples, { txId, seenAtMs: nowMs }];
  if (next.length > lagSamplesMax) next.splice(1, 1);
  return next;
}

/** Drops samples the replica has caught up with. */
export function pruneLagSamples(samples: readonly LagSample[], localCommittedTxId: number): readonly LagSample[] {
  const firstMissing = samples.findIndex((s) => s.txId > localCommittedTxId);
  if (firstMissing === 0) return samples;
  return firstMissing < 0 ? [] : samples.slice(firstMissing);
}

export function computeLag(samples: readonly LagSample[], primaryCommittedTxId: number, localCommittedTxId: number, nowMs: number): Lag {
  const lagTxs = Math.max(0, primaryCommittedTxId - localCommittedTxId);
  if (lagTxs === 0) return { lagTxs, lagMs: 0 };
  const oldest = samples.find((s) => s.txId > localCommittedTxId);
  if (oldest === undefined) return { lagTxs, lagMs: 0 };
  return { lagTxs, lagMs: Math.max(0, nowMs - oldest.seenAtMs) };
}
