// The building blocks the replica's event handlers share: a mutable draft of the state plus the action
// list being built, and the decisions used from several events (halt, fail and back off, connect when
// drained, request the next tx, allow commits, discard a divergent uncommitted tail, check an
// attestation). Each helper keeps the state invariants listed in checkReplicaInvariants.
import { assert } from '../../src/common/assert.js';
import { nextRandom, reconnectDelayMs } from './backoff.js';
import { pendingAttestationsMax } from './limits.js';
import type { ReplicaAction, ReplicaState, ReportedReplicaState } from './replica-types.js';
import { haltReason, type HaltKind, type TxRef } from './types.js';

export type ReplicaDraft = { -readonly [K in keyof ReplicaState]: ReplicaState[K] };

export interface ReplicaCtx {
  readonly s: ReplicaDraft;
  readonly acts: ReplicaAction[];
  readonly nowMs: number;
}

export function receivedTip(s: ReplicaState): number {
  return s.committed.txId + s.tail.length;
}

/** Verified txs handed to the store and not yet durably precommitted. */
export function queuedCount(s: ReplicaState): number {
  return receivedTip(s) - s.precommittedTxId;
}

/** The local Alh at txId when the core knows it (committed tip or the tail); undefined below the committed tip. */
export function alhAt(s: ReplicaState, txId: number): Buffer | undefined {
  if (txId === s.committed.txId) return s.committed.alh;
  if (txId < s.committed.txId || txId > receivedTip(s)) return undefined;
  return (s.tail[txId - s.committed.txId - 1] as TxRef).alh;
}

function requireAlh(s: ReplicaState, txId: number): Buffer {
  const alh = alhAt(s, txId);
  assert(alh !== undefined, `the core knows the Alh of tx ${txId}`);
  return alh;
}

export function checkReplicaInvariants(s: ReplicaState): void {
  assert(s.committed.txId <= s.allowedTxId, 'committed <= allowed');
  assert(s.allowedTxId <= s.precommittedTxId, 'allowed <= precommitted');
  assert(s.precommittedTxId <= receivedTip(s), 'precommitted <= received tip');
  assert(s.attestedTxId <= receivedTip(s), 'attested <= received tip');
  assert(s.tail.every((t, i) => t.txId === s.committed.txId + i + 1), 'tail is contiguous after committed');
}

export function isHalted(s: ReplicaState): boolean {
  return s.phase.kind === 'halted';
}

export function isStreaming(s: ReplicaState): boolean {
  return s.phase.kind === 'streaming';
}

function isConnected(s: ReplicaState): boolean {
  return s.phase.kind === 'connecting' || s.phase.kind === 'streaming';
}

/** Halts replication of this database: nothing more is fetched, applied or committed until reconfigured. */
export function halt(ctx: ReplicaCtx, kind: HaltKind, message: string, txId?: number): void {
  const { s } = ctx;
  if (s.phase.kind === 'halted') return;
  if (isConnected(s)) ctx.acts.push({ kind: 'disconnect' });
  const reason = haltReason(kind, message, txId);
  s.phase = { kind: 'halted', reason, atMs: ctx.nowMs };
  s.consistencyCheckOutstanding = false;
  ctx.acts.push({ kind: 'halt', reason });
}

/** A retryable failure: drop the connection and wait a bounded, jittered delay before reconnecting. */
export function failAndBackOff(ctx: ReplicaCtx): void {
  const { s } = ctx;
  if (isConnected(s)) ctx.acts.push({ kind: 'disconnect' });
  s.failures += 1;
  const draw = nextRandom(s.rngSeed);
  s.rngSeed = draw.seed;
  const untilMs = ctx.nowMs + reconnectDelayMs(s.failures, draw.value);
  s.phase = { kind: 'backoff', untilMs };
  s.consistencyCheckOutstanding = false;
  ctx.acts.push({ kind: 'wakeAt', atMs: untilMs });
}

/** Reconnect once the delay has passed and every queued apply has finished (so a new session starts clean). */
export function maybeConnect(ctx: ReplicaCtx): void {
  const { s } = ctx;
  const primary = s.config.primary;
  if (s.phase.kind !== 'backoff' || ctx.nowMs < s.phase.untilMs || queuedCount(s) > 0 || primary === undefined) return;
  s.phase = { kind: 'connecting', sinceMs: ctx.nowMs };
  ctx.acts.push({ kind: 'connect', primary });
}

export function reportedState(s: ReplicaState): ReportedReplicaState {
  return { committed: s.committed, precommitted: { txId: s.precommittedTxId, alh: requireAlh(s, s.precommittedTxId) } };
}

/**
 * Ask for the next txs while the apply queue has room. Up to requestsInFlightMax requests stay
 * outstanding for txs the primary is known to hold (committed, or durably precommitted for a sync
 * replica); at the tip a sync replica's next request waits until every received tx is durable, so it
 * carries the ack at once instead of after a long poll, while an async replica long-polls at once.
 */
