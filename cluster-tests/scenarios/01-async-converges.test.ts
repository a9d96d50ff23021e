// Scenario 1: async replication converges.
//
// Goal:   with asynchronous replication (syncAcks = 0), two replicas of a database fed through TCP
//         proxies reach exactly the primary's state after a burst of concurrent writes.
// Faults: none beyond real processes and real sockets (the baseline every other scenario builds on).
// Oracle: (1) every node reports the same committed txId and Alh (CurrentState) within
//         convergeTimeoutMs; (2) every acknowledged write is present with its value on every node, and
//         no node holds a value that was never written (history checker, read back from each node);
//         (3) both replicas report role replica, state running, lag 0 (ReplicationStatus);
//         (4) the replication traffic went through the proxies (the replicas never bypassed them).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../harness/cluster.js';
import { WriteHistory, type CheckResult } from '../harness/history.js';
import { startLoad } from '../harness/load.js';
import { buildSummary, writeSummary } from '../harness/summary.js';

const scenario = '01-async-converges';
const db = 'orders';
const prefix = 'acc/';
const loadWriters = 4;
const loadDurationMs = 4_000;
const loadWritesMax = 1_500;
const writeTimeoutMs = 5_000;
const convergeMs = 30_000;

describe(scenario, () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await Cluster.start({ label: scenario });
    await cluster.createReplicatedDatabase(db, { primary: 'node1', replicas: ['node2', 'node3'], syncAcks: 0 });
  });

  afterAll(async () => {
    await cluster?.shutdown();
  });

  it('every node ends with the primary state and every acked write', async () => {
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
    await load.done;
    const loadEndedAt = Date.now();
    const primary = await cluster.stateOf('node1', db);
    const converged = await cluster.waitForConvergence(db, ['node1', 'node2', 'node3'], primary.txId, convergeMs);
    const recoveryTimeMs = Date.now() - loadEndedAt;

    const checks: CheckResult[] = [];
    for (const node of ['node1', 'node2', 'node3']) {
      checks.push(history.check(await cluster.finalReads(node, db, prefix, history.keys())));
    }
    const statuses = await Promise.all(['node2', 'node3'].map((n) => cluster.replicationStatus(n, db)));
    const worst = checks.reduce((a, b) => (b.lost + b.phantoms.length > a.lost + a.phantoms.length ? b : a));
    const path = writeSummary(
      buildSummary({
        scenario,
        check: worst,
        recoveryTimeMs,
        durationMs: Date.now() - started,
        nodes: await cluster.finalStates(db),
        notes: [
          `admin via ${cluster.admin.kind}`,
          `converged at tx ${converged.txId}`,
          ...statuses.map((s) => `${s.database}: role ${s.role} state ${s.state} lagTxs ${s.lagTxs} committed ${s.committedTxId}`),
        ],
        passed: checks.every((c) => c.ok) && converged.txId === primary.txId,
      }),
    );

    expect(history.records.length).toBeGreaterThan(0);
    expect(worst.acked).toBeGreaterThan(0);
    for (const c of checks) expect({ lost: c.lost, phantoms: c.phantoms.length, ok: c.ok }).toEqual({ lost: 0, phantoms: 0, ok: true });
    expect(converged).toMatchObject({ txId: primary.txId, alh: primary.alh });
    for (const s of statuses) expect({ role: s.role, state: s.state, lagTxs: s.lagTxs }).toEqual({ role: 'replica', state: 'running', lagTxs: 0 });
    for (const replica of ['node2', 'node3']) expect((await cluster.link(replica, 'node1')).counters().bytesDown).toBeGreaterThan(0);
    expect(path).toContain(scenario);
  });
});
