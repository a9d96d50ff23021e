// Scenario 6: a replica's own files are tampered with while it is down: detected at start, never promoted.
//
// Goal:   a replica verifies its own store when it opens (every tx re-hashed from tx 1); a flipped byte
//         in its tx log, value log or commit log is found before it replicates or could be promoted, and
//         the database stays halted (sticky: a settings update does not clear it) while a healthy
//         replica of the same database keeps working.
// Faults: node2 stopped (SIGTERM); one byte flipped in the middle of the newest tx log (`tx/*.tx`), value
//         log (`val_0/*.val`) and commit log (`commit/*.txi`) of three databases, one file kind each;
//         node2 started again. node3 replicates the same databases untouched.
// Oracle: for each tampered database on node2: (1) detected at start: a `replication.local_corruption`
//         log event for it, or the store refusing to open it with CORRUPTED_DATA; (2) ReplicationStatus
//         says halted with haltCode CORRUPTED_DATA (local corruption: not promotable) and a repoint
//         (database update) leaves it halted; (3) promoting it (UpdateDatabaseV2 replica=false, the
//         step a failover takes) is refused with CORRUPTED_DATA and it stays a replica; (4) with node1
//         stopped, `immuadmin database failover` refuses (exit 3) when node2 is the only candidate, and
//         with node3 listed promotes node3, the healthy replica, leaving node2 a halted replica; the data
//         reads back on node3 (history checker: lost = 0).
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImmuError } from '../../src/client/index.js';
import { guardEnv, orphanGuardImport } from '../harness/child-registry.js';
import { Cluster } from '../harness/cluster.js';
import { cliTimeoutMs } from '../harness/limits.js';
import { adminPasswordDefault, adminUser } from '../harness/node-process.js';
import { immuadminBinPath } from '../harness/paths.js';
import { clientAdmin } from '../harness/database-admin.js';
import { dataFile, flipByteInFile, type DataFileKind, type FlipByteFault } from '../harness/disk-faults.js';
import { WriteHistory, type CheckResult } from '../harness/history.js';
import { startLoad } from '../harness/load.js';
import { waitFor } from '../harness/probes.js';
import { buildSummary, writeSummary } from '../harness/summary.js';

const scenario = '06-tampered-replica-not-promoted';
const prefix = 'tr/';
const kinds: readonly DataFileKind[] = ['tx', 'val', 'commit'];
const loadWriters = 2;
const loadWritesMax = 300;
const loadDurationMs = 1_500;
const writeTimeoutMs = 5_000;
const convergeMs = 30_000;
const statusWaitMs = 20_000;

/** immuadmin's exit code for a failover refused as unsafe. */
const failoverRefusedExitCode = 3;

const dbOf = (kind: DataFileKind): string => `tampered_${kind}`;

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 400);
}

