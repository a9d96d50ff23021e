// The replica state machine for one database: startReplica builds the state from local store facts,
// stepReplica applies one event and returns the new state plus the actions the driver performs in
// order (persist before send). Connection lifecycle, apply bookkeeping, commits and periodic
// consistency checks live here; verifying what the primary sends is in replica-receive.ts.
import { assert, unreachable } from '../../src/common/assert.js';
import { idlePollDelayMs } from './limits.js';
import { pruneLagSamples } from './lag.js';
import {
  alhAt,
  checkReplicaInvariants,
  discardTail,
  failAndBackOff,
  halt,
  maybeAllowCommit,
  maybeConnect,
  maybeRequest,
  queuedCount,
  receivedTip,
  type ReplicaCtx,
  type ReplicaDraft,
} from './replica-ops.js';
import { onReceived } from './replica-receive.js';
import type { ReplicaAction, ReplicaConfig, ReplicaEvent, ReplicaLocalState, ReplicaState, StreamFailure } from './replica-types.js';
import type { Step } from './types.js';

export type ReplicaStep = Step<ReplicaState, ReplicaAction>;

function checkLocal(local: ReplicaLocalState): void {
  const { committed, precommitted, uncommitted } = local;
  assert(Number.isSafeInteger(committed.txId) && committed.txId >= 0, 'committed tx id');
  assert(precommitted.txId >= committed.txId, 'precommitted >= committed');
  assert(uncommitted.length === precommitted.txId - committed.txId, 'uncommitted covers (committed, precommitted]');
  uncommitted.forEach((t, i) => assert(t.txId === committed.txId + i + 1, 'uncommitted is contiguous'));
  const tip = uncommitted[uncommitted.length - 1] ?? committed;
  assert(tip.alh.equals(precommitted.alh), 'uncommitted ends at the precommitted Alh');
  assert(Number.isSafeInteger(local.epoch) && local.epoch >= 0, 'epoch');
}

export function startReplica(config: ReplicaConfig, local: ReplicaLocalState, rngSeed: number, nowMs: number): ReplicaStep {
  checkLocal(local);
  const s: ReplicaDraft = {
    config,
    phase: { kind: 'stopped' },
    committed: local.committed,
    tail: [...local.uncommitted],
    precommittedTxId: local.precommitted.txId,
    allowedTxId: local.committed.txId,
    attestedTxId: local.committed.txId,
    pendingAttestations: [],
    sessionFirstTxId: local.precommitted.txId + 1,
    epoch: local.epoch,
    failures: 0,
    rngSeed: rngSeed >>> 0,
    primary: { committedTxId: 0, precommittedTxId: 0, epoch: undefined, seenAtMs: undefined },
    lagSamples: [],
    consistencyCheckAtMs: nowMs + config.consistencyCheckIntervalMs,
    consistencyCheckOutstanding: false,
    lastConsistencyCheck: undefined,
    verifiedAtStart: local.verifiedAtStart,
  };
  const ctx: ReplicaCtx = { s, acts: [], nowMs };
  if (!local.verifiedAtStart) {
    halt(ctx, 'local-corruption', 'the local store failed verification at start; rebuild this replica');
  } else if (config.primary !== undefined) {
    s.phase = { kind: 'backoff', untilMs: nowMs };
    maybeConnect(ctx);
  }
  return finish(ctx);
}

