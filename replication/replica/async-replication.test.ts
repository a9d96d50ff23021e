// Async replication between two real servers in-process: a replica database follows its primary to
// the same tx id and Alh, refuses writes, reports itself in ReplicationStatus and the metrics, and an
// idle replica receives a new write within milliseconds (long poll, no backoff sleep).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/api/server-main.js';
import { AdminClient, errorCodeOf, failure, replicaSettings, startNode, TestDirs, waitFor } from './testing/in-process-cluster.js';

/** Generous: a long-polling replica sees a write in a few ms; immudb's backoff takes seconds. */
const idleDeliveryMsMax = 250;

let dirs: TestDirs;
let primary: RunningServer;
let replica: RunningServer;
let p: AdminClient;
let r: AdminClient;

beforeAll(async () => {
  dirs = new TestDirs();
  primary = await startNode(dirs.dir('a'));
  replica = await startNode(dirs.dir('b'));
  const pa = await AdminClient.open(primary.port);
  await pa.call('CreateDatabaseV2', { name: 'repl', settings: {} });
  pa.close();
  const ra = await AdminClient.open(replica.port);
  await ra.call('CreateDatabaseV2', { name: 'repl', settings: replicaSettings(primary.port) });
  ra.close();
  p = await AdminClient.open(primary.port, 'repl');
  r = await AdminClient.open(replica.port, 'repl');
});

afterAll(async () => {
  p.close();
  r.close();
  await replica.stop();
  await primary.stop();
  dirs.remove();
});

describe('async replication', () => {
  it('converges to the same tx id and Alh', async () => {
    for (let i = 0; i < 25; i++) await p.set(`k${i}`, `v${i}`);
    const want = await p.state();
    const got = await waitFor('the replica to catch up', async () => {
      const s = await r.state();
      return s.txId === want.txId ? s : undefined;
    });
    expect(got.txHash.equals(want.txHash)).toBe(true);
    expect(await r.get('k24')).toBe('v24');
    const st = await r.status('repl');
    expect(st).toMatchObject({ role: 'replica', state: 'running', committedTxId: want.txId, epoch: 1, primaryPort: primary.port });
    expect((await p.status('repl')).role).toBe('primary');
    const m = replica.node.replicationMetrics().find((x) => x.db === 'repl');
    expect(m).toMatchObject({ halted: false, epoch: 1 });
  });

  it('refuses writes on the replica', async () => {
    const err = await failure(r.set('x', 'y'));
    expect(errorCodeOf(err)).toBe('REPLICA_READ_ONLY');
  });

  it('delivers a write to an idle replica within milliseconds (long poll)', async () => {
    const before = await p.state();
    await waitFor('the replica to be idle at the tip', async () => (await r.state()).txId === before.txId);
    // stay idle across several long-poll windows: an immudb replica would now be in backoff
    await new Promise((res) => setTimeout(res, 1_000));
    const t0 = Date.now();
    const txId = await p.set('late', 'write');
    await waitFor('the idle replica to receive the write', async () => (await r.state()).txId >= txId, 5_000);
    expect(Date.now() - t0).toBeLessThan(idleDeliveryMsMax);
    expect(await r.get('late')).toBe('write');
  });
});
