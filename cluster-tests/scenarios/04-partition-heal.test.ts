// Scenario 4: partition primary and replicas through the proxies, heal, converge with no loss.
//
// Goal:   a replica cut off from its primary falls behind while the primary keeps accepting writes,
//         and catches up by itself once the link heals; a replica whose responses are held (one-way
//         partition) does the same.
// Faults: node2 -> node1 link cut (connections closed, new ones refused); node3 -> node1 link blocked
//         in the primary-to-replica direction (requests flow, responses held) — both under load,
//         for partitionMs, then healed.
// Oracle: (1) during the partition node2 does not advance past the primary (it really is cut off:
//         its committed txId stays below the primary's); (2) after heal all three nodes reach the same
//         (txId, Alh); (3) history checker on every node: lost = 0, no phantom.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../harness/cluster.js';
import { WriteHistory, type CheckResult } from '../harness/history.js';
import { startLoad } from '../harness/load.js';
import { buildSummary, writeSummary } from '../harness/summary.js';

const scenario = '04-partition-heal';
const db = 'events';
const prefix = 'ph/';
const loadWriters = 3;
const loadWritesMax = 3_000;
const loadDurationMs = 20_000;
const writeTimeoutMs = 5_000;
const warmupMs = 1_000;
const partitionMs = 2_500;
const afterHealLoadMs = 1_000;
const convergeMs = 45_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe(scenario, () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await Cluster.start({ label: scenario });
    await cluster.createReplicatedDatabase(db, { primary: 'node1', replicas: ['node2', 'node3'], syncAcks: 0 });
  });

  afterAll(async () => {
    await cluster?.shutdown();
  });

  it('replicas cut off or one-way partitioned catch up after heal, nothing lost', async () => {
    const started = Date.now();
    const history = new WriteHistory();
    const load = startLoad({
      db,
      history,
      target: () => cluster.node('node1'),
      keyPrefix: prefix,
      writers: loadWriters,
      durationMs: loadDurationMs,
      writesMax: loadWritesMax,
      callTimeoutMs: writeTimeoutMs,
    });
    try {
      await sleep(warmupMs);
      const cut = await cluster.link('node2', 'node1');
      const blocked = await cluster.link('node3', 'node1');
      cut.cut();
      blocked.block('down');
      const node2AtCut = await cluster.stateOf('node2', db);
      await sleep(partitionMs);
      const node2Late = await cluster.stateOf('node2', db);
      const primaryLate = await cluster.stateOf('node1', db);
      const refused = cut.counters().connectionsRefused;
      cut.heal();
      blocked.heal();
      const healedAt = Date.now();
      await sleep(afterHealLoadMs);
      await load.stop();

      const primary = await cluster.stateOf('node1', db);
      const converged = await cluster.waitForConvergence(db, ['node1', 'node2', 'node3'], primary.txId, convergeMs).catch((err: unknown) => err as Error);
      const recoveryTimeMs = Date.now() - healedAt;
      const checks: CheckResult[] = [];
      for (const node of ['node1', 'node2', 'node3']) checks.push(history.check(await cluster.finalReads(node, db, prefix, history.keys())));
      const worst = checks.reduce((a, b) => (b.lost + b.phantoms.length > a.lost + a.phantoms.length ? b : a));
      writeSummary(
        buildSummary({
          scenario,
          check: worst,
          recoveryTimeMs,
          durationMs: Date.now() - started,
          nodes: await cluster.finalStates(db),
          notes: [
            `admin via ${cluster.admin.kind}`,
            `node2 at cut tx ${node2AtCut.txId}, after ${partitionMs} ms tx ${node2Late.txId}; primary then at tx ${primaryLate.txId}`,
            `node2 reconnects refused during the cut: ${refused}`,
            converged instanceof Error ? `not converged: ${converged.message}` : `converged at tx ${converged.txId}`,
          ],
          passed: checks.every((c) => c.ok) && !(converged instanceof Error),
        }),
      );

      expect(primaryLate.txId).toBeGreaterThan(node2Late.txId);
      expect(converged).not.toBeInstanceOf(Error);
      for (const c of checks) expect({ lost: c.lost, phantoms: c.phantoms.length, ok: c.ok }).toEqual({ lost: 0, phantoms: 0, ok: true });
    } finally {
      await load.stop();
    }
  });
});