export function stepReplica(state: ReplicaState, ev: ReplicaEvent): ReplicaStep {
  const ctx: ReplicaCtx = { s: { ...state }, acts: [], nowMs: ev.nowMs };
  switch (ev.kind) {
    case 'configure':
      onConfigure(ctx, ev.config);
      break;
    case 'stop':
      if (ctx.s.phase.kind === 'connecting' || ctx.s.phase.kind === 'streaming') ctx.acts.push({ kind: 'disconnect' });
      ctx.s.phase = { kind: 'stopped' };
      break;
    case 'connected':
      onConnected(ctx);
      break;
    case 'connectFailed':
      if (ctx.s.phase.kind === 'connecting') failAndBackOff(ctx);
      break;
    case 'primarySignatureInvalid':
      if (ctx.s.phase.kind === 'connecting') halt(ctx, 'primary-signature-invalid', ev.message);
      break;
    case 'received':
      onReceived(ctx, ev);
      break;
    case 'streamFailed':
      if (ctx.s.phase.kind === 'connecting' || ctx.s.phase.kind === 'streaming') onStreamFailed(ctx, ev.failure);
      break;
    case 'applied':
      onApplied(ctx, ev.txId, ev.alh);
      break;
    case 'applyFailed':
      onApplyFailed(ctx, ev.txId, ev.failure, ev.message);
      break;
    case 'committed':
      onCommitted(ctx, ev.txId);
      break;
    case 'consistencyChecked':
      onConsistencyChecked(ctx, ev.outcome);
      break;
    case 'localFailure':
      // The driver stops the batch at the failed action and drops queued applies; so does the core.
      ctx.s.tail = ctx.s.tail.slice(0, ctx.s.precommittedTxId - ctx.s.committed.txId);
      ctx.s.attestedTxId = Math.min(ctx.s.attestedTxId, ctx.s.precommittedTxId);
      halt(ctx, 'local-failure', `${ev.operation} failed: ${ev.message}`);
      break;
    case 'tick':
      onTick(ctx);
      break;
    default:
      unreachable(ev, 'replica event');
  }
  return finish(ctx);
}

function finish(ctx: ReplicaCtx): ReplicaStep {
  checkReplicaInvariants(ctx.s);
  return { state: ctx.s, actions: ctx.acts };
}

function onConfigure(ctx: ReplicaCtx, config: ReplicaConfig): void {
  const { s } = ctx;
  s.config = config;
  if (!s.verifiedAtStart) return; // local corruption is sticky: only a rebuild clears it
  if (s.phase.kind === 'connecting' || s.phase.kind === 'streaming') ctx.acts.push({ kind: 'disconnect' });
  s.failures = 0;
  s.pendingAttestations = [];
  if (config.primary === undefined) {
    s.phase = { kind: 'stopped' };
    return;
  }
  s.phase = { kind: 'backoff', untilMs: ctx.nowMs };
  maybeConnect(ctx);
}

function onConnected(ctx: ReplicaCtx): void {
  const { s } = ctx;
  if (s.phase.kind !== 'connecting') return;
  assert(queuedCount(s) === 0, 'a session starts with an empty apply queue');
  s.phase = { kind: 'streaming', requests: [] };
  s.sessionFirstTxId = receivedTip(s) + 1;
  maybeRequest(ctx);
}

function onStreamFailed(ctx: ReplicaCtx, failure: StreamFailure): void {
  const { s } = ctx;
  switch (failure.kind) {
    case 'transient':
      failAndBackOff(ctx);
      return;
    case 'no-new-tx':
      ctx.acts.push({ kind: 'disconnect' });
      s.phase = { kind: 'backoff', untilMs: ctx.nowMs + idlePollDelayMs };
      ctx.acts.push({ kind: 'wakeAt', atMs: s.phase.untilMs });
      return;
    case 'precommit-divergence':
      learnEpochFromRefusal(ctx, failure.primaryEpoch);
      onPrimaryReportedPrecommitDivergence(ctx, failure.message);
      return;
    case 'commit-divergence':
      learnEpochFromRefusal(ctx, failure.primaryEpoch);
      halt(ctx, 'commit-divergence', `the primary reports our committed state diverged: ${failure.message}`, s.committed.txId);
      return;
    case 'stale-epoch':
      halt(ctx, 'stale-epoch', `the primary refused us as a replaced (fenced) primary at epoch ${failure.primaryEpoch}, ours is ${s.epoch}: ${failure.message}`);
      return;
    case 'incompatible':
      halt(ctx, 'incompatible-primary', failure.message);
      return;
    default:
      unreachable(failure, 'stream failure');
  }
}

/**
 * A refusal from an immudb-ts primary carries its epoch: a newer one is persisted like the epoch of
 * any answer (before anything else), so the status, and a failover reading it, know it. An older one
 * decides nothing here: the refusal itself is handled as usual.
 */
function learnEpochFromRefusal(ctx: ReplicaCtx, primaryEpoch: number | undefined): void {
  const { s } = ctx;
  if (primaryEpoch === undefined || primaryEpoch <= s.epoch) return;
  ctx.acts.push({ kind: 'persistEpoch', epoch: primaryEpoch });
  s.epoch = primaryEpoch;
}

