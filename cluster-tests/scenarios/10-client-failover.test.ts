// Scenario 10: the client library's failover against real processes (node1 primary, node2 and node3
// sync replicas with acks = 1, replication links through the harness's TCP proxies).
//
// Goal:   one ImmuClient given all three addresses keeps reading and, once an operator ran
//         `immuadmin database failover`, writing without being told anything; it never sends a write
//         twice; its trusted state is per database lineage and never moves backwards.
// Faults: (a) node3's replication link cut (a replica behind the client's trusted state);
//         (b) SIGSTOP of the primary while a write is in flight (the client times out);
//         (c) SIGKILL of the primary, then the failover command.
// Oracle: (a) a verified read asked of the lagging replica is answered by the primary (the replica
//         refuses the newer proveSinceTx), a replica-only client is refused (TX_BEYOND_STATE), and the
//         trusted state's tx never decreases; (b) WRITE_OUTCOME_UNKNOWN within about one call timeout,
//         and the key has at most one version afterwards (not resent); (c) reads keep answering from
//         replicas during the outage, a write during the outage fails without being applied, the next
//         write after the failover lands on the new primary, and every acknowledged key reads back.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImmuClient, MemoryStateStore, isImmuError, type StateStore } from '../../src/client/index.js';
import { guardEnv, orphanGuardImport } from '../harness/child-registry.js';
import { Cluster } from '../harness/cluster.js';
import { cliTimeoutMs } from '../harness/limits.js';
import { adminPasswordDefault, adminUser } from '../harness/node-process.js';
import { immuadminBinPath } from '../harness/paths.js';

const scenario = '10-client-failover';
const db = 'app';
const clusterId = 'scenario-10';
const callTimeoutMs = 1_500;
const catchUpWaitMs = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const b = (s: string): Buffer => Buffer.from(s);

function runFailover(nodes: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...orphanGuardImport, immuadminBinPath(), '--username', adminUser, '--output', 'json', 'database', 'failover', db, '--nodes', nodes.join(',')],
      { timeout: cliTimeoutMs, killSignal: 'SIGKILL', env: { ...process.env, ...guardEnv(), IMMUADMIN_PASSWORD: adminPasswordDefault } },
      (err, stdout, stderr) => resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr }),
    );
  });
}

