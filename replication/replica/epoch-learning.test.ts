// The fresh-cluster epoch hazard, in-process over real gRPC. A replica that never learned its primary's
// epoch reports 0, and promoting it used to yield 0 + 1 = the old primary's own epoch 1, so fencing
// could not tell them apart. Checked here: (a) a fresh replica learns the epoch from the first answer of
// its session, even when the primary's long-poll window is far longer than the test waits; (b) a
// promotion takes the requested minimum epoch (ReplicationNullableSettings.primaryEpoch, our field
// 1001) and no update lowers it; and ReplicationStatus.promotable is the node's own verdict: true for a
// running replica, false for a primary, a passive replica and a halted replica.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/api/server-main.js';
import { AdminClient, replicaSettings, startNode, TestDirs, waitFor } from './testing/in-process-cluster.js';

/** Far beyond every wait below: without the early answer the replica would learn nothing in time. */
const primaryLongPollWindowMs = 60_000;
const learnEpochWaitMs = 5_000;

let dirs: TestDirs;
let a: RunningServer | undefined;
let b: RunningServer | undefined;
let adminA: AdminClient | undefined;
let adminB: AdminClient | undefined;

function admin(c: AdminClient | undefined): AdminClient {
  if (c === undefined) throw new Error('not started');
  return c;
}

interface ListedDatabase {
  readonly name: string;
  readonly settings: { readonly replicationSettings: { readonly primaryEpoch: { readonly value: { toNumber(): number } } | null } };
}

async function listedEpoch(c: AdminClient, db: string): Promise<number | undefined> {
  const res = await c.call<{ databases: ListedDatabase[] }>('DatabaseListV2', {});
  return res.databases.find((d) => d.name === db)?.settings.replicationSettings.primaryEpoch?.value.toNumber();
}

beforeAll(async () => {
  dirs = new TestDirs();
  a = await startNode(dirs.dir('a'), { replicationTuning: { longPollWindowMs: primaryLongPollWindowMs, responseTimeoutMs: 5_000 } });
  b = await startNode(dirs.dir('b'));
  adminA = await AdminClient.open(a.port);
  adminB = await AdminClient.open(b.port);
});

afterAll(async () => {
  adminA?.close();
  adminB?.close();
  await a?.stop();
  await b?.stop();
  dirs.remove();
});

describe('epoch on a fresh cluster', () => {
  it('a fresh replica learns its primary epoch from the first answer, not after a long-poll window', async () => {
    if (a === undefined) throw new Error('not started');
    await admin(adminA).call('CreateDatabaseV2', { name: 'repl', settings: {} });
    await admin(adminB).call('CreateDatabaseV2', { name: 'repl', settings: replicaSettings(a.port) });
    const learned = await waitFor('the replica to persist epoch 1', async () => {
      const s = await admin(adminB).status('repl');
      return s.epoch === 1 ? s : undefined;
    }, learnEpochWaitMs);
    expect(learned).toMatchObject({ role: 'replica', promotable: true });
    // The status shows the epoch as the core decides to persist it; the settings once it is durable.
    await waitFor('the epoch in the persisted settings', async () => (await listedEpoch(admin(adminB), 'repl')) === 1, learnEpochWaitMs);
    expect(await admin(adminA).status('repl')).toMatchObject({ role: 'primary', epoch: 1, promotable: false });
  });

  it('promotion takes max(requested, persisted + 1) through the wire, and no update lowers the epoch', async () => {
    await admin(adminB).call('UpdateDatabaseV2', { database: 'repl', settings: { replicationSettings: { replica: { value: false }, primaryEpoch: { value: 7 } } } });
    expect(await admin(adminB).status('repl')).toMatchObject({ role: 'primary', epoch: 7 });
    await admin(adminB).call('UpdateDatabaseV2', { database: 'repl', settings: { replicationSettings: { primaryEpoch: { value: 3 } } } });
    expect((await admin(adminB).status('repl')).epoch).toBe(7);
    expect(await listedEpoch(admin(adminB), 'repl')).toBe(7);
  });

  it('promotable is false for a passive replica and for a halted one', async () => {
    if (a === undefined) throw new Error('not started');
    await admin(adminB).call('CreateDatabaseV2', { name: 'passive', settings: { replicationSettings: { replica: { value: true } } } });
    expect(await admin(adminB).status('passive')).toMatchObject({ role: 'passiveReplica', promotable: false });
    // A replica told (floor) that epoch 9 exists refuses a's epoch 1: halted, not promotable.
    const floor = replicaSettings(a.port) as { replicationSettings: Record<string, unknown> };
    await admin(adminB).call('CreateDatabaseV2', { name: 'late', settings: { replicationSettings: { ...floor.replicationSettings, primaryEpoch: { value: 9 } } } });
    const halted = await waitFor('the floored replica to halt on the stale epoch', async () => {
      const s = await admin(adminB).status('late');
      return s.state === 'halted' ? s : undefined;
    });
    expect(halted).toMatchObject({ epoch: 9, promotable: false, halt: { code: 'REPLICATION_STALE_EPOCH' } });
  });
});
