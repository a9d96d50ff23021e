// FailoverCore against scripted nodes (no sockets): per-node login, writes following a promotion with
// nothing done by the caller, a write that failed after it was sent reported as WRITE_OUTCOME_UNKNOWN
// and sent exactly once, REPLICA_READ_ONLY re-probing, read preferences, a lagging replica skipped,
// and one lineage identity for every node's answers.
import type { Metadata } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { ReplicationRole, ReplicationState } from '../../api/proto-types.js';
import { ImmuError, isImmuError } from '../../common/errors.js';
import { failoverAttemptsMax } from './failover-limits.js';
import { FailoverCore, clusterIdOf, type NodeTransport } from './failover-core.js';

interface FakeNode {
  up: boolean;
  role: 'primary' | 'replica';
  epoch: number;
  committed: number;
  /** The next call of this method fails with this error after it was "sent". */
  failNext: Map<string, ImmuError>;
  readonly calls: string[];
  readonly tokens: Set<string>;
}

function fakeNode(role: FakeNode['role'], epoch = 1): FakeNode {
  return { up: true, role, epoch, committed: 5, failNext: new Map(), calls: [], tokens: new Set() };
}

type Handler = (node: FakeNode, request: Record<string, unknown>) => object;

const handlers: Readonly<Record<string, Handler>> = {
  Login: (n) => {
    const token = `t${n.tokens.size + 1}`;
    n.tokens.add(token);
    return { token, warning: Buffer.alloc(0) };
  },
  UseDatabase: (n) => {
    const token = `u${n.tokens.size + 1}`;
    n.tokens.add(token);
    return { token };
  },
  Set: (n) => {
    if (n.role !== 'primary') throw new ImmuError('REPLICA_READ_ONLY', 'replica', { fromTrailer: true });
    n.committed += 1;
    return { id: n.committed };
  },
  Get: (n, req) => {
    const since = Number(req['sinceTx'] ?? 0);
    if (since > n.committed) throw new ImmuError('TX_BEYOND_STATE', `sinceTx ${since} > ${n.committed}`);
    return { key: Buffer.from('k'), value: Buffer.from(`from-${n.role}`) };
  },
};

class FakeTransport implements NodeTransport {
  constructor(
    readonly endpoint: string,
    readonly node: FakeNode,
  ) {}

  waitForReady(): Promise<void> {
    return this.node.up ? Promise.resolve() : Promise.reject(new ImmuError('NODE_UNAVAILABLE', `${this.endpoint} down`, { connect: true }));
  }

