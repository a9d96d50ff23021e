// Scenario 8: the canary. Scenario 2's workload and failover on a primary running the deliberately
// unsafe mode (acknowledge before any replica precommitted) must make the history checker report lost
// writes: proof that the oracle of scenarios 2, 3, 4 and 7 can fail.
//
// Goal:   show that the lost-write checker is not vacuous: with the one unsafe switch on, an ordinary
//         SIGKILL-and-promote failover loses acknowledged writes, and the checker says so.
// Faults: node1 started with IMMUDBTS_UNSAFE_CANARY_ACK_BEFORE_REPLICA_PRECOMMIT (test-only, read only by
//         the composition root); four writers; both sync replicas SIGSTOPped while the writers go on (the
//         canary primary keeps acknowledging: no replica holds those writes); SIGKILL of node1; replicas
//         resumed, the most advanced promoted, the other repointed (as in scenario 2).
// Oracle: (1) node1 logged `server.unsafe_canary_enabled` and `replication.unsafe_canary_enabled` (the
//         switch is loud); (2) writes were acknowledged while no replica was running; (3) the history
//         checker on the new primary REPORTS LOST WRITES (lost > 0), every one of them a tx beyond the
//         promoted replica's durable tip at the kill (the canary loses exactly what no replica held: a
//         write acknowledged a moment before the stop can be among them, so "acked after the stop" is
//         only reported, not asserted); the scenario passes only when the checker fails; (4) the
//         switch set to any other value makes the server refuse to start.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, type NodeState } from '../harness/cluster.js';
import { WriteHistory } from '../harness/history.js';
import { startLoad } from '../harness/load.js';
import { NodeProcess } from '../harness/node-process.js';
import { waitFor } from '../harness/probes.js';
import { buildSummary, writeSummary } from '../harness/summary.js';

const scenario = '08-canary-checker-can-fail';
const db = 'ledger';
const prefix = 'cn/';
const canaryEnv = { IMMUDBTS_UNSAFE_CANARY_ACK_BEFORE_REPLICA_PRECOMMIT: 'i-understand-this-loses-data' };
const loadWriters = 4;
const loadWritesMax = 3_000;
const loadDurationMs = 20_000;
const writeTimeoutMs = 3_000;
const loadBeforeStopMs = 1_500;
const ackedWhileStoppedMin = 20;
const ackedWhileStoppedWaitMs = 10_000;
const convergeMs = 30_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const moreAdvanced = (a: NodeState, b: NodeState): boolean =>
  a.precommittedTxId > b.precommittedTxId || (a.precommittedTxId === b.precommittedTxId && a.txId > b.txId);

describe(scenario, () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await Cluster.start({ label: scenario, nodeEnv: (n) => (n === 'node1' ? canaryEnv : {}) });
    await cluster.createReplicatedDatabase(db, { primary: 'node1', replicas: ['node2', 'node3'], syncAcks: 1, syncReplication: true });
  });

  afterAll(async () => {
    await cluster?.shutdown();
  });

  it('the checker reports lost writes when the primary acks before replicas precommit', async () => {
    const started = Date.now();
    const node1 = cluster.node('node1');
    const serverWarning = await node1.waitForEvent('server.unsafe_canary_enabled');
    const driverWarning = await node1.waitForEvent('replication.unsafe_canary_enabled', { db });
    const history = new WriteHistory();
    let target: NodeProcess | undefined = node1;
    const load = startLoad({
      db,
      history,
      target: () => target,
      keyPrefix: prefix,
      writers: loadWriters,
      durationMs: loadDurationMs,
      writesMax: loadWritesMax,
      callTimeoutMs: writeTimeoutMs,
    });
    try {
      await sleep(loadBeforeStopMs);
      const ackedBeforeStop = load.acked();
      cluster.node('node2').pause();
      cluster.node('node3').pause();
      const stoppedAt = Date.now();
      await waitFor('acks while no replica runs', ackedWhileStoppedWaitMs, async () => (load.acked() - ackedBeforeStop >= ackedWhileStoppedMin ? true : undefined));
      target = undefined;
      const killedAt = Date.now();
      await node1.kill9();
      const ackedWhileStopped = history.records.filter((r) => r.outcome.kind === 'acked' && r.startMs >= stoppedAt).length;
      cluster.node('node2').resume();
      cluster.node('node3').resume();

      const [s2, s3] = await Promise.all([cluster.stateOf('node2', db), cluster.stateOf('node3', db)]);
      const [winner, other] = moreAdvanced(s3, s2) ? ['node3', 'node2'] : ['node2', 'node3'];
      await cluster.promote(winner, db, 1);
      await cluster.repoint(other, db, winner, { syncReplication: true });
      await load.stop();
      const promoted = await cluster.stateOf(winner, db);
      const converged = await cluster.waitForConvergence(db, [winner, other], promoted.txId, convergeMs).catch((err: unknown) => err as Error);

      const check = history.check(await cluster.finalReads(winner, db, prefix, history.keys()));
      const lostAfterStop = check.lostWrites.filter((w) => w.endMs >= stoppedAt).length;
      const winnerTip = (winner === 'node3' ? s3 : s2).precommittedTxId;
      const lostBeyondReplica = check.lostWrites.filter((w) => w.outcome.kind === 'acked' && w.outcome.txId > winnerTip).length;
      writeSummary(
        buildSummary({
          scenario,
          check,
          recoveryTimeMs: null,
          durationMs: Date.now() - started,
          nodes: await cluster.finalStates(db),
          notes: [
            'CANARY: passed means the checker FAILED (lost > 0) under the unsafe mode, as it must',
            `node1 warned: ${serverWarning.event}, ${driverWarning.event}`,
            `acked before replicas stopped ${ackedBeforeStop}; acked while both replicas were stopped ${ackedWhileStopped}; killed ${killedAt - stoppedAt} ms after the stop`,
            `at kill: node2 tx ${s2.txId}/precommitted ${s2.precommittedTxId}, node3 tx ${s3.txId}/precommitted ${s3.precommittedTxId}; promoted ${winner}`,
            `lost ${check.lost}, of which acked after the replicas stopped ${lostAfterStop}; beyond ${winner}'s tip ${winnerTip}: ${lostBeyondReplica}`,
            converged instanceof Error ? `not converged: ${converged.message}` : `survivors converged at tx ${converged.txId}`,
          ],
          passed: check.lost > 0,
        }),
      );

      expect(ackedWhileStopped).toBeGreaterThanOrEqual(ackedWhileStoppedMin);
      expect(check.lost).toBeGreaterThan(0);
      expect(lostBeyondReplica).toBe(check.lost);
      expect(check.ok).toBe(false);
    } finally {
      await load.stop();
    }
  });

  it('the switch cannot be half-enabled: any other value refuses to start', async () => {
    const node = new NodeProcess({
      name: 'canary-typo',
      host: '127.0.0.4',
      nodeDir: join(cluster.runDir.path, 'canary-typo'),
      env: { IMMUDBTS_UNSAFE_CANARY_ACK_BEFORE_REPLICA_PRECOMMIT: 'yes' },
    });
    await expect(node.start()).rejects.toThrow(/IMMUDBTS_UNSAFE_CANARY_ACK_BEFORE_REPLICA_PRECOMMIT is set to an unexpected value/);
    expect(node.running).toBe(false);
  });
});
