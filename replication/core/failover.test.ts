// Failover decisions beyond the scenario file: the new epoch passes every reachable epoch, ties with
// different Alh values are refused, and the probes cover exactly what the decision compares.
import { describe, expect, it } from 'vitest';
import { decideFailover, failoverProbes, type FailoverCandidate } from './failover.js';
import { TestHistory } from './testing/history.js';

const p = new TestHistory('p').append(6, 'p');
const q = p.fork('q', 3).append(3, 'q');

function cand(node: string, hist: TestHistory, committed: number, precommitted: number, epoch = 1): FailoverCandidate {
  return { node, reachable: true, role: 'replica', epoch, promotable: true, halt: undefined, committed: hist.ref(committed), precommitted: hist.ref(precommitted) };
}

describe('decideFailover', () => {
  it('raises the epoch past every reachable epoch', () => {
    const cs = [cand('a', p, 5, 6, 4), cand('b', p, 2, 3, 7)];
    const probes = failoverProbes(cs).map((x) => ({ ...x, alh: p.alhAt(x.txId) }));
    const d = decideFailover(cs, probes, { switchover: false });
    expect(d.kind === 'promote' && d.node === 'a' && d.newEpoch === 8).toBe(true);
  });

  it('refuses equally advanced replicas with different histories', () => {
    const cs = [cand('a', p, 3, 5), cand('b', q, 3, 5)];
    expect(failoverProbes(cs)).toEqual([{ node: 'a', txId: 3 }]);
    const d = decideFailover(cs, [{ node: 'a', txId: 3, alh: p.alhAt(3) }], { switchover: false });
    expect(d.kind === 'refuse' && d.reason === 'divergent-histories').toBe(true);
  });

  it('promotes a lone healthy replica without probes', () => {
    const d = decideFailover([cand('a', p, 1, 2)], [], { switchover: false });
    expect(d).toMatchObject({ kind: 'promote', node: 'a', newEpoch: 2, steps: [{ kind: 'promote', node: 'a', epoch: 2 }] });
  });
});
