// The pure half of `immuadmin database failover`: --nodes parsing, what a node's report means to the
// decision core (a halted replica with suspect data is not promotable, an unreachable node is noted),
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
    haltCode: '', haltReason: '', haltedAtMs: 0, ...extra,
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
  it('maps halts to promotability: stale epoch stays a candidate, divergence and corruption do not', () => {
    expect(haltKindOf('')).toBeUndefined();
    expect(candidateOf(report('a:1', status('replica', { state: 'halted', haltCode: 'REPLICATION_STALE_EPOCH' }))).promotable).toBe(true);
    expect(candidateOf(report('a:1', status('replica', { state: 'halted', haltCode: 'REPLICATION_DIVERGENCE' }))).promotable).toBe(false);
    expect(candidateOf(report('a:1', status('replica', { state: 'halted', haltCode: 'CORRUPTED_DATA' }))).promotable).toBe(false);
  });

  it('an unreachable node is not reachable, with the genesis as its tips', () => {
    const c = candidateOf(report('a:1', undefined, 0, 'connection refused'));
    expect(c).toMatchObject({ reachable: false, role: undefined, committed: { txId: 0 } });
    expect(c.committed.alh.equals(EMPTY_HASH)).toBe(true);
  });
});

describe('settings and output', () => {
  it('promotion clears replica settings; a repoint sends only the new primary address', () => {
    expect(promoteSettings(1)).toMatchObject({ replica: false, syncReplication: true, syncAcks: 1, primaryHost: '' });
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
});
