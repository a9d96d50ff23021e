// Sync replication (syncAcks = 1) between two real servers in-process: a write returns only after the
// replica durably precommitted it; with the replica down the write fails with SYNC_ACK_TIMEOUT naming
// the ack count and the tx stays precommitted; when the replica returns, the tx commits and the replica
// catches up; and a blocked primary can be reconfigured (turning sync off releases the waiting write).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { status } from '@grpc/grpc-js';
import type { RunningServer } from '../../src/api/server-main.js';
import { AdminClient, errorCodeOf, failure, replicaSettings, startNode, syncPrimarySettings, TestDirs, waitFor } from './testing/in-process-cluster.js';

const syncAckTimeoutMs = 1_500;

let dirs: TestDirs;
let primary: RunningServer;
let replica: RunningServer | undefined;
let p: AdminClient;

async function startReplica(): Promise<RunningServer> {
  replica = await startNode(dirs.dir('b'));
  return replica;
}

beforeAll(async () => {
  dirs = new TestDirs();
  primary = await startNode(dirs.dir('a'), { syncAckTimeoutMs });
  const pa = await AdminClient.open(primary.port);
  await pa.call('CreateDatabaseV2', { name: 'repl', settings: syncPrimarySettings(1) });
  pa.close();
  const b = await startReplica();
  const ra = await AdminClient.open(b.port);
  await ra.call('CreateDatabaseV2', { name: 'repl', settings: replicaSettings(primary.port, { sync: true }) });
  ra.close();
  p = await AdminClient.open(primary.port, 'repl');
});

afterAll(async () => {
  p.close();
  await replica?.stop();
  await primary.stop();
  dirs.remove();
});

describe('sync replication, syncAcks = 1', () => {
  it('returns a write only after the replica durably precommitted it', async () => {
    const b = replica as RunningServer;
    const r = await AdminClient.open(b.port, 'repl');
    for (let i = 0; i < 5; i++) {
      const txId = await p.set(`k${i}`, `v${i}`);
      // the ack that released the write reported this tx durably precommitted on the replica
      const st = await r.status('repl');
      expect(st.precommittedTxId).toBeGreaterThanOrEqual(txId);
      expect(st.syncReplication).toBe(true);
    }
    const want = await p.state();
    await waitFor('the replica to commit what the primary committed', async () => (await r.state()).txId === want.txId);
    expect((await r.state()).txHash.equals(want.txHash)).toBe(true);
    const ps = await p.status('repl');
    expect(ps).toMatchObject({ role: 'primary', syncAcks: 1, state: 'running' });
    r.close();
  });

  it('fails a write with SYNC_ACK_TIMEOUT when the replica is down; the tx stays precommitted and commits on resume', async () => {
    await (replica as RunningServer).stop();
    replica = undefined;
    const before = await p.state();
    const t0 = Date.now();
    const err = await failure(p.set('lonely', 'write'));
    expect(err.code).toBe(status.UNAVAILABLE);
    expect(errorCodeOf(err)).toBe('SYNC_ACK_TIMEOUT');
    expect(err.details).toMatch(/0 ack\(s\) arrived/);
    expect(err.details).toMatch(/stays precommitted/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(syncAckTimeoutMs - 50);
    const after = await p.state();
    expect(after.txId).toBe(before.txId);
    expect(after.precommittedTxId).toBe(before.txId + 1);

    const b = await startReplica();
    const r = await AdminClient.open(b.port, 'repl');
    await waitFor('the precommitted tx to commit once the replica acks', async () => (await p.state()).txId === before.txId + 1);
    const want = await p.state();
    await waitFor('the replica to catch up', async () => (await r.state()).txId === want.txId);
    expect(await r.get('lonely')).toBe('write');
    expect((await r.state()).txHash.equals(want.txHash)).toBe(true);
    r.close();
  });

  it('accepts a settings update while a write is blocked, and turning sync off releases the write', async () => {
    await (replica as RunningServer).stop();
    replica = undefined;
    const pa = await AdminClient.open(primary.port);
    const blocked = p.set('blocked', 'write');
    await waitFor('the write to be precommitted and waiting', async () => {
      const s = await p.state();
      return s.precommittedTxId > s.txId;
    });
    await pa.call('UpdateDatabaseV2', { database: 'repl', settings: { replicationSettings: { syncReplication: { value: false } } } });
    const txId = await blocked;
    expect((await p.state()).txId).toBe(txId);
    expect((await p.status('repl')).syncAcks).toBe(0);
    pa.close();
  });
});
