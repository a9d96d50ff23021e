// Scenario 2: sync replication (acks = 1), the primary is SIGKILLed under load, the most advanced
// replica is promoted and the other repointed: zero acknowledged writes lost.
//
// Goal:   a write the primary acknowledged was durably precommitted by at least one replica, so
//         promoting the most advanced replica (UpdateDatabaseV2 replica=false, through immuadmin) keeps
//         it; the other replica follows the new primary and the cluster accepts writes again.
// Faults: SIGKILL of the primary while four writers are mid-flight (writes in flight become uncertain).
// Oracle: (1) history checker on the final reads of both survivors: lost = 0, no phantom value, no
//         definitely-failed write visible; (2) the survivors converge to one (txId, Alh);
//         (3) the new primary acknowledges writes after the failover (recovery time = kill to first ack
//         on the new primary, in summary.json).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, type NodeState } from '../harness/cluster.js';
import { WriteHistory, type CheckResult } from '../harness/history.js';
import { startLoad } from '../harness/load.js';
import type { NodeProcess } from '../harness/node-process.js';
import { buildSummary, writeSummary } from '../harness/summary.js';

const scenario = '02-sync-failover-no-loss';
const db = 'ledger';
const prefix = 'sf/';
const loadWriters = 4;
const loadWritesMax = 3_000;
const loadDurationMs = 20_000;
const writeTimeoutMs = 3_000;
const loadBeforeKillMs = 2_500;
const loadAfterFailoverMs = 2_000;
const ackedAfterFailoverWaitMs = 10_000;
const convergeMs = 30_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const moreAdvanced = (a: NodeState, b: NodeState): boolean =>
  a.precommittedTxId > b.precommittedTxId || (a.precommittedTxId === b.precommittedTxId && a.txId > b.txId);

describe(scenario, () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await Cluster.start({ label: scenario });
    await cluster.createReplicatedDatabase(db, { primary: 'node1', replicas: ['node2', 'node3'], syncAcks: 1, syncReplication: true });
  });

  afterAll(async () => {
    await cluster?.shutdown();
  });

  it('loses no acknowledged write across a SIGKILL of the primary and a promotion', async () => {
    const started = Date.now();
    const history = new WriteHistory();
    let target: NodeProcess | undefined = cluster.node('node1');
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
      await sleep(loadBeforeKillMs);
      const ackedBeforeKill = load.acked();
      target = undefined;
      const killedAt = Date.now();
      await cluster.node('node1').kill9();

      // Promote the replica that holds the most (precommitted first, then committed).
      const [s2, s3] = await Promise.all([cluster.stateOf('node2', db), cluster.stateOf('node3', db)]);
      const [winner, other] = moreAdvanced(s3, s2) ? ['node3', 'node2'] : ['node2', 'node3'];
      await cluster.promote(winner, db, 1);
      await cluster.repoint(other, db, winner, { syncReplication: true });
      const ackedAtFailover = history.records.filter((r) => r.outcome.kind === 'acked').length;
      target = cluster.node(winner);

      // Recovery: the first acknowledged write on the new primary.
      const deadline = Date.now() + ackedAfterFailoverWaitMs;
      let firstAckAt: number | undefined;
      while (firstAckAt === undefined && Date.now() < deadline) {
        firstAckAt = history.records.find((r) => r.node === winner && r.outcome.kind === 'acked')?.endMs;
        if (firstAckAt === undefined) await sleep(50);
      }
      await sleep(loadAfterFailoverMs);
      await load.stop();

      const primary = await cluster.stateOf(winner, db);
      const converged = await cluster.waitForConvergence(db, [winner, other], primary.txId, convergeMs).catch((err: unknown) => err as Error);
      const checks: CheckResult[] = [];
      for (const node of [winner, other]) checks.push(history.check(await cluster.finalReads(node, db, prefix, history.keys())));
      const worst = checks.reduce((a, b) => (b.lost + b.phantoms.length > a.lost + a.phantoms.length ? b : a));
      writeSummary(
        buildSummary({
          scenario,
          check: worst,
          recoveryTimeMs: firstAckAt === undefined ? null : firstAckAt - killedAt,
          durationMs: Date.now() - started,
          nodes: await cluster.finalStates(db),
          notes: [
            `admin via ${cluster.admin.kind}`,
            `acked before kill ${ackedBeforeKill}, acked at failover ${ackedAtFailover}`,
            `at kill: node2 tx ${s2.txId}/precommitted ${s2.precommittedTxId}, node3 tx ${s3.txId}/precommitted ${s3.precommittedTxId}`,
            `promoted ${winner}, repointed ${other}`,
            converged instanceof Error ? `not converged: ${converged.message}` : `converged at tx ${converged.txId}`,
          ],
          passed: checks.every((c) => c.ok) && !(converged instanceof Error) && firstAckAt !== undefined,
        }),
      );

      expect(ackedBeforeKill).toBeGreaterThan(0);
      for (const c of checks) expect({ lost: c.lost, phantoms: c.phantoms.length, failedButVisible: c.failedButVisible.length }).toEqual({ lost: 0, phantoms: 0, failedButVisible: 0 });
      expect(firstAckAt).toBeDefined();
      expect(converged).not.toBeInstanceOf(Error);
    } finally {
      await load.stop();
    }
  });
});
