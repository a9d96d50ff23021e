// Two paths around the replicator: a whole-server replica configured by the server's --replication-*
// flags (systemdb and defaultdb follow the primary's, users included), and a passive replica (no
// primary) fed by an admin through exportTx and replicateTx, as hot restore will do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/api/server-main.js';
import { AdminClient, adminPassword, adminUser, errorCodeOf, failure, startNode, TestDirs, waitFor } from './testing/in-process-cluster.js';

let dirs: TestDirs;
let primary: RunningServer;
let replica: RunningServer;

beforeAll(async () => {
  dirs = new TestDirs();
  primary = await startNode(dirs.dir('a'));
  replica = await startNode(dirs.dir('b'), {
    replicationFlags: { replica: true, primaryHost: '127.0.0.1', primaryPort: primary.port, primaryUsername: adminUser, primaryPassword: adminPassword },
  });
});

afterAll(async () => {
  await replica.stop();
  await primary.stop();
  dirs.remove();
});

describe('server flags', () => {
  it('replicate systemdb (users) and defaultdb from the primary', async () => {
    const p = await AdminClient.open(primary.port);
    const txId = await p.set('flag', 'replicated');
    // the replica's own systemdb starts empty: logging in works once the primary's users arrived
    const r = await waitFor('the replica to have the admin user', () => AdminClient.open(replica.port));
    await waitFor('defaultdb to catch up', async () => (await r.state()).txId >= txId);
    expect(await r.get('flag')).toBe('replicated');
    expect((await r.state()).txHash.equals((await p.state()).txHash)).toBe(true);
    expect(await r.status('defaultdb')).toMatchObject({ role: 'replica', state: 'running', primaryDatabase: 'defaultdb' });
    p.close();
    r.close();
  });
});

describe('a passive replica', () => {
  it('accepts exportTx output through replicateTx, verified, and refuses it on a primary', async () => {
    const admin = await AdminClient.open(primary.port);
    await admin.call('CreateDatabaseV2', { name: 'src', settings: {} });
    await admin.call('CreateDatabaseV2', { name: 'restored', settings: { replicationSettings: { replica: { value: true } } } });
    admin.close();
    const src = await AdminClient.open(primary.port, 'src');
    const dst = await AdminClient.open(primary.port, 'restored');
    expect(await dst.status('restored')).toMatchObject({ role: 'passiveReplica', state: 'notRunning' });
    for (let i = 0; i < 3; i++) await src.set(`k${i}`, `v${i}`);
    for (let id = 1; id <= 3; id++) {
      const { payload, metadata } = await src.exportTx(id);
      expect(metadata['committed-txid-bin']?.length).toBe(8);
      expect(await dst.replicateTx(payload)).toBe(id);
    }
    expect((await dst.state()).txHash.equals((await src.state()).txHash)).toBe(true);
    expect(await dst.get('k2')).toBe('v2');
    // the same tx again does not chain on; a primary refuses replicateTx
    expect(errorCodeOf(await failure(dst.replicateTx((await src.exportTx(3)).payload)))).toBe('REPLICATION_DIVERGENCE');
    expect(errorCodeOf(await failure(src.replicateTx((await src.exportTx(1)).payload)))).toBe('PRECONDITION_FAILED');
    src.close();
    dst.close();
  });
});
