// A randomized run of the replica state machine against an honest primary, with dropped connections,
// timeouts and reordering of driver completions within the rules: it converges, keeps its invariants,
// and never allows a commit of a tx it has not verified and had attested. A forged tx is never allowed.
import { describe, expect, it } from 'vitest';
import { nextRandom } from './backoff.js';
import { startReplica, stepReplica } from './replica-step.js';
import type { ReplicaAction, ReplicaConfig, ReplicaState } from './replica-types.js';
import { forgedPayload, TestHistory } from './testing/history.js';

const p = new TestHistory('p').append(30, 'p');
const config = (sync: boolean): ReplicaConfig => ({
  database: 'db',
  primary: { host: 'p', port: 1, database: 'db' },
  syncReplication: sync,
  allowTxDiscarding: false,
  prefetchTxsMax: 4,
  responseTimeoutMs: 1000,
  consistencyCheckIntervalMs: 60_000,
});

interface Driver {
  s: ReplicaState;
  connected: boolean;
  request: number | undefined;
  applies: { txId: number; alh: Buffer }[];
  allowed: number;
}

function perform(d: Driver, actions: readonly ReplicaAction[]): void {
  for (const a of actions) {
    if (a.kind === 'connect') d.connected = false;
    if (a.kind === 'disconnect') d.request = undefined;
    if (a.kind === 'requestTx') d.request = a.txId;
    if (a.kind === 'applyTx') d.applies.push({ txId: a.txId, alh: a.alh });
    if (a.kind === 'allowCommitUpTo') {
      expect(a.alh.equals(p.alhAt(a.txId))).toBe(true);
      d.allowed = a.txId;
    }
    expect(a.kind).not.toBe('halt');
  }
}

describe('stepReplica against an honest primary', () => {
  for (const sync of [false, true]) {
    it(`converges (${sync ? 'sync' : 'async'})`, () => {
      for (let seed = 1; seed <= 20; seed++) {
        let rnd = seed;
        const draw = (n: number): number => {
          const r = nextRandom(rnd);
          rnd = r.seed;
          return Math.floor(r.value * n);
        };
        const start = startReplica(config(sync), { committed: p.ref(0), precommitted: p.ref(0), uncommitted: [], epoch: 1, verifiedAtStart: true }, seed, 0);
        const d: Driver = { s: start.state, connected: false, request: undefined, applies: [], allowed: 0 };
        perform(d, start.actions);
        let primaryCommitted = 5;
        for (let now = 1; now < 20_000 && d.s.committed.txId < 30; now += 7) {
          const step = (ev: Parameters<typeof stepReplica>[1]): void => {
            const r = stepReplica(d.s, ev);
            d.s = r.state;
            perform(d, r.actions);
          };
          const k = draw(10);
          if (d.s.phase.kind === 'connecting') step(draw(4) === 0 ? { kind: 'connectFailed', nowMs: now, message: 'x' } : { kind: 'connected', nowMs: now });
          else if (k <= 3 && d.request !== undefined) {
            const id = d.request;
            d.request = undefined;
            if (draw(8) === 0) step({ kind: 'streamFailed', nowMs: now, failure: { kind: 'transient', message: 'reset' } });
            else {
              const available = sync ? Math.min(30, primaryCommitted + 1) : primaryCommitted;
              const payload = id <= available ? p.payload(id) : Buffer.alloc(0);
              const reported = d.s.precommittedTxId;
              const may = sync ? p.ref(Math.min(reported, primaryCommitted)) : undefined;
              step({ kind: 'received', nowMs: now, payload, primaryCommittedTxId: primaryCommitted, primaryCommittedAlh: p.alhAt(primaryCommitted), mayCommitUpTo: may, primaryEpoch: 1 });
            }
          } else if (k <= 6 && d.applies.length > 0) {
            const a = d.applies.shift() as { txId: number; alh: Buffer };
            step({ kind: 'applied', nowMs: now, txId: a.txId, alh: a.alh });
          } else if (k === 7 && d.allowed > d.s.committed.txId) {
            step({ kind: 'committed', nowMs: now, txId: d.allowed });
          } else if (k === 8 && primaryCommitted < 30) {
            primaryCommitted += 1;
          } else {
            step({ kind: 'tick', nowMs: now });
          }
        }
        expect(d.s.committed.txId, `seed ${seed}`).toBe(30);
        expect(d.s.committed.alh.equals(p.alhAt(30))).toBe(true);
      }
    });
  }

  it('never allows a forged tx even when later txs chain onto it', () => {
    let s = startReplica(config(false), { committed: p.ref(2), precommitted: p.ref(2), uncommitted: [], epoch: 1, verifiedAtStart: true }, 1, 0).state;
    s = stepReplica(s, { kind: 'connected', nowMs: 1 }).state;
    const r = stepReplica(s, { kind: 'received', nowMs: 2, payload: forgedPayload(p.tx(3), 'ts'), primaryCommittedTxId: 30, primaryCommittedAlh: p.alhAt(30), mayCommitUpTo: undefined, primaryEpoch: 1 });
    const apply = r.actions.find((a) => a.kind === 'applyTx');
    expect(apply?.kind).toBe('applyTx');
    if (apply?.kind !== 'applyTx') return;
    const applied = stepReplica(r.state, { kind: 'applied', nowMs: 3, txId: 3, alh: apply.alh });
    expect(applied.actions.some((a) => a.kind === 'allowCommitUpTo')).toBe(false);
    const next = stepReplica(applied.state, { kind: 'received', nowMs: 4, payload: p.payload(4), primaryCommittedTxId: 30, primaryCommittedAlh: p.alhAt(30), mayCommitUpTo: undefined, primaryEpoch: 1 });
    expect(next.actions.map((a) => a.kind)).toEqual(['disconnect', 'halt']);
    expect(next.state.allowedTxId).toBe(2);
  });

  it('rejects inconsistent local facts at start', () => {
    expect(() => startReplica(config(false), { committed: p.ref(2), precommitted: p.ref(3), uncommitted: [], epoch: 0, verifiedAtStart: true }, 1, 0)).toThrow(/uncommitted/);
  });
});
