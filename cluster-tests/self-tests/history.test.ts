// Self-test of the history checker on synthetic histories, including the canary: an acked write that is
// missing from the final state must be reported as lost, or the checker could never fail a scenario.
import { describe, expect, it } from 'vitest';
import { ImmuError } from '../../src/client/index.js';
import { checkHistory, classifyWriteError, WriteHistory, type WriteOutcome, type WriteRecord } from '../harness/history.js';

let nextId = 0;
function w(key: string, value: string, outcome: WriteOutcome, startMs = 0, endMs = startMs + 1): WriteRecord {
  return { id: nextId++, key, value, node: 'node1', startMs, endMs, outcome };
}
const acked = (txId: number): WriteOutcome => ({ kind: 'acked', txId });
const uncertain: WriteOutcome = { kind: 'uncertain', code: 'TIMEOUT' };
const failed: WriteOutcome = { kind: 'failed', code: 'REPLICA_READ_ONLY' };

describe('history checker', () => {
  it('passes a history whose acked writes are all present', () => {
    const r = checkHistory([w('a', '1', acked(1)), w('b', '2', acked(2))], new Map([['a', '1'], ['b', '2']]));
    expect(r).toMatchObject({ acked: 2, lost: 0, uncertain: 0, ok: true });
  });

  it('canary: an acked write missing from the final state is lost', () => {
    const r = checkHistory([w('a', '1', acked(1)), w('b', '2', acked(2))], new Map([['a', '1'], ['b', undefined]]));
    expect(r.lost).toBe(1);
    expect(r.lostWrites[0]?.key).toBe('b');
    expect(r.ok).toBe(false);
  });

  it('an acked write whose key was never read back counts as lost', () => {
    const r = checkHistory([w('a', '1', acked(1))], new Map());
    expect(r.lost).toBe(1);
  });

  it('an acked write overwritten by an earlier-finished write is lost; by a concurrent one it is not', () => {
    const older = w('k', 'old', acked(1), 0, 10);
    const newer = w('k', 'new', acked(2), 20, 30);
    expect(checkHistory([older, newer], new Map([['k', 'old']])).lost).toBe(1); // 'new' lost
    const concurrentA = w('k', 'x', acked(3), 0, 50);
    const concurrentB = w('k', 'y', acked(4), 10, 40);
    expect(checkHistory([concurrentA, concurrentB], new Map([['k', 'x']])).lost).toBe(0);
  });

  it('resolves uncertain writes from the reads and counts only the unreadable ones as uncertain', () => {
    const r = checkHistory(
      [w('a', '1', uncertain), w('b', '2', uncertain), w('c', '3', uncertain)],
      new Map([['a', '1'], ['b', undefined]]),
    );
    expect(r).toMatchObject({ uncertain: 1, uncertainCommitted: 1, uncertainNotCommitted: 1, lost: 0, ok: true });
  });

  it('reports phantom values and visible definitely-failed writes', () => {
    const r = checkHistory([w('a', '1', acked(1)), w('b', '2', failed)], new Map([['a', '1'], ['b', '2'], ['z', 'never-written']]));
    expect(r.phantoms).toEqual([{ key: 'z', value: 'never-written' }]);
    expect(r.failedButVisible.map((x) => x.key)).toEqual(['b']);
    expect(r.failedDefinitely).toBe(1);
    expect(r.ok).toBe(false);
  });

  it('classifies errors: only a server-named refusal is a definite failure', () => {
    const named = new ImmuError('REPLICA_READ_ONLY', 'replica', { fromTrailer: true });
    const inferred = new ImmuError('REPLICA_READ_ONLY', 'replica', { fromTrailer: false });
    expect(classifyWriteError(named)).toEqual({ kind: 'failed', code: 'REPLICA_READ_ONLY' });
    expect(classifyWriteError(inferred).kind).toBe('uncertain');
    expect(classifyWriteError(new ImmuError('SYNC_ACK_TIMEOUT', 'acks', { fromTrailer: true })).kind).toBe('uncertain');
    expect(classifyWriteError(new ImmuError('NODE_UNAVAILABLE', 'down')).kind).toBe('uncertain');
    expect(classifyWriteError(new Error('socket hang up')).kind).toBe('uncertain');
  });

  it('WriteHistory.attempt records outcome and timing', async () => {
    let t = 100;
    const clock = (): number => (t += 5);
    const h = new WriteHistory();
    const ok = await h.attempt('a', '1', 'node1', async () => 7, clock);
    const bad = await h.attempt('b', '2', 'node2', async () => {
      throw new ImmuError('TIMEOUT', 'deadline');
    }, clock);
    expect(ok).toMatchObject({ id: 0, outcome: { kind: 'acked', txId: 7 }, startMs: 105, endMs: 110 });
    expect(bad).toMatchObject({ id: 1, outcome: { kind: 'uncertain', code: 'TIMEOUT' }, node: 'node2' });
    expect(h.keys()).toEqual(['a', 'b']);
    expect(h.check(new Map([['a', '1'], ['b', undefined]]))).toMatchObject({ acked: 1, lost: 0, uncertainNotCommitted: 1 });
  });
});
