// The replica's checks of its primary's state, end to end with in-process servers: with
// `replicationPrimaryPublicKey` (the `--replication-primary-public-key` flag) every replica database
// requires the primary's CurrentState signed with that key, at session start and at each periodic
// consistency check; the periodic check proves the replica's committed state is in the primary's
// history. Oracle: ReplicationStatus, replicationMetrics() and the `replication.*` log events.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/api/server-main.js';
import { startForgingPrimary, type ForgingPrimary } from './testing/forging-primary.js';
import { AdminClient, capturingLogger, replicaSettings, startNode, TestDirs, waitFor } from './testing/in-process-cluster.js';

const consistencyCheckIntervalMs = 100;
const tuning = { longPollWindowMs: 300, responseTimeoutMs: 5_000, consistencyCheckIntervalMs };

function p256(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

const keyA = p256();
const keyB = p256();
let dirs: TestDirs;
/** Signs its state with key A. */
let signed: RunningServer;
/** Signs nothing. */
let unsigned: RunningServer;
/** No primary public key configured. */
let r0: RunningServer;
/** Trusts key A. */
let r1: RunningServer;
/** Trusts key B. */
let r2: RunningServer;
const forgers: ForgingPrimary[] = [];
const log0 = capturingLogger();
const log1 = capturingLogger();
const log2 = capturingLogger();

async function writeSome(port: number, n: number, prefix: string): Promise<number> {
  const c = await AdminClient.open(port, 'repl');
  let last = 0;
  for (let i = 0; i < n; i++) last = await c.set(`${prefix}${i}`, `v${i}`);
  c.close();
  return last;
}

async function createReplica(node: RunningServer, name: string, primaryPort: number): Promise<AdminClient> {
  const a = await AdminClient.open(node.port);
  await a.call('CreateDatabaseV2', { name, settings: replicaSettings(primaryPort, { database: 'repl' }) });
  a.close();
  return AdminClient.open(node.port, name);
}

function lastCheckAtMs(node: RunningServer, db: string): number | undefined {
  return node.node.replicationMetrics().find((m) => m.db === db)?.lastConsistencyCheckAtMs;
}

beforeAll(async () => {
  dirs = new TestDirs();
  signed = await startNode(dirs.dir('signed'), { signingKey: keyA.privateKey });
  unsigned = await startNode(dirs.dir('unsigned'));
  r0 = await startNode(dirs.dir('r0'), { logger: log0.logger, replicationTuning: tuning });
  r1 = await startNode(dirs.dir('r1'), { logger: log1.logger, replicationTuning: tuning, replicationPrimaryPublicKey: keyA.publicKey });
  r2 = await startNode(dirs.dir('r2'), { logger: log2.logger, replicationTuning: tuning, replicationPrimaryPublicKey: keyB.publicKey });
  for (const p of [signed, unsigned]) {
    const a = await AdminClient.open(p.port);
    await a.call('CreateDatabaseV2', { name: 'repl', settings: {} });
    a.close();
    await writeSome(p.port, 3, 'k');
  }
});

afterAll(async () => {
  for (const f of forgers) f.close();
  for (const n of [r2, r1, r0, unsigned, signed]) await n?.stop();
  dirs.remove();
});

describe('the periodic consistency check', () => {
  it('runs and passes against an honest primary (no key configured)', async () => {
    const r = await createReplica(r0, 'honest', unsigned.port);
    const primaryTx = (await writeSome(unsigned.port, 2, 'h'));
    await waitFor('the replica to catch up', async () => (await r.state()).txId === primaryTx);
    const first = await waitFor('a passed consistency check', () => lastCheckAtMs(r0, 'honest'));
    await waitFor('a later consistency check', () => (lastCheckAtMs(r0, 'honest') ?? 0) > first);
    const event = log0.events().find((e) => e['event'] === 'replication.consistency_checked' && e['db'] === 'honest');
    expect(event).toMatchObject({ outcome: 'ok', signed: false });
    const st = await r.status('honest');
    expect(st.state).toBe('running');
    expect(st.halt).toBeUndefined();
    r.close();
  });

  it('halts with STATE_INCONSISTENT when the primary state cannot be proven consistent', async () => {
    const forger = await startForgingPrimary(unsigned.port, 'repl', 0, 'state');
    forgers.push(forger);
    const r = await createReplica(r0, 'inconsistent', forger.port);
    const st = await waitFor('the replica to halt', async () => {
      const s = await r.status('inconsistent');
      return s.state === 'halted' ? s : undefined;
    });
    expect(st.halt?.code).toBe('STATE_INCONSISTENT');
    expect(st.halt?.reason).toMatch(/not provably in the primary's history/);
    expect(r0.node.replicationMetrics().find((m) => m.db === 'inconsistent')?.halted).toBe(true);
    const event = log0.events().find((e) => e['event'] === 'replication.halted' && e['db'] === 'inconsistent');
    expect(event).toMatchObject({ level: 50, code: 'STATE_INCONSISTENT', kind: 'consistency-proof-failed' });
    // the txs themselves were honest: they were replicated and stay readable
    expect(await r.get('k0')).toBe('v0');
    r.close();
  });
});

describe('a configured primary public key', () => {
  it('the right key: replication runs, and every consistency check verifies the signature', async () => {
    const r = await createReplica(r1, 'trusted', signed.port);
    const primaryTx = await writeSome(signed.port, 2, 't');
    await waitFor('the replica to catch up', async () => (await r.state()).txId === primaryTx);
    const first = await waitFor('a passed consistency check', () => lastCheckAtMs(r1, 'trusted'));
    const more = await writeSome(signed.port, 2, 'u');
    await waitFor('the replica to catch up again', async () => (await r.state()).txId === more);
    await waitFor('a later consistency check', () => (lastCheckAtMs(r1, 'trusted') ?? 0) > first);
    const events = log1.events().filter((e) => e['db'] === 'trusted');
    expect(events.some((e) => e['event'] === 'replication.primary_state_verified')).toBe(true);
    expect(events.find((e) => e['event'] === 'replication.consistency_checked')).toMatchObject({ outcome: 'ok', signed: true });
    expect(events.some((e) => e['event'] === 'replication.halted')).toBe(false);
    const st = await r.status('trusted');
    expect(st.state).toBe('running');
    expect(await r.get('u1')).toBe('v1');
    r.close();
  });

  it('a primary signing with another key halts the replica at session start, nothing replicated', async () => {
    const r = await createReplica(r2, 'distrusted', signed.port);
    const st = await waitFor('the replica to halt', async () => {
      const s = await r.status('distrusted');
      return s.state === 'halted' ? s : undefined;
    });
    expect(st.halt?.code).toBe('PROOF_FAILED');
    expect(st.halt?.reason).toMatch(/does not verify with the configured primary public key \(it was signed by a different key\)/);
    expect(st.promotable).toBe(false);
    expect(r2.node.replicationMetrics().find((m) => m.db === 'distrusted')?.halted).toBe(true);
    const event = log2.events().find((e) => e['event'] === 'replication.halted' && e['db'] === 'distrusted');
    expect(event).toMatchObject({ level: 50, code: 'PROOF_FAILED', kind: 'primary-signature-invalid' });
    expect((await r.state()).txId).toBe(0);
    r.close();
  });

  it('a primary that does not sign its state halts the replica', async () => {
    const r = await createReplica(r1, 'unsigned', unsigned.port);
    const st = await waitFor('the replica to halt', async () => {
      const s = await r.status('unsigned');
      return s.state === 'halted' ? s : undefined;
    });
    expect(st.halt?.code).toBe('PROOF_FAILED');
    expect(st.halt?.reason).toMatch(/is not signed, but a primary public key is configured/);
    const event = log1.events().find((e) => e['event'] === 'replication.halted' && e['db'] === 'unsigned');
    expect(event).toMatchObject({ code: 'PROOF_FAILED', kind: 'primary-signature-invalid' });
    expect((await r.state()).txId).toBe(0);
    r.close();
  });

  it('a signature that stops verifying halts the replica at its next consistency check', async () => {
    const forger = await startForgingPrimary(signed.port, 'repl', 0, 'signature');
    forgers.push(forger);
    const r = await createReplica(r1, 'resigned', forger.port);
    const st = await waitFor('the replica to halt', async () => {
      const s = await r.status('resigned');
      return s.state === 'halted' ? s : undefined;
    });
    expect(st.halt?.code).toBe('PROOF_FAILED');
    expect(st.halt?.reason).toMatch(/does not verify with the configured primary public key/);
    const events = log1.events().filter((e) => e['db'] === 'resigned');
    expect(events.some((e) => e['event'] === 'replication.primary_state_verified')).toBe(true);
    expect(events.find((e) => e['event'] === 'replication.consistency_checked')).toMatchObject({ outcome: 'signature-invalid', signed: true });
    expect(events.find((e) => e['event'] === 'replication.halted')).toMatchObject({ level: 50, code: 'PROOF_FAILED', kind: 'primary-signature-invalid' });
    // what it had verified and committed before stays readable
    expect(await r.get('k0')).toBe('v0');
    r.close();
  });
});