/** `immuadmin database failover <db> --nodes ...` (the real CLI, bounded); resolves with its exit code and output. */
function failover(db: string, nodes: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
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

  beforeAll(async () => {
    cluster = await Cluster.start({ label: scenario });
    for (const kind of kinds) await cluster.createReplicatedDatabase(dbOf(kind), { primary: 'node1', replicas: ['node2', 'node3'], syncAcks: 0 });
  });

  afterAll(async () => {
    await cluster?.shutdown();
  });

  it('detects tampered files at start and refuses to promote that replica', async () => {
    const started = Date.now();
    const histories = new Map(kinds.map((k) => [dbOf(k), new WriteHistory()]));
    for (const kind of kinds) {
      const db = dbOf(kind);
      const history = histories.get(db) as WriteHistory;
      await startLoad({
        db,
        history,
        target: () => cluster.node('node1'),
        keyPrefix: `${prefix}${db}/`,
        writers: loadWriters,
        durationMs: loadDurationMs,
        writesMax: loadWritesMax,
        callTimeoutMs: writeTimeoutMs,
      }).done;
      const primary = await cluster.stateOf('node1', db);
      await cluster.waitForConvergence(db, ['node1', 'node2', 'node3'], primary.txId, convergeMs);
    }

    // Tamper while node2 is down.
    const node2 = cluster.node('node2');
    await node2.stop();
    const faults: FlipByteFault[] = [];
    for (const kind of kinds) {
      const file = dataFile(node2.dataDir, dbOf(kind), kind);
      faults.push(flipByteInFile(file, Math.floor(statSync(file).size / 2)));
    }
    const cursor = node2.events.cursor;
    const restartedAt = Date.now();
    await node2.start();

    const findings: { db: string; detected: string; state: string; haltCode: string; haltReason: string; repointState: string; promotion: string; role: string }[] = [];
    for (const kind of kinds) {
      const db = dbOf(kind);
      const corruption = node2.events.find((e) => e.event === 'replication.local_corruption' && e.fields['db'] === db, cursor);
      const refusedOpen = node2.events.find((e) => e.event === 'node.database_open_failed' && e.fields['db'] === db, cursor);
      const detected = corruption !== undefined ? `local_corruption ${String(corruption.fields['code'])}: ${String(corruption.fields['err'])}` : refusedOpen !== undefined ? `open refused: ${JSON.stringify(refusedOpen.fields['err'])}` : 'not detected';
      const status = await waitFor(`${db} on node2 reports halted`, statusWaitMs, async () => {
        const s = await cluster.replicationStatus('node2', db);
        return s.state === 'halted' ? s : undefined;
      }).catch(() => cluster.replicationStatus('node2', db));
      // A settings update (repoint at the same primary) must not clear a local-corruption halt.
      await cluster.repoint('node2', db, 'node1');
      const afterRepoint = await cluster.replicationStatus('node2', db);
      // The failover's promotion step, straight through the API: refused.
      let promotion = 'accepted';
      try {
        await clientAdmin.updateDatabase(node2, db, { replica: false, syncReplication: false, syncAcks: 0 });
      } catch (err) {
        promotion = isImmuError(err) ? err.code : (err as Error).message;
      }
      const afterPromotion = await cluster.replicationStatus('node2', db);
      findings.push({
        db,
        detected,
        state: status.state,
        haltCode: status.haltCode,
        haltReason: status.haltReason,
        repointState: `${afterRepoint.state}/${afterRepoint.haltCode}`,
        promotion,
        role: afterPromotion.role,
      });
    }
    const detectionMs = Date.now() - restartedAt;

    // The healthy replica is the failover target for the first database.
    const target = dbOf('tx');
    const node3Status = await cluster.replicationStatus('node3', target);
    const primaryState = await cluster.stateOf('node1', target);
    await cluster.waitForConvergence(target, ['node1', 'node3'], primaryState.txId, convergeMs);
    await cluster.node('node1').stop();
    const addresses = (names: readonly string[]): string[] => names.map((n) => cluster.node(n).address);
    // With only the tampered replica left as a candidate the failover command refuses; with node3 it picks node3.
    const refusedFailover = await failover(target, addresses(['node1', 'node2']));
    const failoverAt = Date.now();
    const doneFailover = await failover(target, addresses(['node1', 'node2', 'node3']));
    const failoverMs = Date.now() - failoverAt;
    const promoted = await cluster.replicationStatus('node3', target);
    const node2After = await cluster.replicationStatus('node2', target);
    const history = histories.get(target) as WriteHistory;
    const checks: CheckResult[] = [history.check(await cluster.finalReads('node3', target, `${prefix}${target}/`, history.keys()))];

    const ok =
      findings.every((f) => f.detected !== 'not detected' && f.state === 'halted' && f.haltCode === 'CORRUPTED_DATA' && f.repointState === 'halted/CORRUPTED_DATA' && f.promotion === 'CORRUPTED_DATA' && f.role === 'replica') &&
      node3Status.state === 'running' &&
      refusedFailover.code === failoverRefusedExitCode &&
      /no-healthy-candidate/.test(refusedFailover.stdout) &&
      doneFailover.code === 0 &&
      promoted.role === 'primary' &&
      node2After.role === 'replica' &&
      node2After.haltCode === 'CORRUPTED_DATA' &&
      checks.every((c) => c.ok);
    writeSummary(
      buildSummary({
        scenario,
        check: checks[0] as CheckResult,
        recoveryTimeMs: detectionMs,
        durationMs: Date.now() - started,
        nodes: await cluster.finalStates(target),
        notes: [
          `admin via ${cluster.admin.kind}; recoveryTimeMs = node2 restart to every tampered database checked`,
          ...faults.map((f) => `flipped ${f.file.replace(node2.dataDir, 'node2:')} @${f.offset}: ${f.before} -> ${f.after}`),
          ...findings.map((f) => `${f.db}: ${f.detected}; status ${f.state} ${f.haltCode}; after repoint ${f.repointState}; promotion ${f.promotion}, role ${f.role}; "${f.haltReason}"`),
          `immuadmin database failover ${target} without node3: exit ${refusedFailover.code} ${oneLine(refusedFailover.stdout + refusedFailover.stderr)}`,
          `immuadmin database failover ${target} with node3: exit ${doneFailover.code} in ${failoverMs} ms ${oneLine(doneFailover.stdout)}`,
          `node3 ${target}: ${node3Status.state} before failover; after: role ${promoted.role} epoch ${promoted.epoch}; node2 after: ${node2After.role} ${node2After.state} ${node2After.haltCode}`,
        ],
        passed: ok,
      }),
    );

    for (const f of findings) {
      expect(f.detected, f.db).not.toBe('not detected');
      expect({ db: f.db, state: f.state, haltCode: f.haltCode, repoint: f.repointState, promotion: f.promotion, role: f.role }).toEqual({
        db: f.db,
        state: 'halted',
        haltCode: 'CORRUPTED_DATA',
        repoint: 'halted/CORRUPTED_DATA',
        promotion: 'CORRUPTED_DATA',
        role: 'replica',
      });
    }
    expect(node3Status.state).toBe('running');
    expect(refusedFailover.code, refusedFailover.stdout + refusedFailover.stderr).toBe(failoverRefusedExitCode);
    expect(refusedFailover.stdout).toMatch(/no-healthy-candidate[\s\S]*local-corruption/);
    expect(doneFailover.code, doneFailover.stdout + doneFailover.stderr).toBe(0);
    expect(promoted.role).toBe('primary');
    expect({ role: node2After.role, haltCode: node2After.haltCode }).toEqual({ role: 'replica', haltCode: 'CORRUPTED_DATA' });
    for (const c of checks) expect({ lost: c.lost, ok: c.ok }).toEqual({ lost: 0, ok: true });
  });
});
