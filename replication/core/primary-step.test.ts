// Properties of the sync-ack logic under random report sequences: the allowance never moves backwards,
// never passes the durable precommitted tip, and never passes what syncAcks same-epoch, same-history
// replicas hold. Plus the timeout error's shape.
import { describe, expect, it } from 'vitest';
import { nextRandom } from './backoff.js';
import { acksFor, startPrimary, stepPrimary } from './primary-step.js';
import type { PrimaryEvent, PrimaryState } from './primary-types.js';
import { TestHistory } from './testing/history.js';
import { unsafeAckBeforeReplicaPrecommitForCanaryTestsOnly, UNSAFE_CANARY_CONSENT } from './unsafe-canary.js';

const p = new TestHistory('p').append(40, 'p');
const q = p.fork('q', 10).append(30, 'q');

describe('stepPrimary', () => {
  it('keeps the allowance safe under random reports and config changes', () => {
    for (let seed = 1; seed <= 30; seed++) {
      let rnd = seed;
      const draw = (n: number): number => {
        const d = nextRandom(rnd);
        rnd = d.seed;
        return Math.floor(d.value * n);
      };
      let s: PrimaryState = startPrimary({ database: 'db', epoch: 2, config: { syncAcks: 2, syncAckTimeoutMs: 50, unsafeCanary: undefined }, committed: p.ref(1), precommitted: p.ref(1) }, 0).state;
      const held = new Map<string, { tip: number; valid: boolean }>();
      for (let now = 1; now < 400; now++) {
        let ev: PrimaryEvent;
        const k = draw(6);
        if (k === 0 && s.precommitted.txId < 40) ev = { kind: 'precommitted', nowMs: now, tx: p.ref(s.precommitted.txId + 1) };
        else if (k === 1 && s.allowedTxId > s.committed.txId) ev = { kind: 'committed', nowMs: now, tx: p.ref(s.allowedTxId) };
        else if (k === 2) ev = { kind: 'configure', nowMs: now, config: { syncAcks: draw(4), syncAckTimeoutMs: 50, unsafeCanary: undefined } };
        else if (k === 3) ev = { kind: 'tick', nowMs: now };
        else {
          const id = `r${draw(4)}`;
          const hist = draw(5) === 0 ? q : p;
          const epoch = 1 + draw(2);
          const tip = Math.min(hist.size, draw(s.precommitted.txId + 3));
          const own = (t: number): Buffer | undefined => (t <= s.precommitted.txId ? p.alhAt(t) : undefined);
          held.set(id, { tip, valid: epoch === 2 && tip <= s.precommitted.txId && hist.alhAt(tip).equals(p.alhAt(tip)) });
          ev = { kind: 'replicaRequest', nowMs: now, replicaId: id, epoch, state: { committed: hist.ref(Math.min(tip, 1)), precommitted: hist.ref(tip) }, primaryAlhAtCommitted: own(Math.min(tip, 1)), primaryAlhAtPrecommitted: own(tip) };
        }
        const before = s.allowedTxId;
        const step = stepPrimary(s, ev);
        s = step.state;
        expect(s.allowedTxId).toBeGreaterThanOrEqual(before);
        expect(s.allowedTxId).toBeLessThanOrEqual(s.precommitted.txId);
        for (const a of step.actions) {
          if (a.kind !== 'allowCommitUpTo' || s.config.syncAcks === 0) continue;
          const holders = [...held.values()].filter((r) => r.valid && r.tip >= a.txId);
          expect(holders.length).toBeGreaterThanOrEqual(s.config.syncAcks);
        }
      }
    }
  });

  it('fails a timed-out write with the ack count, and keeps it precommitted', () => {
    let s = startPrimary({ database: 'db', epoch: 1, config: { syncAcks: 2, syncAckTimeoutMs: 100, unsafeCanary: undefined }, committed: p.ref(3), precommitted: p.ref(4) }, 0).state;
    s = stepPrimary(s, { kind: 'writeWaiting', nowMs: 0, waitId: 'w', txId: 4 }).state;
    s = stepPrimary(s, { kind: 'replicaRequest', nowMs: 1, replicaId: 'a', epoch: 1, state: { committed: p.ref(3), precommitted: p.ref(4) }, primaryAlhAtCommitted: p.alhAt(3), primaryAlhAtPrecommitted: p.alhAt(4) }).state;
    expect(acksFor(s, 4)).toEqual(['a']);
    const step = stepPrimary(s, { kind: 'tick', nowMs: 100 });
    const fail = step.actions[0];
    expect(fail?.kind).toBe('failWrite');
    if (fail?.kind === 'failWrite') {
      expect(fail.error.code).toBe('SYNC_ACK_TIMEOUT');
      expect(fail.error.details).toMatchObject({ txId: 4, acks: 1, acksRequired: 2, ackedBy: ['a'], stillPrecommitted: true });
      expect(fail.error.message).toMatch(/1 ack\(s\) arrived \(from a\).*stays precommitted/);
    }
    expect(step.state.precommitted.txId).toBe(4);
  });

  it('commits at once only with the consent-gated canary', () => {
    const canary = unsafeAckBeforeReplicaPrecommitForCanaryTestsOnly(UNSAFE_CANARY_CONSENT);
    const s = startPrimary({ database: 'db', epoch: 1, config: { syncAcks: 1, syncAckTimeoutMs: 100, unsafeCanary: canary }, committed: p.ref(3), precommitted: p.ref(5) }, 0);
    expect(s.actions).toEqual([{ kind: 'allowCommitUpTo', txId: 5 }]);
    expect(() => unsafeAckBeforeReplicaPrecommitForCanaryTestsOnly('yes' as typeof UNSAFE_CANARY_CONSENT)).toThrow(/consent/);
    // @ts-expect-error an object literal cannot pass for the branded canary
    const forged: PrimaryState['config']['unsafeCanary'] = { kind: 'unsafe-ack-before-replica-precommit' };
    expect(forged).toBeDefined();
  });
});
