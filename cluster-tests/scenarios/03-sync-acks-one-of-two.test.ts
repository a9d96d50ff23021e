// Scenario 3: sync replication with acks = 1 of 2 replicas: one replica stopped, both stopped, both
// resumed.
//
// Goal:   a sync primary needing one ack keeps committing while any one replica acknowledges; with no
//         replica able to acknowledge, writes fail with SYNC_ACK_TIMEOUT (gRPC UNAVAILABLE, the message
//         saying how many acks came) and the txs stay precommitted; once the replicas come back the
//         precommitted txs commit, new writes succeed and every node reaches the same (txId, Alh).
// Faults: SIGSTOP of node2 under load (phase 1); SIGSTOP of node3 as well (phase 2: sequential writes,
//         each waits out the short ack timeout); SIGCONT of both (phase 3), load again.
// Oracle: (1) phase 1: writes are acked while node2 is stopped; (2) phase 2: every write fails with code
//         SYNC_ACK_TIMEOUT, grpc status UNAVAILABLE, after the ack timeout, the message saying "0 ack(s)
//         arrived" of the 1 required and that the tx stays precommitted; the primary's precommitted tx id runs ahead of its
//         committed one; (3) phase 3: writes are acked, the timed-out txs become committed (their keys
//         read back on every node: uncertainCommitted = timeouts), all nodes converge to one (txId, Alh);
//         (4) history checker on every node: lost = 0, no phantom.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImmuError } from '../../src/client/index.js';
import { Cluster } from '../harness/cluster.js';
import { WriteHistory, type CheckResult } from '../harness/history.js';
import { startLoad } from '../harness/load.js';
import { waitFor } from '../harness/probes.js';
import { buildSummary, writeSummary } from '../harness/summary.js';

const scenario = '03-sync-acks-one-of-two';
const db = 'payments';
const prefix = 'sa/';
const syncAckTimeout = '1500ms';
const syncAckTimeoutMs = 1_500;
const loadWriters = 3;
const loadWritesMax = 2_000;
const phaseLoadMs = 1_500;
const writeTimeoutMs = 8_000;
const blockedWrites = 3;
const ackedWaitMs = 15_000;
const convergeMs = 30_000;
const grpcUnavailable = 14;

