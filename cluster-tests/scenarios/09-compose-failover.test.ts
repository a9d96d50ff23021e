// Scenario 9: the shipped 3-node deployment (docker-compose.cluster.yml), run without Docker by the
// compose runner, survives the loss of its primary through the real `immuadmin database failover`.
//
// Goal:   the compose file is runnable as written (its commands, environment, healthchecks and init
//         services, with only the container translations of compose-runner.ts), and an operator's
//         failover on it keeps every acknowledged write.
// Faults: SIGKILL of node1 (the primary) after writes acknowledged through node1 alone.
// Oracle: (0) the init services run a second time (a second `up`) exit 0 saying `app` exists;
//         (1) `immuadmin --output json database failover app --nodes ...` exits 0, promotes node2 or
//         node3, repoints the other, notes node1 unreachable; (2) every acknowledged key reads back
//         with its value through a failover client given all three addresses (verified reads);
//         (3) that client's next write lands on the new primary by itself.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImmuClient, MemoryStateStore } from '../../src/client/index.js';
import { ComposeRunner } from '../compose/compose-runner.js';
import { guardEnv, orphanGuardImport } from '../harness/child-registry.js';
import { cliTimeoutMs } from '../harness/limits.js';
import { immuadminBinPath, makeRunDir, repoRoot, type RunDir } from '../harness/paths.js';

const scenario = '09-compose-failover';
/** Loopback addresses of node1..3: not the defaults, so a developer's `npm run cluster:local` can run alongside. */
const addresses = ['127.0.9.1', '127.0.9.2', '127.0.9.3'];
const db = 'app';
const adminPassword = 'Immudb-Cluster-1!';
const writes = 30;
const replicaCatchUpWaitMs = 5_000;
const clientTimeoutMs = 5_000;

interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function immuadmin(args: readonly string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...orphanGuardImport, immuadminBinPath(), ...args],
      { timeout: cliTimeoutMs, killSignal: 'SIGKILL', env: { ...process.env, ...guardEnv(), IMMUADMIN_PASSWORD: adminPassword } },
      (err, stdout, stderr) => resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr }),
    );
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe(scenario, () => {
  let runDir: RunDir;
  let runner: ComposeRunner;

  beforeAll(async () => {
    runDir = makeRunDir(scenario);
    runner = await ComposeRunner.up({ repoRoot, runDir: runDir.path, addresses });
  });

  afterAll(async () => {
    await runner?.down();
    runDir?.remove();
  });

  it('the compose file describes three nodes with /readyz healthchecks and init services using immuadmin', () => {
    const nodes = runner.model.services.filter((s) => !s.oneShot);
    expect(nodes.map((s) => s.name)).toEqual(['node1', 'node2', 'node3']);
    expect(nodes.map((s) => s.ports.map((p) => `${p.host}:${p.container}`))).toEqual([
      ['3322:3322', '9497:9497'],
      ['3323:3322', '9498:9497'],
      ['3324:3322', '9499:9497'],
    ]);
    for (const n of nodes) {
      expect(n.healthcheck?.command.join(' ')).toMatch(/\/readyz/);
      expect(n.volumes).toEqual([{ name: `${n.name}-data`, target: '/var/lib/immudb' }]);
    }
    const init = runner.model.services.filter((s) => s.oneShot);
    expect(init.map((s) => s.argv[1])).toEqual(Array(3).fill('/usr/share/immudb/dist/src/cli/immuadmin.js'));
    expect(init[0]?.argv.join(' ')).toMatch(/database create app --if-not-exists --replication-sync-enabled --replication-sync-acks 1/);
    for (const s of init) expect(s.argv).toContain('--if-not-exists');
  });

  it('a second `up` is idempotent: each init service runs again, says the database exists, and exits 0', async () => {
    for (const name of ['init-node1', 'init-node2', 'init-node3']) {
      const again = await runner.rerunOneShot(name);
      expect({ name, code: again.code }, again.output).toEqual({ name, code: 0 });
      expect(again.output).toMatch(/database app already exists: nothing changed/);
    }
  });

  it('keeps every acknowledged write across a SIGKILL of the primary and `immuadmin database failover`', async () => {
    const all = ['node1', 'node2', 'node3'].map((n) => runner.address(n, 3322));
    const [n1, n2, n3] = all as [string, string, string];

    // Writes through node1 alone, as a client of the plain deployment would.
    const direct = new ImmuClient({ address: n1, timeoutMs: clientTimeoutMs, stateStore: new MemoryStateStore() });
    await direct.login('immudb', adminPassword, db);
    const acked = new Map<string, string>();
    let lastTx = 0;
    for (let i = 0; i < writes; i++) {
      const key = `c/${String(i).padStart(3, '0')}`;
      lastTx = (await direct.set(Buffer.from(key), Buffer.from(`v${i}`))).id;
      acked.set(key, `v${i}`);
    }
    direct.close();

    // Let the replicas learn that the last write committed (a quiet primary, then the crash).
    const deadline = Date.now() + replicaCatchUpWaitMs;
    for (;;) {
      const states = await Promise.all(
        [n2, n3].map(async (a) => {
          const c = new ImmuClient({ address: a, timeoutMs: clientTimeoutMs, stateStore: new MemoryStateStore() });
          try {
            await c.login('immudb', adminPassword);
            return (await c.replicationStatus(db)).databases[0]?.committedTxId ?? 0;
          } finally {
            c.close();
          }
        }),
      );
      if (states.every((t) => t >= lastTx) || Date.now() > deadline) break;
      await sleep(100);
    }

    await runner.kill9('node1');
    const run = await immuadmin(['--username', 'immudb', '--output', 'json', 'database', 'failover', db, '--nodes', all.join(',')]);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as {
      outcome: string;
      newPrimary: string;
      nodes: { node: string; reachable: boolean }[];
      steps: { kind: string; node: string; ok: boolean; epoch?: number }[];
    };
    expect(report.outcome).toBe('promoted');
    expect([n2, n3]).toContain(report.newPrimary);
    expect(report.nodes.find((n) => n.node === n1)?.reachable).toBe(false);
    const other = report.newPrimary === n2 ? n3 : n2;
    expect(report.steps.map((s) => [s.kind, s.node, s.ok])).toEqual([
      ['promote', report.newPrimary, true],
      ['repoint', other, true],
    ]);
    expect(report.steps[0]?.epoch).toBeGreaterThanOrEqual(2);

    // Everything acknowledged reads back, verified, through the failover client given all three nodes.
    const client = new ImmuClient({ endpoints: all, timeoutMs: clientTimeoutMs, stateStore: new MemoryStateStore() });
    try {
      await client.login('immudb', adminPassword, db);
      for (const [key, value] of acked) {
        const e = await client.verifiedGet(Buffer.from(key));
        expect(e.value.toString('utf8'), key).toBe(value);
      }
      await client.set(Buffer.from('after-failover'), Buffer.from('ok'));
      expect(client.lastEndpoint).toBe(report.newPrimary);
    } finally {
      client.close();
    }
  });
});
