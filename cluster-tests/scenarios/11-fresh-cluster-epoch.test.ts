// Scenario 11: failover on a fresh, empty cluster, where a replica never learned its primary's epoch.
//
// Goal:   the promoted replica's epoch is strictly greater than the old primary's even when the chosen
//         replica never heard from the old primary (it reports epoch 0): the failover command asks for
//         max(every epoch any node reported) + 1 and the server takes max(that, its own + 1). Before
//         this, promotion gave 0 + 1 = 1, the old primary's own epoch, and fencing could not tell them
//         apart: the old primary came back and fed replicas of the new one.
// Faults: the link node2 -> node1 is cut before node2's replica is created (node2 never hears from
//         node1: epoch 0); node3 connects and learns epoch 1 from its first answer. No writes. SIGKILL
//         of node1; `immuadmin database failover` picks node2 (tie on progress, name order); node1 is
//         restarted, still configured as primary, and node3 is pointed at it for a moment.
// Oracle: (1) node2 reported epoch 0 and node3 epoch 1 before the failover; (2) the promote step's
//         epoch and node2's status are 2 > node1's 1; (3) node3 follows node2 at epoch 2, and writes
//         acknowledged by node2 are on node2 and node3 (history checker: lost = 0); (4) node1, back,
//         is fenced: it logs `replication.fenced`, refuses writes with REPLICATION_STALE_EPOCH and
//         reports halted; node3 refuses it (halted REPLICATION_STALE_EPOCH) and applied nothing from it.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardEnv, orphanGuardImport } from '../harness/child-registry.js';
import { Cluster } from '../harness/cluster.js';
import { WriteHistory } from '../harness/history.js';
import { cliTimeoutMs } from '../harness/limits.js';
import { adminPasswordDefault, adminUser } from '../harness/node-process.js';
import { immuadminBinPath } from '../harness/paths.js';
import { waitFor } from '../harness/probes.js';
import { buildSummary, writeSummary } from '../harness/summary.js';

const scenario = '11-fresh-cluster-epoch';
const db = 'fresh';
const prefix = 'fe/';
const writesAfterFailover = 5;
const writeTimeoutMs = 5_000;
const statusWaitMs = 15_000;
const convergeMs = 20_000;

interface FailoverReport {
  readonly outcome: string;
  readonly newPrimary: string;
  readonly plannedEpoch: number;
  readonly steps: readonly { readonly kind: string; readonly node: string; readonly ok: boolean; readonly epoch?: number }[];
}

/** `immuadmin database failover` (the real CLI, bounded): exit code and output. */
function failover(nodes: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...orphanGuardImport, immuadminBinPath(), '--username', adminUser, '--output', 'json', 'database', 'failover', db, '--nodes', nodes.join(',')],
      { timeout: cliTimeoutMs, killSignal: 'SIGKILL', env: { ...process.env, ...guardEnv(), IMMUADMIN_PASSWORD: adminPasswordDefault } },
      (err, stdout, stderr) => resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr }),
    );
  });
}

async function writeOne(cluster: Cluster, node: string, history: WriteHistory, key: string): Promise<string> {
  const client = await cluster.node(node).client(db, writeTimeoutMs);
  try {
    const rec = await history.attempt(key, `${key}@${node}`, node, async () => (await client.set(Buffer.from(key), Buffer.from(`${key}@${node}`))).id);
    return rec.outcome.kind === 'acked' ? 'acked' : rec.outcome.code;
  } finally {
    client.close();
  }
}

