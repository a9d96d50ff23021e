// The primary side of sync replication, as a pure step function: validate each replica's reported state
// against our own history, count durable precommits as acks, move the commit allowance to the tx that
// `syncAcks` replicas hold, release or time out waiting writes, and fence ourselves when a replica
// follows a newer epoch. Settings changes are ordinary events, so a blocked primary can always be
// reconfigured (immudb's hangs, cluster spec 3.7).
import { assert, unreachable } from '../../src/common/assert.js';
import { reportingReplicasMax, syncAckTimeoutMsMax } from './limits.js';
import type { PrimaryAction, PrimaryConfig, PrimaryEvent, PrimaryState, ReplicaView, Waiter } from './primary-types.js';
import type { ReportedReplicaState } from './replica-types.js';
import { GENESIS, type Step, type TxRef } from './types.js';

export type PrimaryStep = Step<PrimaryState, PrimaryAction>;
type Draft = { -readonly [K in keyof PrimaryState]: PrimaryState[K] };
interface Ctx {
  readonly s: Draft;
  readonly acts: PrimaryAction[];
  readonly nowMs: number;
}

export function checkPrimaryConfig(config: PrimaryConfig): void {
  assert(Number.isSafeInteger(config.syncAcks) && config.syncAcks >= 0, 'syncAcks is a non-negative integer');
  assert(
    Number.isSafeInteger(config.syncAckTimeoutMs) && config.syncAckTimeoutMs >= 1 && config.syncAckTimeoutMs <= syncAckTimeoutMsMax,
    `syncAckTimeoutMs in 1..${syncAckTimeoutMsMax}`,
  );
}

export interface PrimaryStart {
  readonly database: string;
  readonly epoch: number;
  readonly config: PrimaryConfig;
  readonly committed: TxRef;
  readonly precommitted: TxRef;
}

export function startPrimary(start: PrimaryStart, nowMs: number): PrimaryStep {
  checkPrimaryConfig(start.config);
  assert(start.precommitted.txId >= start.committed.txId, 'precommitted >= committed');
  const s: Draft = {
    database: start.database,
    epoch: start.epoch,
    config: start.config,
    committed: start.committed,
    precommitted: start.precommitted,
    allowedTxId: start.committed.txId,
    replicas: [],
    waiters: [],
    fencedByEpoch: undefined,
  };
  const ctx: Ctx = { s, acts: [], nowMs };
  advanceAllowance(ctx);
  return { state: s, actions: ctx.acts };
}

export function stepPrimary(state: PrimaryState, ev: PrimaryEvent): PrimaryStep {
  const ctx: Ctx = { s: { ...state }, acts: [], nowMs: ev.nowMs };
  const { s } = ctx;
  switch (ev.kind) {
    case 'configure':
      checkPrimaryConfig(ev.config);
      s.config = ev.config;
      advanceAllowance(ctx);
      expireWaiters(ctx);
      break;
    case 'precommitted':
      assert(ev.tx.txId >= s.precommitted.txId, 'the precommitted tip does not move backwards');
      s.precommitted = ev.tx;
      advanceAllowance(ctx);
      break;
    case 'committed':
      assert(ev.tx.txId <= s.allowedTxId, `commit ${ev.tx.txId} within the allowance ${s.allowedTxId}`);
      if (ev.tx.txId > s.committed.txId) s.committed = ev.tx;
      releaseWaiters(ctx);
      break;
    case 'writeWaiting':
      onWriteWaiting(ctx, ev.waitId, ev.txId);
      break;
    case 'replicaRequest':
      onReplicaRequest(ctx, ev);
      break;
    case 'tick':
      expireWaiters(ctx);
      break;
    case 'close':
      for (const w of s.waiters) ctx.acts.push(failure(w, 'STORE_CLOSED', `the database closed while tx ${w.txId} waited for replica acks; it stays precommitted`, {}));
      s.waiters = [];
      break;
    default:
      unreachable(ev, 'primary event');
  }
  assert(s.committed.txId <= s.allowedTxId && s.allowedTxId <= s.precommitted.txId, 'committed <= allowed <= precommitted');
  return { state: s, actions: ctx.acts };
}

/** Replicas whose precommitted tip counts: same epoch, same history. */
export function ackingReplicas(s: PrimaryState): readonly ReplicaView[] {
  return s.replicas.filter((r) => r.standing === 'acking' && r.epoch === s.epoch);
}