  #answer(method: string, request: object, md: Metadata): Promise<never> {
    const n = this.node;
    n.calls.push(method);
    const failure = n.failNext.get(method);
    if (failure !== undefined) {
      n.failNext.delete(method);
      return Promise.reject(failure);
    }
    if (method !== 'Login') {
      const auth = String(md.get('authorization')[0] ?? '').replace('Bearer ', '');
      if (!n.tokens.has(auth)) return Promise.reject(new ImmuError('UNAUTHENTICATED', 'bad token'));
    }
    const handler = handlers[method];
    if (handler === undefined) return Promise.reject(new ImmuError('UNIMPLEMENTED', method));
    try {
      return Promise.resolve({ response: handler(n, request as Record<string, unknown>), endpoint: this.endpoint, serverUuid: `uuid-${this.endpoint}` } as never);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  immu(method: string, request: object, md: Metadata): Promise<never> {
    return this.#answer(method, request, md);
  }

  immudbTs(method: string, _request: object, md: Metadata): Promise<never> {
    const auth = String(md.get('authorization')[0] ?? '').replace('Bearer ', '');
    if (!this.node.tokens.has(auth)) return Promise.reject(new ImmuError('UNAUTHENTICATED', 'bad token'));
    this.node.calls.push(method);
    const n = this.node;
    const status = {
      database: 'app',
      role: n.role === 'primary' ? ReplicationRole.REPLICATION_ROLE_PRIMARY : ReplicationRole.REPLICATION_ROLE_REPLICA,
      state: ReplicationState.REPLICATION_STATE_RUNNING,
      primary_host: '',
      primary_port: 0,
      primary_database: '',
      epoch: n.epoch,
      committed_tx_id: n.committed,
      precommitted_tx_id: n.committed,
      primary_committed_tx_id: 0,
      lag_txs: 0,
      lag_ms: 0,
      sync_replication: true,
      sync_acks: 1,
      halt_code: '',
      halt_reason: '',
      halted_at_ms: 0,
    };
    return Promise.resolve({ response: { server_uuid: `uuid-${this.endpoint}`, databases: [status] }, endpoint: this.endpoint, serverUuid: undefined } as never);
  }

  close(): void {}
}

function cluster(nodes: Record<string, FakeNode>, readPreference: 'primary' | 'replica' | 'any' = 'primary'): FailoverCore {
  return new FailoverCore({
    endpoints: Object.keys(nodes),
    timeoutMs: 1_000,
    readPreference,
    transport: (endpoint) => {
      const node = nodes[endpoint];
      if (node === undefined) throw new Error(`no fake node ${endpoint}`);
      return new FakeTransport(endpoint, node);
    },
    random: () => 0.5,
    sleep: () => Promise.resolve(),
  });
}

async function loggedIn(core: FailoverCore): Promise<FailoverCore> {
  await core.login('immudb', 'pw');
  await core.useDatabase('app');
  return core;
}

const setReq = { KVs: [{ key: Buffer.from('k'), value: Buffer.from('v') }] };
const count = (n: FakeNode, method: string): number => n.calls.filter((c) => c === method).length;

describe('FailoverCore', () => {
  it('logs in on each node it uses and answers every call as one lineage identity', async () => {
    const a = fakeNode('primary');
    const b = fakeNode('replica');
    const core = await loggedIn(cluster({ 'a:1': a, 'b:1': b }, 'replica'));
    const w = await core.call('Set', setReq);
    const r = await core.call('Get', { key: Buffer.from('k') });
    expect([w.endpoint, r.endpoint]).toEqual(['a:1', 'b:1']);
    expect(w.serverUuid).toBe(`cluster:${clusterIdOf(['b:1', 'a:1'])}`);
    expect(r.serverUuid).toBe(w.serverUuid);
    expect(core.lastServerUuid).toBe('uuid-b:1');
    expect(count(a, 'Login') + count(b, 'Login')).toBe(2);
  });

  it('after a promotion, a write reaches the new primary without the caller doing anything', async () => {
    const a = fakeNode('primary', 1);
    const b = fakeNode('replica');
    const c = fakeNode('replica');
    const core = await loggedIn(cluster({ 'a:1': a, 'b:1': b, 'c:1': c }));
    await core.call('Set', setReq);
    a.up = false;
    c.role = 'primary';
    c.epoch = 2;
    const w = await core.call('Set', setReq);
    expect(w.endpoint).toBe('c:1');
    expect(count(a, 'Set') + count(b, 'Set') + count(c, 'Set')).toBe(2);
  });

  it('a write that failed after it was sent is WRITE_OUTCOME_UNKNOWN and is not sent again', async () => {
    const a = fakeNode('primary');
    const b = fakeNode('replica');
    const core = await loggedIn(cluster({ 'a:1': a, 'b:1': b }));
    a.failNext.set('Set', new ImmuError('NODE_UNAVAILABLE', 'connection reset', { grpcStatus: 14 }));
    const err: unknown = await core.call('Set', setReq).catch((e: unknown) => e);
    expect(isImmuError(err, 'WRITE_OUTCOME_UNKNOWN')).toBe(true);
    expect(isImmuError(err) ? err.details?.['cause'] : undefined).toBe('NODE_UNAVAILABLE');
    expect(count(a, 'Set') + count(b, 'Set')).toBe(1);
    a.failNext.set('Set', new ImmuError('TIMEOUT', 'deadline exceeded'));
    await expect(core.call('Set', setReq)).rejects.toSatisfy((e) => isImmuError(e, 'WRITE_OUTCOME_UNKNOWN'));
    expect(count(a, 'Set') + count(b, 'Set')).toBe(2);
  });

  it('a write refused as REPLICA_READ_ONLY (stale roles) re-probes and lands on the primary once', async () => {
    const a = fakeNode('primary');
    const b = fakeNode('replica');
    const core = await loggedIn(cluster({ 'a:1': a, 'b:1': b }));
    await core.roles();
    a.role = 'replica';
    b.role = 'primary';
    b.epoch = 2;
    const w = await core.call('Set', setReq);
    expect(w.endpoint).toBe('b:1');
    expect(count(a, 'Set')).toBe(1);
    expect(count(b, 'Set')).toBe(1);
  });

  it('a replica behind the asked state is skipped, the primary answers', async () => {
    const a = fakeNode('primary');
    const b = fakeNode('replica');
    a.committed = 9;
    b.committed = 4;
    const core = await loggedIn(cluster({ 'a:1': a, 'b:1': b }, 'replica'));
    const r = await core.call('Get', { key: Buffer.from('k'), sinceTx: 9 });
    expect(r.endpoint).toBe('a:1');
    expect(count(b, 'Get')).toBe(1);
  });

  it('with no primary anywhere a write fails after the bounded attempts, having sent nothing', async () => {
    const a = fakeNode('replica');
    const b = fakeNode('replica');
    const core = await loggedIn(cluster({ 'a:1': a, 'b:1': b }));
    const err: unknown = await core.call('Set', setReq).catch((e: unknown) => e);
    expect(isImmuError(err, 'NODE_UNAVAILABLE')).toBe(true);
    expect(isImmuError(err) ? err.details?.['attempts'] : undefined).toBe(failoverAttemptsMax);
    expect(count(a, 'Set') + count(b, 'Set')).toBe(0);
  });

  it('a node whose token expired is logged in again (the server executed nothing)', async () => {
    const a = fakeNode('primary');
    const core = await loggedIn(cluster({ 'a:1': a, 'b:1': fakeNode('replica') }));
    await core.call('Set', setReq);
    a.tokens.clear();
    const w = await core.call('Set', setReq);
    expect(w.endpoint).toBe('a:1');
    expect(count(a, 'Login')).toBe(2);
  });
});
