// The pure half of `immuadmin database failover`: --nodes parsing, what a node's report means to the
// decision core (promotable is the node's own verdict, an unreachable node is noted, the new epoch is
// above every epoch any node reported),
// the settings each step sends, and the refusal as JSON. The real command runs in cluster scenario 09.
import { describe, expect, it } from 'vitest';
import type { DatabaseReplicationStatus } from '../../client/index.js';
import { EMPTY_HASH } from '../../proof/index.js';
import { decideFailover } from '../../../replication/core/failover.js';
import { UsageError } from '../tool-common/cli-error.js';
import { candidateOf, haltKindOf, parseNodes, promoteSettings, repointSettings, reportJson, reportText, syncAcksFor, type NodeReport } from './failover-plan.js';

function status(role: DatabaseReplicationStatus['role'], extra: Partial<DatabaseReplicationStatus> = {}): DatabaseReplicationStatus {
  return {
    database: 'app', role, state: 'running', primaryHost: '', primaryPort: 0, primaryDatabase: '', epoch: 1,
    committedTxId: 3, precommittedTxId: 3, primaryCommittedTxId: 3, lagTxs: 0, lagMs: 0, syncReplication: true, syncAcks: 0,
    haltCode: '', haltReason: '', haltedAtMs: 0, promotable: role === 'replica', ...extra,
  };
}

const ref = (txId: number, fill: number): { txId: number; alh: Buffer } => ({ txId, alh: Buffer.alloc(32, fill) });

function report(node: string, s: DatabaseReplicationStatus | undefined, txId = 3, error?: string): NodeReport {
  return { node, status: s, committed: s === undefined ? undefined : ref(txId, 1), precommitted: s === undefined ? undefined : ref(txId, 1), error };
}

describe('parseNodes', () => {
  it('normalises, defaults the port, and refuses duplicates, junk and a single node', () => {
    expect(parseNodes('node1:3322, node2,127.0.0.3:4000')).toEqual(['node1:3322', 'node2:3322', '127.0.0.3:4000']);
    for (const bad of [undefined, '', 'a:1,a:1', 'a b:1,c:1', 'only:1']) expect(() => parseNodes(bad), String(bad)).toThrow(UsageError);
  });
});

describe('candidateOf', () => {
  it('takes promotable from the status RPC, never from the halt code', () => {
    expect(haltKindOf('')).toBeUndefined();
    // A halt the old derivation called harmless: the node says not promotable, and that decides.
    expect(candidateOf(report('a:1', status('replica', { state: 'halted', haltCode: 'REPLICATION_STALE_EPOCH', promotable: false }))).promotable).toBe(false);
    expect(candidateOf(report('a:1', status('replica', { state: 'halted', haltCode: 'CORRUPTED_DATA', promotable: false }))).promotable).toBe(false);
    // Not halted, but its files failed verification (or it is passive): the node says so.
    expect(candidateOf(report('a:1', status('replica', { promotable: false }))).promotable).toBe(false);
    expect(candidateOf(report('a:1', status('replica', { state: 'connecting' }))).promotable).toBe(true);
  });

  it('an unreachable node is not reachable, with the genesis as its tips', () => {
    const c = candidateOf(report('a:1', undefined, 0, 'connection refused'));
    expect(c).toMatchObject({ reachable: false, role: undefined, committed: { txId: 0 } });
    expect(c.committed.alh.equals(EMPTY_HASH)).toBe(true);
  });
});

describe('settings and output', () => {
  it('promotion clears replica settings; a repoint sends only the new primary address', () => {
    expect(promoteSettings(1, 4)).toMatchObject({ replica: false, syncReplication: true, syncAcks: 1, primaryHost: '', primaryEpoch: 4 });
    expect(repointSettings('127.0.0.2:3322')).toEqual({ replica: true, primaryHost: '127.0.0.2', primaryPort: 3322 });
    expect(repointSettings('[::1]:3323')).toEqual({ replica: true, primaryHost: '::1', primaryPort: 3323 });
  });

  it('sync acks: the flag wins, else 1 for a sync replica that keeps a follower', () => {
    const sync = report('a:1', status('replica'));
    expect(syncAcksFor(undefined, sync, 1)).toBe(1);
    expect(syncAcksFor(undefined, sync, 0)).toBe(0);
    expect(syncAcksFor(0, sync, 1)).toBe(0);
    expect(syncAcksFor(undefined, report('a:1', status('replica', { syncReplication: false })), 1)).toBe(0);
  });

  it('a live primary is a refusal with its reason, in JSON and text', () => {
    const nodes = [report('a:1', status('primary')), report('b:1', status('replica'))];
    const decision = decideFailover(nodes.map(candidateOf), [], { switchover: false });
    const rep = { database: 'app', nodes, decision, steps: [], syncAcks: undefined };
    expect(reportJson(rep)).toMatchObject({ outcome: 'refused', reason: 'primary-reachable' });
    expect(reportText(rep)).toMatch(/refused \(primary-reachable\)/);
  });

  it('the most advanced replica is chosen and the other repointed', () => {
    const nodes = [report('a:1', undefined, 0, 'down'), report('b:1', status('replica'), 3), report('c:1', status('replica'), 3)];
    nodes[2] = { ...nodes[2]!, committed: ref(3, 1), precommitted: ref(4, 2) };
    const decision = decideFailover(nodes.map(candidateOf), [], { switchover: false });
    expect(decision).toMatchObject({ kind: 'promote', node: 'c:1', steps: [{ kind: 'promote', node: 'c:1' }, { kind: 'repoint', node: 'b:1', primaryNode: 'c:1' }] });
  });

  it('the new epoch is above every reported epoch: a chosen replica that never learned its primary\'s is raised past it', () => {
    // Fresh cluster: b never heard from the primary (epoch 0), c did (epoch 1); b wins on name order.
    const down = [report('a:1', undefined, 0, 'down'), report('b:1', status('replica', { epoch: 0 }), 0), report('c:1', status('replica', { epoch: 1 }), 0)];
    const d1 = decideFailover(down.map(candidateOf), [], { switchover: false });
    expect(d1).toMatchObject({ kind: 'promote', node: 'b:1', newEpoch: 2 });
    expect(d1.kind === 'promote' ? d1.steps[0] : undefined).toEqual({ kind: 'promote', node: 'b:1', epoch: 2 });
    // The old primary still answers (switchover) and no replica knows its epoch 3.
    const live = [report('a:1', status('primary', { epoch: 3 })), report('b:1', status('replica', { epoch: 0 })), report('c:1', status('replica', { epoch: 0 }))];
    expect(decideFailover(live.map(candidateOf), [], { switchover: true })).toMatchObject({ kind: 'promote', newEpoch: 4 });
    // A node whose status came back but whose state could not be read still counts.
    const partial = [report('a:1', undefined, 0, 'down'), report('b:1', status('replica', { epoch: 1 })), { ...report('c:1', status('replica', { epoch: 5 })), error: 'CurrentState failed' }];
    expect(decideFailover(partial.map(candidateOf), [], { switchover: false })).toMatchObject({ kind: 'promote', node: 'b:1', newEpoch: 6 });
  });
});