describe(scenario, () => {
  let cluster: Cluster;
  let addr: Record<string, string>;
  const store: StateStore = new MemoryStateStore();
  const clients: ImmuClient[] = [];

  async function failoverClient(endpoints: readonly string[], readPreference: 'primary' | 'replica' | 'any'): Promise<ImmuClient> {
    const c = new ImmuClient({ endpoints, failover: true, readPreference, clusterId, stateStore: store, timeoutMs: callTimeoutMs });
    clients.push(c);
    await c.login(adminUser, adminPasswordDefault, db);
    return c;
  }

  async function committedOn(node: string): Promise<number> {
    return (await cluster.replicationStatus(node, db)).committedTxId;
  }

  async function waitCommitted(node: string, txId: number): Promise<void> {
    const deadline = Date.now() + catchUpWaitMs;
    while ((await committedOn(node)) < txId) {
      if (Date.now() > deadline) throw new Error(`${node} did not reach tx ${txId}`);
      await sleep(100);
    }
  }

  beforeAll(async () => {
    cluster = await Cluster.start({ label: scenario });
    await cluster.createReplicatedDatabase(db, { primary: 'node1', replicas: ['node2', 'node3'], syncAcks: 1, syncReplication: true, allowTxDiscarding: true });
    addr = Object.fromEntries(cluster.nodes.map((n) => [n.name, n.address]));
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await cluster?.shutdown();
  });

  it('(a) a replica behind the trusted state is skipped or refused, never trusted backwards', async () => {
    const writer = await failoverClient([addr['node1'] as string, addr['node2'] as string, addr['node3'] as string], 'primary');
    const t1 = (await writer.set(b('b/1'), b('v1'))).id;
    await waitCommitted('node3', t1);
    const link = await cluster.link('node3', 'node1');
    link.cut();
    try {
      const t2 = (await writer.set(b('b/2'), b('v2'))).id;
      expect(await committedOn('node3')).toBeLessThan(t2);

      // Trust anchored at the primary's state (>= t2); the lagging replica is asked first and skipped.
      const reader = await failoverClient([addr['node3'] as string, addr['node1'] as string], 'replica');
      const e = await reader.verifiedGet(b('b/1'));
      expect(e.value.toString()).toBe('v1');
      expect(reader.lastEndpoint).toBe(addr['node1']);
      const trusted = await reader.trustedState();
      expect(trusted?.txId).toBeGreaterThanOrEqual(t2);

      // Only the lagging replica to ask: refused, and the trusted state did not move backwards.
      const replicaOnly = await failoverClient([addr['node3'] as string], 'replica');
      const err: unknown = await replicaOnly.verifiedGet(b('b/1')).catch((x: unknown) => x);
      expect(isImmuError(err, 'TX_BEYOND_STATE')).toBe(true);
      expect((await replicaOnly.trustedState())?.txId).toBe(trusted?.txId);
    } finally {
      link.heal();
    }
    // Healed: the replica catches up and its proofs verify against the same lineage-keyed state.
    await waitCommitted('node3', (await cluster.stateOf('node1', db)).txId);
    const reader = await failoverClient([addr['node3'] as string, addr['node1'] as string], 'replica');
    expect((await reader.verifiedGet(b('b/2'))).value.toString()).toBe('v2');
    expect(reader.lastEndpoint).toBe(addr['node3']);
  });

  it('(b) a write whose primary hangs after the request was sent is WRITE_OUTCOME_UNKNOWN and is not resent', async () => {
    const client = await failoverClient(Object.values(addr), 'primary');
    await client.set(b('u/0'), b('warm-up'));
    const primary = cluster.node('node1');
    primary.pause();
    const started = Date.now();
    let err: unknown;
    try {
      err = await client.set(b('u/1'), b('maybe')).catch((x: unknown) => x);
    } finally {
      primary.resume();
    }
    const elapsedMs = Date.now() - started;
    expect(isImmuError(err, 'WRITE_OUTCOME_UNKNOWN'), String(err)).toBe(true);
    expect(isImmuError(err) ? err.details?.['cause'] : undefined).toBe('TIMEOUT');
    expect(elapsedMs).toBeLessThan(2 * callTimeoutMs + 1_000);
    await sleep(500);
    const direct = await primary.client(db);
    try {
      const versions = await direct.history(b('u/1')).catch((x: unknown) => (isImmuError(x, 'KEY_NOT_FOUND') ? [] : Promise.reject(x)));
      expect(versions.length).toBeLessThanOrEqual(1);
    } finally {
      direct.close();
    }
  });

  it('(c) reads and writes keep working under a killed primary once the failover command ran', async () => {
    const all = Object.values(addr);
    const client = await failoverClient(all, 'any');
    const acked = new Map<string, string>();
    for (let i = 0; i < 10; i++) {
      await client.set(b(`k/${i}`), b(`v${i}`));
      acked.set(`k/${i}`, `v${i}`);
    }
    const last = (await cluster.stateOf('node1', db)).txId;
    await Promise.all(['node2', 'node3'].map((n) => waitCommitted(n, last)));

    await cluster.node('node1').kill9();
    // Reads keep answering from the replicas.
    expect((await client.get(b('k/3'))).value.toString()).toBe('v3');
    expect([addr['node2'], addr['node3']]).toContain(client.lastEndpoint);
    // A write with no primary fails without being applied anywhere (it never left the client).
    const outage: unknown = await client.set(b('k/outage'), b('x')).catch((x: unknown) => x);
    expect(isImmuError(outage, 'NODE_UNAVAILABLE'), String(outage)).toBe(true);

    const run = await runFailover(all);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { outcome: string; newPrimary: string };
    expect(report.outcome).toBe('promoted');

    // Same client, nothing done by the caller: the next write finds the new primary.
    await client.set(b('k/after'), b('after'));
    acked.set('k/after', 'after');
    expect(client.lastEndpoint).toBe(report.newPrimary);
    const verifier = await failoverClient(all, 'primary');
    for (const [key, value] of acked) expect((await verifier.verifiedGet(b(key))).value.toString(), key).toBe(value);
    const gone: unknown = await verifier.get(b('k/outage')).catch((x: unknown) => x);
    expect(isImmuError(gone, 'KEY_NOT_FOUND')).toBe(true);
  });
});