export function maybeRequest(ctx: ReplicaCtx): void {
  const { s } = ctx;
  const sync = s.config.syncReplication;
  const inFlightMax = s.config.requestsInFlightMax ?? 1;
  // What the primary is known to hold: committed txs, and for a sync replica its durable precommits.
  const primaryTip = Math.max(s.primary.committedTxId, sync ? s.primary.precommittedTxId : 0);
  for (;;) {
    if (s.phase.kind !== 'streaming') return;
    const requests = s.phase.requests;
    if (requests.length >= inFlightMax) return;
    // More than one outstanding only after this session's first tx arrived: a divergence discard (which
    // only the first tx of a session can cause) then never has later answers in flight.
    if (requests.length > 0 && receivedTip(s) < s.sessionFirstTxId) return;
    const next = receivedTip(s) + requests.length + 1;
    const queued = queuedCount(s) + requests.length;
    if (queued >= s.config.prefetchTxsMax) return;
    if (primaryTip < next) {
      // Asking beyond what the primary holds is a long poll. Sync: only once every received tx is
      // durable, so that request carries the ack at once. Async (no ack to carry): at once, but never
      // two long polls in flight (a state-only answer to the first would leave the second out of step).
      // With requestsInFlightMax = 1 (strict request/answer) both wait for durability, as before.
      if (sync || inFlightMax === 1 ? queued > 0 : requests.some((r) => r.txId > primaryTip)) return;
    }
    s.phase = { kind: 'streaming', requests: [...requests, { txId: next, sentAtMs: ctx.nowMs }] };
    ctx.acts.push({
      kind: 'requestTx',
      txId: next,
      epoch: s.epoch,
      allowPrecommitted: sync,
      replicaState: sync ? reportedState(s) : undefined,
    });
  }
}

/** Commit locally exactly what is durable here and attested as committed by the primary. */
export function maybeAllowCommit(ctx: ReplicaCtx): void {
  const { s } = ctx;
  if (s.phase.kind === 'halted') return;
  const target = Math.min(s.attestedTxId, s.precommittedTxId);
  if (target <= s.allowedTxId) return;
  s.allowedTxId = target;
  ctx.acts.push({ kind: 'allowCommitUpTo', txId: target, alh: requireAlh(s, target) });
}

/** Drops the uncommitted, unallowed tail (precommit divergence with allowTxDiscarding). No apply may be queued. */
export function discardTail(ctx: ReplicaCtx): void {
  const { s } = ctx;
  assert(queuedCount(s) === 0, 'discard only with an empty apply queue');
  const from = s.allowedTxId + 1;
  assert(from <= s.precommittedTxId, 'discard needs a discardable tail');
  ctx.acts.push({ kind: 'discardPrecommittedSince', txId: from });
  s.tail = s.tail.slice(0, s.allowedTxId - s.committed.txId);
  s.precommittedTxId = s.allowedTxId;
  s.attestedTxId = Math.min(s.attestedTxId, s.allowedTxId);
  s.pendingAttestations = [];
  s.sessionFirstTxId = s.allowedTxId + 1;
}

/**
 * The primary says tx `txId` has a different Alh than ours. Contradicting a tx it sent in this session is
 * forgery; otherwise it is divergence of history we had before: committed (or allowed) halts always,
 * uncommitted is discarded with allowTxDiscarding. Returns true when the tail was discarded.
 */
export function onAlhMismatch(ctx: ReplicaCtx, txId: number, what: string): boolean {
  const { s } = ctx;
  const tip = receivedTip(s);
  if (txId >= s.sessionFirstTxId || tip >= s.sessionFirstTxId) {
    halt(ctx, 'forged-tx', `${what}: the primary contradicts tx ${txId} it sent in this session`, txId);
    return false;
  }
  if (txId <= s.allowedTxId) {
    halt(ctx, 'commit-divergence', `${what}: committed tx ${txId} differs from the primary's`, txId);
    return false;
  }
  if (!s.config.allowTxDiscarding) {
    halt(ctx, 'precommit-divergence', `${what}: precommitted tx ${txId} differs from the primary's and allowTxDiscarding is off`, txId);
    return false;
  }
  discardTail(ctx);
  return true;
}

/**
 * The primary attests `ref` as committed in its history. Checked against our Alh when we have that tx,
 * remembered (bounded) when we do not yet. Returns false when it halted or discarded.
 */
export function attest(ctx: ReplicaCtx, ref: TxRef, what: string): boolean {
  const { s } = ctx;
  if (ref.txId <= 0) return true;
  if (ref.txId > receivedTip(s)) {
    const same = s.pendingAttestations.find((p) => p.txId === ref.txId);
    if (same !== undefined) {
      if (same.alh.equals(ref.alh)) return true;
      halt(ctx, 'forged-tx', `${what}: the primary attested two Alh values for tx ${ref.txId}`, ref.txId);
      return false;
    }
    const next = [...s.pendingAttestations, ref].sort((a, b) => a.txId - b.txId);
    s.pendingAttestations = next.length > pendingAttestationsMax ? next.slice(next.length - pendingAttestationsMax) : next;
    return true;
  }
  const local = alhAt(s, ref.txId);
  if (local === undefined) return true; // below our committed tip: nothing cheap to compare
  if (!local.equals(ref.alh)) {
    onAlhMismatch(ctx, ref.txId, what);
    return false;
  }
  s.attestedTxId = Math.max(s.attestedTxId, ref.txId);
  return true;
}

/** Checks remembered attestations that the received tip has now reached. */
export function drainPendingAttestations(ctx: ReplicaCtx): boolean {
  const { s } = ctx;
  const tip = receivedTip(s);
  const due = s.pendingAttestations.filter((p) => p.txId <= tip);
  if (due.length === 0) return true;
  s.pendingAttestations = s.pendingAttestations.filter((p) => p.txId > tip);
  for (const p of due) {
    if (!attest(ctx, p, `primary attestation of tx ${p.txId}`)) return false;
  }
  return true;
}