/** How many replicas hold tx `txId` durably precommitted with our Alh. */
export function acksFor(s: PrimaryState, txId: number): readonly string[] {
  return ackingReplicas(s)
    .filter((r) => r.precommitted.txId >= txId)
    .map((r) => r.replicaId);
}

/** The tx that `syncAcks` replicas hold (the syncAcks-th highest tip), or undefined with too few acks. */
export function commitTarget(s: PrimaryState): number | undefined {
  if (s.fencedByEpoch !== undefined) return undefined;
  if (s.config.unsafeCanary !== undefined || s.config.syncAcks === 0) return s.precommitted.txId;
  const tips = ackingReplicas(s)
    .map((r) => Math.min(r.precommitted.txId, s.precommitted.txId))
    .sort((a, b) => b - a);
  return tips[s.config.syncAcks - 1];
}

function advanceAllowance(ctx: Ctx): void {
  const target = commitTarget(ctx.s);
  if (target === undefined || target <= ctx.s.allowedTxId) return;
  ctx.s.allowedTxId = target;
  ctx.acts.push({ kind: 'allowCommitUpTo', txId: target });
}

function releaseWaiters(ctx: Ctx): void {
  const { s } = ctx;
  const done = s.waiters.filter((w) => w.txId <= s.committed.txId);
  if (done.length === 0) return;
  for (const w of done) ctx.acts.push({ kind: 'releaseWrite', waitId: w.waitId, txId: w.txId });
  s.waiters = s.waiters.filter((w) => w.txId > s.committed.txId);
}

function failure(w: Waiter, code: 'SYNC_ACK_TIMEOUT' | 'REPLICATION_STALE_EPOCH' | 'STORE_CLOSED', message: string, details: Record<string, unknown>): PrimaryAction {
  return { kind: 'failWrite', waitId: w.waitId, txId: w.txId, error: { code, message, details: { txId: w.txId, stillPrecommitted: true, ...details } } };
}

function onWriteWaiting(ctx: Ctx, waitId: string, txId: number): void {
  const { s } = ctx;
  assert(txId >= 1 && txId <= s.precommitted.txId, `a waiting write's tx ${txId} is durably precommitted`);
  assert(!s.waiters.some((w) => w.waitId === waitId), `wait id ${waitId} is unique`);
  const w: Waiter = { waitId, txId, sinceMs: ctx.nowMs };
  if (s.fencedByEpoch !== undefined) {
    ctx.acts.push(failure(w, 'REPLICATION_STALE_EPOCH', staleMessage(s), { epoch: s.epoch, newerEpoch: s.fencedByEpoch }));
    return;
  }
  if (txId <= s.committed.txId) {
    ctx.acts.push({ kind: 'releaseWrite', waitId, txId });
    return;
  }
  s.waiters = [...s.waiters, w];
}

/** A write times out only while its tx is not allowed to commit; an allowed tx is about to commit. */
function expireWaiters(ctx: Ctx): void {
  const { s } = ctx;
  const timeoutMs = s.config.syncAckTimeoutMs;
  const expired = s.waiters.filter((w) => w.txId > s.allowedTxId && ctx.nowMs - w.sinceMs >= timeoutMs);
  if (expired.length === 0) return;
  for (const w of expired) {
    const ackedBy = acksFor(s, w.txId);
    const message =
      `tx ${w.txId} was not acknowledged by ${s.config.syncAcks} replica(s) within ${timeoutMs} ms: ` +
      `${ackedBy.length} ack(s) arrived${ackedBy.length > 0 ? ` (from ${ackedBy.join(', ')})` : ''}; ` +
      'the tx stays precommitted and commits once enough replicas acknowledge it';
    ctx.acts.push(failure(w, 'SYNC_ACK_TIMEOUT', message, { acks: ackedBy.length, acksRequired: s.config.syncAcks, ackedBy, syncAckTimeoutMs: timeoutMs }));
  }
  s.waiters = s.waiters.filter((w) => !expired.includes(w));
}

function staleMessage(s: PrimaryState): string {
  return `this primary is at epoch ${s.epoch} but a replica follows epoch ${String(s.fencedByEpoch)}: it was replaced and accepts no commits`;
}

type Request = Extract<PrimaryEvent, { kind: 'replicaRequest' }>;