describe(scenario, () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await Cluster.start({ label: scenario });
    // node2 will never hear from node1: its link is cut before its replica exists.
    (await cluster.link('node2', 'node1')).cut();
    await cluster.createReplicatedDatabase(db, { primary: 'node1', replicas: ['node2', 'node3'], syncAcks: 1, syncReplication: true, allowTxDiscarding: true });
  });

  afterAll(async () => {
    await cluster?.shutdown();
  });

  it('promotes above the old primary epoch, and the returning old primary is fenced', async () => {
    const started = Date.now();
    const node1 = cluster.node('node1');
    const oldEpoch = (await cluster.replicationStatus('node1', db)).epoch;
    const node3Learned = await waitFor('node3 to learn the primary epoch', statusWaitMs, async () => {
      const s = await cluster.replicationStatus('node3', db);
      return s.epoch >= oldEpoch ? s : undefined;
    });
    const node2Before = await cluster.replicationStatus('node2', db);

    await node1.kill9();
    const failoverAt = Date.now();
    const run = await failover(cluster.nodes.map((n) => n.address));
    const report = JSON.parse(run.stdout) as FailoverReport;
    const promoted = await cluster.replicationStatus('node2', db);
    const node3Follows = await waitFor('node3 to follow node2 at its epoch', statusWaitMs, async () => {
      const s = await cluster.replicationStatus('node3', db);
      return s.epoch === promoted.epoch && s.state === 'running' ? s : undefined;
    });

    const history = new WriteHistory();
    const outcomes: string[] = [];
    for (let i = 0; i < writesAfterFailover; i++) outcomes.push(await writeOne(cluster, 'node2', history, `${prefix}${i}`));
    const recoveryTimeMs = (history.records.find((r) => r.outcome.kind === 'acked')?.endMs ?? Number.NaN) - failoverAt;
    const newState = await cluster.stateOf('node2', db);
    await cluster.waitForConvergence(db, ['node2', 'node3'], newState.txId, convergeMs);

    // The old primary returns, still primary at its old epoch; a replica of the new epoch reaches it.
    await node1.start();
    const cursor = node1.events.cursor;
    await cluster.repoint('node3', db, 'node1', { syncReplication: true, allowTxDiscarding: true });
    const fenced = await node1.waitForEvent('replication.fenced', { db }, statusWaitMs, cursor).catch((err: unknown) => err as Error);
    const staleWrite = await writeOne(cluster, 'node1', new WriteHistory(), `${prefix}stale`);
    const node1Status = await cluster.replicationStatus('node1', db);
    const node3Refused = await waitFor('node3 to refuse the old primary', statusWaitMs, async () => {
      const s = await cluster.replicationStatus('node3', db);
      return s.state === 'halted' ? s : undefined;
    }).catch((err: unknown) => err as Error);
    const node3WhileFenced = await cluster.stateOf('node3', db);
    await cluster.repoint('node3', db, 'node2', { syncReplication: true, allowTxDiscarding: true });
    await cluster.waitForConvergence(db, ['node2', 'node3'], newState.txId, convergeMs);
    const checks = [];
    for (const node of ['node2', 'node3']) checks.push(history.check(await cluster.finalReads(node, db, prefix, history.keys())));
    const worst = checks.reduce((a, b) => (b.lost + b.phantoms.length > a.lost + a.phantoms.length ? b : a));

    const passed =
      run.code === 0 &&
      report.outcome === 'promoted' &&
      promoted.epoch > oldEpoch &&
      !(fenced instanceof Error) &&
      staleWrite === 'REPLICATION_STALE_EPOCH' &&
      !(node3Refused instanceof Error) &&
      checks.every((c) => c.ok);
    writeSummary(
      buildSummary({
        scenario,
        check: worst,
        recoveryTimeMs,
        durationMs: Date.now() - started,
        nodes: await cluster.finalStates(db),
        notes: [
          `old primary node1 at epoch ${oldEpoch}; before the failover node2 reported epoch ${node2Before.epoch} (link cut), node3 epoch ${node3Learned.epoch}`,
          `failover exit ${run.code}: new primary ${report.newPrimary}, planned epoch ${report.plannedEpoch}, promote step epoch ${String(report.steps[0]?.epoch)}; node2 status epoch ${promoted.epoch}; node3 follows at ${node3Follows.epoch}`,
          `writes on node2 after the failover: ${outcomes.join(', ')}`,
          `node1 back: ${fenced instanceof Error ? `not fenced: ${fenced.message}` : `fenced (epoch ${String(fenced.fields['epoch'])} < ${String(fenced.fields['newerEpoch'])})`}; write -> ${staleWrite}; status ${node1Status.state} ${node1Status.haltCode}`,
          `node3 pointed at node1: ${node3Refused instanceof Error ? node3Refused.message : `${node3Refused.state} ${node3Refused.haltCode}`}; its tx then ${node3WhileFenced.txId}`,
        ],
        passed,
      }),
    );

    // (1) the hazard's precondition: the chosen replica never learned the old epoch.
    expect(oldEpoch).toBe(1);
    expect(node2Before.epoch).toBe(0);
    expect(node3Learned.epoch).toBe(oldEpoch);
    // (2) promotion above the old primary's epoch, by the failover command.
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(report.outcome).toBe('promoted');
    expect(report.newPrimary).toBe(cluster.node('node2').address);
    expect(report.steps[0]).toMatchObject({ kind: 'promote', ok: true });
    expect(report.steps[0]?.epoch).toBeGreaterThan(oldEpoch);
    expect({ role: promoted.role, epoch: promoted.epoch }).toEqual({ role: 'primary', epoch: oldEpoch + 1 });
    // (3) the survivors serve and lose nothing.
    expect(outcomes).toEqual(Array(writesAfterFailover).fill('acked'));
    for (const c of checks) expect({ lost: c.lost, phantoms: c.phantoms.length, ok: c.ok }).toEqual({ lost: 0, phantoms: 0, ok: true });
    // (4) the old primary is fenced, and refused.
    expect(fenced).not.toBeInstanceOf(Error);
    expect(staleWrite).toBe('REPLICATION_STALE_EPOCH');
    expect({ state: node1Status.state, haltCode: node1Status.haltCode }).toEqual({ state: 'halted', haltCode: 'REPLICATION_STALE_EPOCH' });
    expect(node3Refused).not.toBeInstanceOf(Error);
    if (!(node3Refused instanceof Error)) expect(node3Refused.haltCode).toBe('REPLICATION_STALE_EPOCH');
    expect(node3WhileFenced.txId).toBe(newState.txId);
  });
});
