// SYNC_ACK_TIMEOUT as structured data, end to end: two real servers in-process, a sync primary that
// needs 2 acks with one sync replica, and the SDK client. The write fails after the database's own
// syncAckTimeoutMs (set per database through our extension field 1002, not a server flag), and the
// client's ImmuError.details carries the ack count, the acks required and who acked (from the server's
// `immudbts-error-details` trailer), so callers never parse the message.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/api/server-main.js';
import type { ReplicationStatusResponseMsg } from '../../src/api/proto-types.js';
import { ImmuClient } from '../../src/client/index.js';
import { ImmuError } from '../../src/common/errors.js';
import { AdminClient, adminPassword, adminUser, replicaSettings, startNode, TestDirs, waitFor } from './testing/in-process-cluster.js';

/** The database's own timeout; the server default (10 s) would make this test slow and prove nothing. */
const syncAckTimeoutMs = 400;
const clientTimeoutMs = 10_000;
const ackedWriteWaitMs = 15_000;

let dirs: TestDirs;
let stateDir: string;
let primary: RunningServer | undefined;
let replica: RunningServer | undefined;
let client: ImmuClient | undefined;
let replicaUuid = '';

beforeAll(async () => {
  dirs = new TestDirs();
  stateDir = mkdtempSync(join(tmpdir(), 'immu-ack-details-'));
  primary = await startNode(dirs.dir('p'));
  replica = await startNode(dirs.dir('r'));
  const p = await AdminClient.open(primary.port);
  const r = await AdminClient.open(replica.port);
  try {
    await p.call('CreateDatabaseV2', {
      name: 'repl',
      settings: { replicationSettings: { replica: { value: false }, syncReplication: { value: true }, syncAcks: { value: 2 }, syncAckTimeoutMs: { value: syncAckTimeoutMs } } },
    });
    await r.call('CreateDatabaseV2', { name: 'repl', settings: replicaSettings(primary.port, { sync: true }) });
    replicaUuid = (await r.call<ReplicationStatusResponseMsg>('ReplicationStatus', { database: '' }, 'ts')).server_uuid;
  } finally {
    p.close();
    r.close();
  }
  client = new ImmuClient({ address: `127.0.0.1:${primary.port}`, stateDir, timeoutMs: clientTimeoutMs });
  await client.login(adminUser, adminPassword, 'repl');
});

afterAll(async () => {
  client?.close();
  await primary?.stop();
  await replica?.stop();
  dirs.remove();
  rmSync(stateDir, { recursive: true, force: true });
});

async function failedWrite(c: ImmuClient, key: string): Promise<ImmuError> {
  try {
    await c.set(Buffer.from(key), Buffer.from('v'));
  } catch (err) {
    if (err instanceof ImmuError) return err;
    throw err;
  }
  throw new Error('the write was expected to time out waiting for acks');
}

describe('SYNC_ACK_TIMEOUT details reach the client', () => {
  it('names acks, acks required and who acked as data, after the per-database timeout', async () => {
    if (client === undefined) throw new Error('not started');
    const c = client;
    let n = 0;
    // Until the replica is connected a write times out with 0 acks; then every write gets exactly 1 of 2.
    const err = await waitFor('a write acked by the one replica', async () => {
      const e = await failedWrite(c, `k${n++}`);
      return e.details?.['acks'] === 1 ? e : undefined;
    }, ackedWriteWaitMs);
    expect(err.code).toBe('SYNC_ACK_TIMEOUT');
    expect(err.details).toMatchObject({ acks: 1, acksRequired: 2, ackedBy: [replicaUuid], syncAckTimeoutMs, stillPrecommitted: true });
    expect(typeof err.details?.['txId']).toBe('number');
    // What the client adds stays beside the server's details.
    expect(err.details).toMatchObject({ rpc: expect.any(String), fromTrailer: true });
  });
});