describe(scenario, () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await Cluster.start({ label: scenario, nodeArgs: (n) => (n === 'node1' ? ['--replication-sync-ack-timeout', syncAckTimeout] : []) });
    await cluster.createReplicatedDatabase(db, { primary: 'node1', replicas: ['node2', 'node3'], syncAcks: 1, syncReplication: true });
  });

  afterAll(async () => {
    await cluster?.shutdown();
  });

  it('commits with one of two replicas, times out with none, recovers when they return', async () => {
    const started = Date.now();
    const history = new WriteHistory();
    const load = (durationMs: number, tag: string): ReturnType<typeof startLoad> =>
      startLoad({
        db,
        history,
        target: () => cluster.node('node1'),
        keyPrefix: `${prefix}${tag}/`,
        writers: loadWriters,
        durationMs,
        writesMax: loadWritesMax,
        callTimeoutMs: writeTimeoutMs,
      });
    const ackedIn = (tag: string): number => history.records.filter((r) => r.key.startsWith(`${prefix}${tag}/`) && r.outcome.kind === 'acked').length;

    // Phase 0 (baseline) and phase 1: node2 stopped, writes go on with node3's acks.
    await load(phaseLoadMs, 'p0').done;
    await cluster.waitForConvergence(db, ['node1', 'node2', 'node3'], 1, convergeMs);
    cluster.node('node2').pause();
    await load(phaseLoadMs, 'p1').done;
    const phase1Acked = ackedIn('p1');

    // Phase 2: node3 stopped too: nobody can ack.
    cluster.node('node3').pause();
    const primaryBefore = await cluster.stateOf('node1', db);
    const errors: { code: string; grpcStatus: unknown; message: string; afterMs: number }[] = [];
    const client = await cluster.node('node1').client(db, writeTimeoutMs);
    try {
      for (let i = 0; i < blockedWrites; i++) {
        const key = `${prefix}p2/blocked-${i}`;
        const value = `blocked-${i}-${Date.now()}`;
        const sentAt = Date.now();
        const rec = await history.attempt(key, value, 'node1', async () => {
          try {
            return (await client.set(Buffer.from(key), Buffer.from(value))).id;
          } catch (err) {
            errors.push({
              code: isImmuError(err) ? err.code : String(err),
              grpcStatus: isImmuError(err) ? err.details?.['grpcStatus'] : undefined,
              message: (err as Error).message,
              afterMs: Date.now() - sentAt,
            });
            throw err;
          }
        });
        if (rec.outcome.kind === 'acked') throw new Error(`write ${key} was acked with both replicas stopped (tx ${rec.outcome.txId})`);
      }
    } finally {
      client.close();
    }
    const primaryBlocked = await cluster.stateOf('node1', db);

    // Phase 3: both back; the precommitted txs commit once acked, new writes are acked.
    cluster.node('node2').resume();
    cluster.node('node3').resume();
    const resumedAt = Date.now();
    const committedAgain = await waitFor('primary commits its precommitted txs', ackedWaitMs, async () => {
      const s = await cluster.stateOf('node1', db);
      return s.txId >= primaryBlocked.precommittedTxId ? s : undefined;
    });
    const recoveryTimeMs = Date.now() - resumedAt;
    await load(phaseLoadMs, 'p3').done;
    const phase3Acked = ackedIn('p3');
    const primary = await cluster.stateOf('node1', db);
    const converged = await cluster.waitForConvergence(db, ['node1', 'node2', 'node3'], primary.txId, convergeMs).catch((err: unknown) => err as Error);

    const checks: CheckResult[] = [];
    for (const node of ['node1', 'node2', 'node3']) checks.push(history.check(await cluster.finalReads(node, db, prefix, history.keys())));
    const worst = checks.reduce((a, b) => (b.lost + b.phantoms.length > a.lost + a.phantoms.length ? b : a));
    const blockedOutcomes = history.records.filter((r) => r.key.startsWith(`${prefix}p2/`)).map((r) => r.outcome);
    const t = errors[0];
    writeSummary(
      buildSummary({
        scenario,
        check: worst,
        recoveryTimeMs,
        durationMs: Date.now() - started,
        nodes: await cluster.finalStates(db),
        notes: [
          `admin via ${cluster.admin.kind}`,
          `phase 1 (node2 stopped): ${phase1Acked} acked`,
          `phase 2 (both stopped): outcomes ${blockedOutcomes.map((o) => (o.kind === 'acked' ? 'acked' : o.code)).join(', ')}; first failed after ${t?.afterMs} ms: ${t?.code} (grpc ${String(t?.grpcStatus)}) \"${t?.message ?? ''}\"`,
          `primary before phase 2 tx ${primaryBefore.txId}; blocked: committed ${primaryBlocked.txId}, precommitted ${primaryBlocked.precommittedTxId}`,
          `after resume: primary committed tx ${committedAgain.txId} (recovery = resume to commit of the precommitted txs)`,
          `phase 3: ${phase3Acked} acked`,
          converged instanceof Error ? `not converged: ${converged.message}` : `converged at tx ${converged.txId}`,
        ],
        passed: checks.every((c) => c.ok) && !(converged instanceof Error) && phase1Acked > 0 && phase3Acked > 0 && t?.code === 'SYNC_ACK_TIMEOUT',
      }),
    );

    expect(phase1Acked).toBeGreaterThan(0);
    for (const o of blockedOutcomes) expect(o).toEqual({ kind: 'uncertain', code: 'SYNC_ACK_TIMEOUT' });
    expect(errors).toHaveLength(blockedWrites);
    for (const e of errors) {
      expect({ code: e.code, grpcStatus: e.grpcStatus }).toEqual({ code: 'SYNC_ACK_TIMEOUT', grpcStatus: grpcUnavailable });
      expect(e.message).toMatch(/not acknowledged by 1 replica\(s\) within \d+ ms: 0 ack\(s\) arrived/);
      expect(e.message).toMatch(/stays precommitted/);
      expect(e.afterMs).toBeGreaterThanOrEqual(syncAckTimeoutMs - 100);
    }
    expect(primaryBlocked.precommittedTxId).toBeGreaterThanOrEqual(primaryBlocked.txId + blockedWrites);
    expect(phase3Acked).toBeGreaterThan(0);
    expect(converged).not.toBeInstanceOf(Error);
    for (const c of checks) {
      expect({ lost: c.lost, phantoms: c.phantoms.length, ok: c.ok }).toEqual({ lost: 0, phantoms: 0, ok: true });
      expect(c.uncertainCommitted).toBe(blockedWrites);
    }
  });
});