function onReplicaRequest(ctx: Ctx, ev: Request): void {
  const { s } = ctx;
  if (ev.epoch > s.epoch) {
    const first = s.fencedByEpoch === undefined;
    s.fencedByEpoch = Math.max(s.fencedByEpoch ?? 0, ev.epoch);
    ctx.acts.push({ kind: 'rejectReplica', replicaId: ev.replicaId, code: 'REPLICATION_STALE_EPOCH', scope: 'epoch', message: staleMessage(s) });
    if (first) ctx.acts.push({ kind: 'fenced', epoch: ev.epoch, replicaId: ev.replicaId });
    for (const w of s.waiters) ctx.acts.push(failure(w, 'REPLICATION_STALE_EPOCH', staleMessage(s), { epoch: s.epoch, newerEpoch: s.fencedByEpoch }));
    s.waiters = [];
    return;
  }
  if (s.fencedByEpoch !== undefined) {
    // A replaced primary feeds nobody: anything it sends now could only become divergence elsewhere.
    ctx.acts.push({ kind: 'rejectReplica', replicaId: ev.replicaId, code: 'REPLICATION_STALE_EPOCH', scope: 'epoch', message: staleMessage(s) });
    return;
  }
  if (ev.state === undefined) {
    ctx.acts.push({ kind: 'answerReplica', replicaId: ev.replicaId, epoch: s.epoch, mayCommitUpTo: undefined });
    return;
  }
  if (s.config.syncAcks === 0 && s.config.unsafeCanary === undefined) {
    ctx.acts.push({ kind: 'rejectReplica', replicaId: ev.replicaId, code: 'REPLICATION_HALTED', scope: 'configuration', message: 'illegal state: replica state was NOT expected (this primary is not running with synchronous replication)' });
    return;
  }
  const divergence = validateReport(s, ev.state, ev.primaryAlhAtCommitted, ev.primaryAlhAtPrecommitted);
  const standing = divergence !== undefined ? 'diverged' : ev.epoch < s.epoch ? 'stale-epoch' : 'acking';
  upsertReplica(ctx, {
    replicaId: ev.replicaId,
    epoch: ev.epoch,
    committed: ev.state.committed,
    precommitted: ev.state.precommitted,
    lastSeenMs: ctx.nowMs,
    standing,
    divergence: divergence?.message,
  });
  if (divergence !== undefined) {
    ctx.acts.push({ kind: 'rejectReplica', replicaId: ev.replicaId, code: 'REPLICATION_DIVERGENCE', scope: divergence.scope, message: divergence.message });
    return;
  }
  advanceAllowance(ctx);
  const p = ev.state.precommitted;
  const mayCommitUpTo = p.txId < s.committed.txId ? p : s.committed;
  ctx.acts.push({ kind: 'answerReplica', replicaId: ev.replicaId, epoch: s.epoch, mayCommitUpTo });
}

interface Divergence {
  readonly scope: 'commit' | 'precommit';
  readonly message: string;
}

/** A replica's history must be a prefix of ours: same Alh at its committed and precommitted tips. */
function validateReport(s: PrimaryState, r: ReportedReplicaState, alhAtCommitted: Buffer | undefined, alhAtPrecommitted: Buffer | undefined): Divergence | undefined {
  const ours = (ref: TxRef, looked: Buffer | undefined): Buffer | undefined => (ref.txId === 0 ? GENESIS.alh : ref.txId > s.precommitted.txId ? undefined : looked);
  const c = ours(r.committed, alhAtCommitted);
  if (c === undefined || !c.equals(r.committed.alh)) {
    return { scope: 'commit', message: `replica commit state diverged from primary's: committed tx ${r.committed.txId} is not in our history` };
  }
  const p = ours(r.precommitted, alhAtPrecommitted);
  if (r.precommitted.txId < r.committed.txId || p === undefined || !p.equals(r.precommitted.alh)) {
    return { scope: 'precommit', message: `replica precommit state diverged from primary's: precommitted tx ${r.precommitted.txId} is not in our history` };
  }
  return undefined;
}

function upsertReplica(ctx: Ctx, view: ReplicaView): void {
  const { s } = ctx;
  const others = s.replicas.filter((r) => r.replicaId !== view.replicaId);
  // A report replaces the previous one: a replica that discarded or was rebuilt reports less, which lowers
  // no allowance already given (the allowance never moves backwards).
  const next = [...others, view];
  next.sort((a, b) => b.lastSeenMs - a.lastSeenMs || a.replicaId.localeCompare(b.replicaId));
  s.replicas = next.slice(0, reportingReplicasMax).sort((a, b) => a.replicaId.localeCompare(b.replicaId));
}
