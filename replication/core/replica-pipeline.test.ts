// Pipelined export requests (requestsInFlightMax > 1): several requests stay outstanding only for txs
// the primary is known to hold, answers are matched oldest first, at the tip a sync replica still waits
// for durability (its next request carries the ack) while an async one long-polls at once, and a
// stream that falls out of step reconnects instead of accepting anything.
import { describe, expect, it } from 'vitest';
import { startReplica, stepReplica } from './replica-step.js';
import type { ReplicaAction, ReplicaConfig, ReplicaEvent, ReplicaState } from './replica-types.js';
import { TestHistory } from './testing/history.js';

const p = new TestHistory('p').append(20, 'p');

function config(sync: boolean): ReplicaConfig {
  return {
    database: 'db',
    primary: { host: 'p', port: 1, database: 'db' },
    syncReplication: sync,
    allowTxDiscarding: false,
    prefetchTxsMax: 4,
    responseTimeoutMs: 10_000,
    consistencyCheckIntervalMs: 60_000,
    requestsInFlightMax: 4,
  };
}

class Run {
  s: ReplicaState;
  last: readonly ReplicaAction[] = [];
  constructor(sync: boolean) {
    const r = startReplica(config(sync), { committed: p.ref(0), precommitted: p.ref(0), uncommitted: [], epoch: 1, verifiedAtStart: true }, 1, 0);
    this.s = r.state;
    this.step({ kind: 'connected', nowMs: 1 });
  }
  step(ev: ReplicaEvent): readonly ReplicaAction[] {
    const r = stepReplica(this.s, ev);
    this.s = r.state;
    this.last = r.actions;
    return r.actions;
  }
  recv(txId: number, opts: { committed: number; precommitted?: number; empty?: boolean }): readonly ReplicaAction[] {
    return this.step({
      kind: 'received',
      nowMs: 2,
      payload: opts.empty === true ? Buffer.alloc(0) : p.payload(txId),
      primaryCommittedTxId: opts.committed,
      primaryCommittedAlh: p.alhAt(opts.committed),
      mayCommitUpTo: this.s.config.syncReplication ? p.ref(0) : undefined,
      primaryEpoch: 1,
      primaryPrecommittedTxId: opts.precommitted,
    });
  }
  requested(actions: readonly ReplicaAction[] = this.last): number[] {
    return actions.flatMap((a) => (a.kind === 'requestTx' ? [a.txId] : []));
  }
}

describe('pipelined export requests', () => {
  it('keeps several requests outstanding while the primary holds the txs, bounded by the apply queue', () => {
    const r = new Run(false);
    expect(r.requested(r.last)).toEqual([1]);
    expect(r.requested(r.recv(1, { committed: 10 }))).toEqual([2, 3, 4]);
    expect(r.requested(r.recv(2, { committed: 10 }))).toEqual([]);
    expect(r.requested(r.step({ kind: 'applied', nowMs: 3, txId: 1, alh: p.alhAt(1) }))).toEqual([5]);
    expect(r.requested(r.step({ kind: 'applied', nowMs: 3, txId: 2, alh: p.alhAt(2) }))).toEqual([6]);
    r.recv(3, { committed: 10 });
    r.recv(4, { committed: 10 });
    expect(r.s.tail.map((t) => t.txId)).toEqual([1, 2, 3, 4]);
  });

  it('async at the tip: one long poll at once, never two', () => {
    const r = new Run(false);
    expect(r.requested(r.recv(1, { committed: 1 }))).toEqual([2]);
    expect(r.s.phase).toMatchObject({ kind: 'streaming', requests: [{ txId: 2 }] });
  });

  it('sync: fetches up to the primary precommitted tip, then waits for durability to carry the ack', () => {
    const r = new Run(true);
    expect(r.requested(r.recv(1, { committed: 0, precommitted: 3 }))).toEqual([2, 3]);
    r.recv(2, { committed: 0, precommitted: 3 });
    expect(r.requested(r.recv(3, { committed: 0, precommitted: 3 }))).toEqual([]);
    for (const id of [1, 2]) r.step({ kind: 'applied', nowMs: 3, txId: id, alh: p.alhAt(id) });
    expect(r.requested()).toEqual([]);
    const acked = r.step({ kind: 'applied', nowMs: 3, txId: 3, alh: p.alhAt(3) });
    const req = acked.find((a) => a.kind === 'requestTx');
    expect(req).toMatchObject({ txId: 4, replicaState: { precommitted: { txId: 3 } } });
  });

  it('a stream out of step (an empty answer before a pipelined one) reconnects, accepting nothing', () => {
    const r = new Run(false);
    r.recv(1, { committed: 10 });
    r.recv(2, { committed: 10, empty: true });
    const actions = r.recv(3, { committed: 10 });
    expect(actions.map((a) => a.kind)).toContain('disconnect');
    expect(r.s.phase.kind).toBe('backoff');
    expect(r.s.tail.map((t) => t.txId)).toEqual([1]);
  });
});
