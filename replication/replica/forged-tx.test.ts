// A primary that forges a transaction (an altered value, an altered header field, a different tx than
// the one asked for) halts the replica: the reason is in ReplicationStatus and the metrics, the
// database stays readable, and nothing of the forged tx is committed or served.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/api/server-main.js';
import { startForgingPrimary, type Forgery, type ForgingPrimary } from './testing/forging-primary.js';
import { AdminClient, capturingLogger, errorCodeOf, failure, replicaSettings, startNode, TestDirs, waitFor } from './testing/in-process-cluster.js';

let dirs: TestDirs;
let primary: RunningServer;
let replica: RunningServer;
const forgers: ForgingPrimary[] = [];
let forgedTxId = 0;
const log = capturingLogger();

beforeAll(async () => {
  dirs = new TestDirs();
  primary = await startNode(dirs.dir('a'));
  replica = await startNode(dirs.dir('b'), { logger: log.logger });
  const pa = await AdminClient.open(primary.port);
  await pa.call('CreateDatabaseV2', { name: 'repl', settings: {} });
  pa.close();
  const p = await AdminClient.open(primary.port, 'repl');
  const ids: number[] = [];
  for (let i = 0; i < 5; i++) ids.push(await p.set(`k${i}`, `v${i}`));
  forgedTxId = ids[2] ?? 0;
  p.close();
});

afterAll(async () => {
  for (const f of forgers) f.close();
  await replica.stop();
  await primary.stop();
  dirs.remove();
});

describe('a forged tx halts the replica', () => {
  it.each<Forgery>(['value', 'header', 'order'])('forgery: %s', async (kind) => {
    const forger = await startForgingPrimary(primary.port, 'repl', forgedTxId, kind);
    forgers.push(forger);
    const name = `forged${kind}`;
    const ra = await AdminClient.open(replica.port);
    await ra.call('CreateDatabaseV2', { name, settings: replicaSettings(forger.port, { database: 'repl' }) });
    ra.close();
    const r = await AdminClient.open(replica.port, name);
    const st = await waitFor('the replica to halt', async () => {
      const s = await r.status(name);
      return s.state === 'halted' ? s : undefined;
    });
    expect(st.halt?.code).toBe('PROOF_FAILED');
    expect(st.halt?.reason).toMatch(new RegExp(`tx ${forgedTxId}|${forgedTxId}`));
    const m = replica.node.replicationMetrics().find((x) => x.db === name);
    expect(m?.halted).toBe(true);
    const event = log.events().find((e) => e['event'] === 'replication.halted' && e['db'] === name);
    expect(event).toMatchObject({ level: 50, code: 'PROOF_FAILED', kind: 'forged-tx' });
    // still readable, and nothing of the forged tx (nor anything after it) is committed or served
    const s = await r.state();
    expect(s.txId).toBeLessThan(forgedTxId);
    const err = await failure(r.get('k2'));
    expect(errorCodeOf(err)).toBe('KEY_NOT_FOUND');
    r.close();
  });
});
