// The failover decisions as a table: which endpoints a call tries, what happens after each kind of
// failure (above all: a write that may have happened is never retried), and the bounded jittered backoff.
import { describe, expect, it } from 'vitest';
import { failoverBackoffMsBase, failoverBackoffMsMax, failoverJitterFraction } from './failover-limits.js';
import { afterFailure, backoffDelayMs, candidateOrder, pickPrimary, rpcKind, unknownView, type EndpointView } from './routing.js';

const view = (endpoint: string, role: EndpointView['role'], epoch = 1, extra: Partial<EndpointView> = {}): EndpointView => ({
  ...unknownView(endpoint),
  role,
  epoch,
  ...extra,
});

describe('rpcKind', () => {
  it('classifies writes, reads, the trust anchor and per-node calls', () => {
    for (const m of ['Set', 'VerifiableSet', 'ExecAll', 'Delete', 'ZAdd', 'VerifiableZAdd', 'SetReference']) expect(rpcKind(m), m).toBe('write');
    for (const m of ['Get', 'VerifiableGet', 'Scan', 'TxById', 'VerifiableTxById', 'History', 'ZScan']) expect(rpcKind(m), m).toBe('read');
    expect(rpcKind('CurrentState')).toBe('primary-read');
    for (const m of ['CreateUser', 'Health', 'ReplicationStatus', 'UpdateDatabaseV2']) expect(rpcKind(m), m).toBe('node');
  });
});

describe('pickPrimary and candidateOrder', () => {
  const views = [view('a:1', 'replica'), view('b:1', 'primary', 1), view('c:1', 'primary', 2), view('d:1', 'unknown', 0)];

  it('an old primary that came back loses to the higher epoch; a fenced primary is never chosen', () => {
    expect(pickPrimary(views)?.endpoint).toBe('c:1');
    expect(pickPrimary([view('b:1', 'primary', 3, { fenced: true }), view('c:1', 'primary', 2)])?.endpoint).toBe('c:1');
    expect(pickPrimary([view('a:1', 'replica')])).toBeUndefined();
  });

  it('writes go to the live primary, then to nodes of unknown role, never to replicas or stale primaries', () => {
    expect(candidateOrder(views, 'write', 'any', 0)).toEqual(['c:1', 'd:1']);
    expect(candidateOrder([view('a:1', 'replica')], 'write', 'any', 0)).toEqual([]);
  });

  it('reads follow the preference', () => {
    expect(candidateOrder(views, 'read', 'primary', 0)).toEqual(['c:1', 'd:1']);
    expect(candidateOrder(views, 'read', 'replica', 0)).toEqual(['a:1', 'c:1', 'd:1']);
    expect(candidateOrder(views, 'read', 'any', 0)).toEqual(['a:1', 'c:1', 'd:1', 'b:1']);
    expect(candidateOrder(views, 'primary-read', 'replica', 0)).toEqual(['c:1', 'a:1', 'd:1', 'b:1']);
  });

  it('an endpoint that failed to connect is tried last until its penalty ends', () => {
    const vs = [view('a:1', 'replica', 1, { penaltyUntilMs: 100 }), view('e:1', 'replica')];
    expect(candidateOrder(vs, 'read', 'replica', 50)).toEqual(['e:1', 'a:1']);
    expect(candidateOrder(vs, 'read', 'replica', 100)).toEqual(['a:1', 'e:1']);
  });
});

describe('afterFailure', () => {
  it('a request that never left the client is retried elsewhere, for writes too', () => {
    expect(afterFailure({ kind: 'write', code: 'NODE_UNAVAILABLE', sent: false, role: 'primary' })).toEqual({ kind: 'retry', reprobe: true, penalize: true, reauth: false });
  });

  it('a sent write whose connection failed or timed out has an unknown outcome, never a retry', () => {
    for (const code of ['NODE_UNAVAILABLE', 'TIMEOUT', 'SYNC_ACK_TIMEOUT', 'REPLICATION_STALE_EPOCH', 'STORE_CLOSED'] as const) {
      expect(afterFailure({ kind: 'write', code, sent: true, role: 'primary' }), code).toEqual({ kind: 'outcome-unknown' });
    }
  });

  it('a write refused by a replica is retried on the primary after a re-probe; other refusals are final', () => {
    expect(afterFailure({ kind: 'write', code: 'REPLICA_READ_ONLY', sent: true, role: 'primary' })).toEqual({ kind: 'retry', reprobe: true, penalize: false, reauth: false });
    for (const code of ['PRECONDITION_FAILED', 'INVALID_ARGUMENT', 'PERMISSION_DENIED', 'KEY_TOO_LARGE'] as const) {
      expect(afterFailure({ kind: 'write', code, sent: true, role: 'primary' }), code).toEqual({ kind: 'fail' });
    }
  });

  it('an expired login on one node is renewed (the server executed nothing)', () => {
    expect(afterFailure({ kind: 'write', code: 'UNAUTHENTICATED', sent: true, role: 'primary' })).toEqual({ kind: 'retry', reprobe: false, penalize: false, reauth: true });
  });

  it('a replica behind the asked state is skipped, the primary is not', () => {
    expect(afterFailure({ kind: 'read', code: 'TX_BEYOND_STATE', sent: true, role: 'replica' })).toEqual({ kind: 'retry', reprobe: false, penalize: false, reauth: false });
    expect(afterFailure({ kind: 'read', code: 'TX_BEYOND_STATE', sent: true, role: 'primary' })).toEqual({ kind: 'fail' });
  });

  it('reads move on after transport failures; answers like KEY_NOT_FOUND are final', () => {
    expect(afterFailure({ kind: 'read', code: 'NODE_UNAVAILABLE', sent: true, role: 'primary' })).toEqual({ kind: 'retry', reprobe: true, penalize: true, reauth: false });
    expect(afterFailure({ kind: 'read', code: 'KEY_NOT_FOUND', sent: true, role: 'replica' })).toEqual({ kind: 'fail' });
    expect(afterFailure({ kind: 'node', code: 'NODE_UNAVAILABLE', sent: true, role: 'primary' })).toEqual({ kind: 'fail' });
  });
});

describe('backoffDelayMs', () => {
  it('doubles from the base, stops at the cap, and jitter only shortens it', () => {
    expect(backoffDelayMs(1, 0)).toBe(failoverBackoffMsBase);
    expect(backoffDelayMs(2, 0)).toBe(2 * failoverBackoffMsBase);
    expect(backoffDelayMs(30, 0)).toBe(failoverBackoffMsMax);
    expect(backoffDelayMs(30, 1)).toBe(Math.round(failoverBackoffMsMax * (1 - failoverJitterFraction)));
    for (let i = 1; i < 20; i++) {
      const d = backoffDelayMs(i, 0.5);
      expect(d).toBeGreaterThan(0);
      expect(d).toBeLessThanOrEqual(failoverBackoffMsMax);
    }
  });
});
