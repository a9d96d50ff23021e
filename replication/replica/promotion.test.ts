// Promotion, demotion and epoch fencing with three real servers in-process, all through UpdateDatabaseV2:
// a replica is promoted (epoch 1 -> 2), another replica follows it and persists epoch 2; pointed back
// at the old primary it is refused by epoch (and the old primary fences itself and refuses writes);
// the old primary is demoted to a replica of the new one, and all three converge.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/api/server-main.js';
import { AdminClient, errorCodeOf, failure, replicaSettings, startNode, TestDirs, waitFor } from './testing/in-process-cluster.js';

let dirs: TestDirs;
const nodes: Record<'a' | 'b' | 'c', RunningServer | undefined> = { a: undefined, b: undefined, c: undefined };
const db: Record<'a' | 'b' | 'c', AdminClient | undefined> = { a: undefined, b: undefined, c: undefined };
const admin: Record<'a' | 'b' | 'c', AdminClient | undefined> = { a: undefined, b: undefined, c: undefined };

function n(k: 'a' | 'b' | 'c'): RunningServer {
  const s = nodes[k];
  if (s === undefined) throw new Error(`node ${k} not started`);
  return s;
}
function c(k: 'a' | 'b' | 'c'): AdminClient {
  const x = db[k];
  if (x === undefined) throw new Error(`client ${k} not open`);
  return x;
}
function adm(k: 'a' | 'b' | 'c'): AdminClient {
  const x = admin[k];
  if (x === undefined) throw new Error(`admin ${k} not open`);
  return x;
}

async function update(k: 'a' | 'b' | 'c', settings: object): Promise<void> {
  await adm(k).call('UpdateDatabaseV2', { database: 'repl', settings });
}

async function converged(from: 'a' | 'b' | 'c', to: 'a' | 'b' | 'c'): Promise<void> {
  const want = await c(from).state();
  const got = await waitFor(`${to} to reach ${from}'s tx ${want.txId}`, async () => {
    const s = await c(to).state();
    return s.txId === want.txId ? s : undefined;
  });
  expect(got.txHash.equals(want.txHash)).toBe(true);
}

beforeAll(async () => {
  dirs = new TestDirs();
  for (const k of ['a', 'b', 'c'] as const) {
    nodes[k] = await startNode(dirs.dir(k));
    admin[k] = await AdminClient.open(n(k).port);
  }
  await adm('a').call('CreateDatabaseV2', { name: 'repl', settings: {} });
  await adm('b').call('CreateDatabaseV2', { name: 'repl', settings: replicaSettings(n('a').port) });
  await adm('c').call('CreateDatabaseV2', { name: 'repl', settings: replicaSettings(n('a').port) });
  for (const k of ['a', 'b', 'c'] as const) db[k] = await AdminClient.open(n(k).port, 'repl');
});

afterAll(async () => {
  for (const k of ['a', 'b', 'c'] as const) {
    db[k]?.close();
    admin[k]?.close();
    await nodes[k]?.stop();
  }
  dirs.remove();
});

describe('promotion, demotion and fencing', () => {
  it('replicates to both replicas at epoch 1', async () => {
    for (let i = 0; i < 5; i++) await c('a').set(`k${i}`, `v${i}`);
    await converged('a', 'b');
    await converged('a', 'c');
    expect((await c('b').status('repl')).epoch).toBe(1);
  });

  it('promotes a replica live: it takes writes at epoch 2, and the other replica follows it', async () => {
    await update('b', { replicationSettings: { replica: { value: false } } });
    const st = await c('b').status('repl');
    expect(st).toMatchObject({ role: 'primary', epoch: 2 });
    await c('b').set('after', 'promotion');
    await update('c', replicaSettings(n('b').port));
    await converged('b', 'c');
    await waitFor('c to persist epoch 2', async () => (await c('c').status('repl')).epoch === 2);
    const listed = await adm('c').call<{ databases: { name: string; settings: { replicationSettings: { primaryPort: { value: number } } } }[] }>('DatabaseListV2', {});
    expect(listed.databases.find((d) => d.name === 'repl')?.settings.replicationSettings.primaryPort.value).toBe(n('b').port);
  });

  it('refuses the stale primary: the replica halts on the epoch and the old primary fences itself', async () => {
    await update('c', replicaSettings(n('a').port));
    const st = await waitFor('c to halt on the stale epoch', async () => {
      const s = await c('c').status('repl');
      return s.state === 'halted' ? s : undefined;
    });
    expect(st.halt?.code).toBe('REPLICATION_STALE_EPOCH');
    const fenced = await waitFor('a to fence itself', async () => {
      const s = await c('a').status('repl');
      return s.state === 'halted' ? s : undefined;
    });
    expect(fenced.halt?.code).toBe('REPLICATION_STALE_EPOCH');
    const err = await failure(c('a').set('stale', 'write'));
    expect(errorCodeOf(err)).toBe('REPLICATION_STALE_EPOCH');
  });

  it('demotes the old primary to a replica of the new one, and all three converge', async () => {
    await update('a', replicaSettings(n('b').port));
    await update('c', replicaSettings(n('b').port));
    await c('b').set('final', 'write');
    await converged('b', 'a');
    await converged('b', 'c');
    expect(await c('a').status('repl')).toMatchObject({ role: 'replica', state: 'running', epoch: 2 });
    expect((await failure(c('a').set('x', 'y'))).details).toMatch(/replica/);
  });
});