function onPrimaryReportedPrecommitDivergence(ctx: ReplicaCtx, message: string): void {
  const { s } = ctx;
  const what = `the primary reports our precommitted state diverged (${message})`;
  if (receivedTip(s) >= s.sessionFirstTxId) {
    halt(ctx, 'forged-tx', `${what}, yet it sent us txs in this session`, s.precommittedTxId);
  } else if (s.precommittedTxId <= s.allowedTxId) {
    halt(ctx, 'commit-divergence', `${what}, and nothing uncommitted is left to discard`, s.precommittedTxId);
  } else if (!s.config.allowTxDiscarding) {
    halt(ctx, 'precommit-divergence', `${what} and allowTxDiscarding is off`, s.precommittedTxId);
  } else {
    ctx.acts.push({ kind: 'disconnect' });
    discardTail(ctx);
    s.phase = { kind: 'backoff', untilMs: ctx.nowMs };
    maybeConnect(ctx);
  }
}

function onApplied(ctx: ReplicaCtx, txId: number, alh: Buffer): void {
  const { s } = ctx;
  assert(txId === s.precommittedTxId + 1, `applied tx ${txId} is the next one (${s.precommittedTxId + 1})`);
  const expected = alhAt(s, txId);
  assert(expected !== undefined && expected.equals(alh), `the store's Alh of tx ${txId} is the one the core verified`);
  s.precommittedTxId = txId;
  maybeAllowCommit(ctx);
  maybeRequest(ctx);
  maybeConnect(ctx);
}

function onApplyFailed(ctx: ReplicaCtx, txId: number, failure: 'chain' | 'transient', message: string): void {
  const { s } = ctx;
  assert(txId === s.precommittedTxId + 1, `failed tx ${txId} is the next one`);
  // The driver drops every apply queued behind the failed one; so does the core.
  s.tail = s.tail.slice(0, s.precommittedTxId - s.committed.txId);
  s.attestedTxId = Math.min(s.attestedTxId, s.precommittedTxId);
  if (failure === 'chain') {
    halt(ctx, 'forged-tx', `the store refused tx ${txId}: ${message}`, txId);
  } else if (s.phase.kind === 'connecting' || s.phase.kind === 'streaming') {
    failAndBackOff(ctx);
  }
}

function onCommitted(ctx: ReplicaCtx, txId: number): void {
  const { s } = ctx;
  if (txId <= s.committed.txId) return;
  assert(txId <= s.allowedTxId, `the store committed tx ${txId} within the allowance ${s.allowedTxId}`);
  const alh = alhAt(s, txId);
  assert(alh !== undefined, 'committed tx is in the tail');
  s.tail = s.tail.slice(txId - s.committed.txId);
  s.committed = { txId, alh };
  s.lagSamples = pruneLagSamples(s.lagSamples, txId);
}

function onConsistencyChecked(ctx: ReplicaCtx, outcome: Extract<ReplicaEvent, { kind: 'consistencyChecked' }>['outcome']): void {
  const { s } = ctx;
  s.consistencyCheckOutstanding = false;
  s.consistencyCheckAtMs = ctx.nowMs + s.config.consistencyCheckIntervalMs;
  if (outcome.kind === 'mismatch') {
    halt(ctx, 'consistency-proof-failed', `committed tx ${s.committed.txId} is not provably in the primary's history: ${outcome.message}`, s.committed.txId);
  } else if (outcome.kind === 'signature-invalid') {
    halt(ctx, 'primary-signature-invalid', outcome.message);
  } else if (outcome.kind === 'ok') {
    s.lastConsistencyCheck = { atMs: ctx.nowMs, txId: s.committed.txId, primaryTxId: outcome.primaryTxId };
  }
}

function onTick(ctx: ReplicaCtx): void {
  const { s } = ctx;
  if (s.phase.kind === 'backoff') {
    maybeConnect(ctx);
    return;
  }
  if (s.phase.kind !== 'streaming') return;
  const req = s.phase.requests[0];
  if (req !== undefined && ctx.nowMs - req.sentAtMs > s.config.responseTimeoutMs) {
    failAndBackOff(ctx);
    return;
  }
  if (!s.consistencyCheckOutstanding && ctx.nowMs >= s.consistencyCheckAtMs && s.committed.txId > 0) {
    s.consistencyCheckOutstanding = true;
    ctx.acts.push({ kind: 'checkConsistency', committed: s.committed });
  }
}
