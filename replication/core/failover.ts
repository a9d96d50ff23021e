// The failover decision behind `immuadmin database failover`: from what each node reports, pick the most
// advanced healthy replica whose history extends every other healthy replica's (same Alh at the other's
// tips), raise the epoch past every epoch seen, and list the repoints; or refuse with a typed reason.
// Two pure calls: failoverProbes says which Alh values the tool must read (header at a tx id on a node),
// decideFailover decides from the reports plus those reads.
import type { ReplicationRole } from './status.js';
import type { HaltKind, TxRef } from './types.js';

export interface FailoverCandidate {
  readonly node: string;
  readonly reachable: boolean;
  /** From the status RPC; undefined when unreachable. */
  readonly role: ReplicationRole | undefined;
  readonly epoch: number;
  /** ReplicationStatus.promotable: a running, non-halted replica whose files verified at start. */
  readonly promotable: boolean;
  readonly halt: HaltKind | undefined;
  readonly committed: TxRef;
  readonly precommitted: TxRef;
}

export interface AlhProbe {
  readonly node: string;
  readonly txId: number;
}

export interface AlhProbeResult extends AlhProbe {
  /** The node's Alh at txId (precommitted allowed), or undefined when it could not be read. */
  readonly alh: Buffer | undefined;
}

export interface FailoverOptions {
  /** Allow promoting while the current primary still answers (a planned switchover); it gets demoted. */
  readonly switchover: boolean;
}

export type FailoverStep =
  | { readonly kind: 'promote'; readonly node: string; readonly epoch: number }
  | { readonly kind: 'repoint'; readonly node: string; readonly primaryNode: string }
  | { readonly kind: 'demote'; readonly node: string; readonly primaryNode: string };

export type FailoverRefusal = 'no-candidates' | 'primary-reachable' | 'no-healthy-candidate' | 'divergent-histories' | 'incomplete-probes';

export interface SkippedNode {
  readonly node: string;
  readonly reason: string;
}

export type FailoverDecision =
  | {
      readonly kind: 'promote';
      readonly node: string;
      readonly newEpoch: number;
      /** In order: promote (persists the new epoch) first, then demote/repoint the others. */
      readonly steps: readonly FailoverStep[];
      readonly skipped: readonly SkippedNode[];
    }
  | { readonly kind: 'refuse'; readonly reason: FailoverRefusal; readonly message: string; readonly skipped: readonly SkippedNode[] };

function skipReason(c: FailoverCandidate): string | undefined {
  if (!c.reachable) return 'unreachable';
  if (c.role === 'primary') return 'is a primary';
  if (!c.promotable) return c.halt !== undefined ? `halted (${c.halt})` : 'not promotable (its replicator is not running, or its files failed verification at start)';
  return undefined;
}

/** Most advanced first: precommitted tip (promotion keeps it), then committed tip, then node name. */
function byProgress(a: FailoverCandidate, b: FailoverCandidate): number {
  return b.precommitted.txId - a.precommitted.txId || b.committed.txId - a.committed.txId || a.node.localeCompare(b.node);
}

function healthy(candidates: readonly FailoverCandidate[]): FailoverCandidate[] {
  return candidates.filter((c) => skipReason(c) === undefined).sort(byProgress);
}

/** The Alh reads decideFailover needs: the chosen node's Alh at each other healthy node's tips. */
export function failoverProbes(candidates: readonly FailoverCandidate[]): readonly AlhProbe[] {
  const [chosen, ...others] = healthy(candidates);
  if (chosen === undefined) return [];
  const ids = new Set<number>();
  for (const o of others) {
    for (const t of [o.committed.txId, o.precommitted.txId]) if (t > 0 && t < chosen.precommitted.txId) ids.add(t);
  }
  return [...ids].sort((a, b) => a - b).map((txId) => ({ node: chosen.node, txId }));
}

export function decideFailover(candidates: readonly FailoverCandidate[], probes: readonly AlhProbeResult[], options: FailoverOptions): FailoverDecision {
  const skipped = candidates.flatMap((c) => {
    const reason = skipReason(c);
    return reason === undefined ? [] : [{ node: c.node, reason }];
  });
  const refuse = (reason: FailoverRefusal, message: string): FailoverDecision => ({ kind: 'refuse', reason, message, skipped });
  if (candidates.length === 0) return refuse('no-candidates', 'no nodes were given');
  const livePrimaries = candidates.filter((c) => c.reachable && c.role === 'primary');
  if (livePrimaries.length > 0 && !options.switchover) {
    return refuse('primary-reachable', `${livePrimaries.map((c) => c.node).join(', ')} still answers as primary; use a switchover to replace it`);
  }
  const [chosen, ...others] = healthy(candidates);
  if (chosen === undefined) return refuse('no-healthy-candidate', `no reachable, verified, non-halted replica (${skipped.map((s) => `${s.node}: ${s.reason}`).join('; ')})`);
  const alhOnChosen = (txId: number): Buffer | undefined => {
    if (txId === chosen.precommitted.txId) return chosen.precommitted.alh;
    if (txId === chosen.committed.txId) return chosen.committed.alh;
    return probes.find((p) => p.node === chosen.node && p.txId === txId)?.alh;
  };
  for (const o of others) {
    for (const tip of [o.committed, o.precommitted]) {
      if (tip.txId === 0) continue;
      const theirs = alhOnChosen(tip.txId);
      if (theirs === undefined) return refuse('incomplete-probes', `could not read tx ${tip.txId} on ${chosen.node} to compare with ${o.node}`);
      if (!theirs.equals(tip.alh)) {
        return refuse('divergent-histories', `${o.node} and ${chosen.node} have different histories at tx ${tip.txId}: promoting either would lose the other's transactions`);
      }
    }
  }
  // Above every epoch any node reported (unreachable ones report 0): the old primary's when it answers,
  // and every replica's, so a chosen replica that never learned its primary's epoch cannot reuse it.
  const newEpoch = Math.max(...candidates.map((c) => c.epoch)) + 1;
  const steps: FailoverStep[] = [{ kind: 'promote', node: chosen.node, epoch: newEpoch }];
  for (const c of candidates) {
    if (c.node === chosen.node || !c.reachable) continue;
    steps.push(c.role === 'primary' ? { kind: 'demote', node: c.node, primaryNode: chosen.node } : { kind: 'repoint', node: c.node, primaryNode: chosen.node });
  }
  return { kind: 'promote', node: chosen.node, newEpoch, steps, skipped };
}
