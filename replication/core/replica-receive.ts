// What a replica does with one answer from its primary: fence on the epoch (persist a newer one before
// anything that depends on it), verify the tx before it may be applied, check every Alh the primary
// attests, then hand the verified tx to the store, allow commits and ask for the next tx.
import { assert } from '../../src/common/assert.js';
import { checkExportedTx } from './export-payload.js';
import { recordPrimaryCommitted } from './lag.js';
import {
  alhAt,
  attest,
  drainPendingAttestations,
  failAndBackOff,
  halt,
  isHalted,
  isStreaming,
  maybeAllowCommit,
  maybeRequest,
  onAlhMismatch,
  receivedTip,
  type ReplicaCtx,
} from './replica-ops.js';
import type { ReplicaAction, ReplicaEvent } from './replica-types.js';

type Received = Extract<ReplicaEvent, { kind: 'received' }>;

export function onReceived(ctx: ReplicaCtx, ev: Received): void {
  const { s } = ctx;
  if (s.phase.kind !== 'streaming') return; // a late answer to an old stream
  const [first, ...rest] = s.phase.requests;
  if (first === undefined) return;
  const requested = first.txId;
  s.phase = { kind: 'streaming', requests: rest };
  if (!fenceEpoch(ctx, ev.primaryEpoch ?? 0)) return;
  if (requested !== receivedTip(s) + 1) {
    // A pipelined request whose predecessor came back empty (the primary no longer holds what it
    // reported): the stream is out of step. Start a new session; nothing was accepted from it.
    failAndBackOff(ctx);
    return;
  }
  s.failures = 0;
  s.primary = {
    committedTxId: ev.primaryCommittedTxId,
    precommittedTxId: Math.max(ev.primaryCommittedTxId, ev.primaryPrecommittedTxId ?? 0),
    epoch: ev.primaryEpoch,
    seenAtMs: ctx.nowMs,
  };
  s.lagSamples = recordPrimaryCommitted(s.lagSamples, ev.primaryCommittedTxId, ctx.nowMs);
  if (s.config.syncReplication && ev.mayCommitUpTo === undefined) {
    halt(ctx, 'incompatible-primary', 'the primary answered without may-commit-up-to metadata: it is not running with synchronous replication');
    return;
  }
  let apply: ReplicaAction | undefined;
  if (ev.payload.length > 0) {
    const outcome = acceptTx(ctx, ev, requested);
    if (outcome === 'stop') return;
    if (outcome === 'discarded') {
      maybeRequest(ctx);
      return;
    }
    apply = outcome;
  }
  if (!attestFromMetadata(ctx, ev)) {
    // Never handed to the store: forget it. (A discard cannot happen here once a tx was accepted.)
    if (apply !== undefined && isHalted(s)) s.tail = s.tail.slice(0, s.tail.length - 1);
    if (isStreaming(s)) maybeRequest(ctx);
    return;
  }
  if (apply !== undefined) ctx.acts.push(apply);
  maybeAllowCommit(ctx);
  maybeRequest(ctx);
}

/** Refuses a primary from an older epoch; persists a newer one first. Returns false when halted. */
function fenceEpoch(ctx: ReplicaCtx, primaryEpoch: number): boolean {
  const { s } = ctx;
  if (primaryEpoch < s.epoch) {
    halt(ctx, 'stale-epoch', `the primary is at epoch ${primaryEpoch}, older than epoch ${s.epoch} this replica has followed`);
    return false;
  }
  if (primaryEpoch > s.epoch) {
    ctx.acts.push({ kind: 'persistEpoch', epoch: primaryEpoch });
    s.epoch = primaryEpoch;
  }
  return true;
}

/** Verifies the tx; on success appends it to the tail and returns its applyTx action (emitted after all checks). */
function acceptTx(ctx: ReplicaCtx, ev: Received, requested: number): ReplicaAction | 'stop' | 'discarded' {
  const { s } = ctx;
  const prevAlh = alhAt(s, requested - 1);
  assert(prevAlh !== undefined, 'the requested tx follows the received tip');
  const check = checkExportedTx(ev.payload, { txId: requested, prevAlh });
  if (check.kind === 'rejected') {
    if (check.failure !== 'prev-alh-mismatch') {
      halt(ctx, 'forged-tx', `${check.failure}: ${check.message}`, requested);
      return 'stop';
    }
    return onAlhMismatch(ctx, requested - 1, `tx ${requested} prevAlh`) ? 'discarded' : 'stop';
  }
  s.tail = [...s.tail, { txId: requested, alh: check.alh }];
  if (!s.config.syncReplication) {
    // Async primaries export committed txs only: a tx that chains on attests its predecessor.
    s.attestedTxId = Math.max(s.attestedTxId, requested - 1);
    // immudb primaries send no committed Alh: the chain is all there is (immudb's own guarantee).
    if (ev.primaryCommittedAlh === undefined) s.attestedTxId = requested;
  }
  return { kind: 'applyTx', txId: requested, alh: check.alh, payload: ev.payload };
}

function attestFromMetadata(ctx: ReplicaCtx, ev: Received): boolean {
  const { s } = ctx;
  if (ev.primaryCommittedAlh !== undefined) {
    const ref = { txId: ev.primaryCommittedTxId, alh: ev.primaryCommittedAlh };
    if (!attest(ctx, ref, `the primary's committed state at tx ${ref.txId}`)) return false;
  }
  if (s.config.syncReplication && ev.mayCommitUpTo !== undefined) {
    if (!attest(ctx, ev.mayCommitUpTo, `may-commit-up-to tx ${ev.mayCommitUpTo.txId}`)) return false;
  }
  assert(receivedTip(s) >= s.attestedTxId, 'attested within the received tip');
  return drainPendingAttestations(ctx);
}
