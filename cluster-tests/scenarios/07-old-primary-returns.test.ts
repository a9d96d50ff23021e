// Scenario 7: the old primary returns after a failover holding transactions nobody else has.
//
// Goal:   epoch fencing keeps a returning old primary from gathering acks or feeding replicas, and its
//         extra history is dealt with when it is demoted: precommitted-only extras (never acknowledged
//         to a client as committed) are discarded with allowTxDiscarding and it converges on the new
//         primary; committed extras halt it with a divergence reason (committed data is never
//         silently discarded).
// Faults: two databases on node1 (primary), node2 and node3 replicas. `pre_extras` is sync (acks = 1),
//         `com_extras` async. Both replica links to node1 are cut through the proxies while writes come
//         in: on `pre_extras` they time out (SYNC_ACK_TIMEOUT: precommitted only), on `com_extras` they
//         are acknowledged (committed, unreplicated). SIGKILL of node1; node2 promoted for both, node3
//         repointed; more writes on node2; node1 restarted. node3 is pointed at node1 for a moment (as a
//         stale configuration would) and back; node1 is then demoted to a replica of node2 with
//         allowTxDiscarding.
// Oracle: (1) fencing: node1 logs `replication.fenced` for both databases once a replica of the newer
//         epoch reaches it, refuses writes with REPLICATION_STALE_EPOCH, and node3 does not follow it
//         (halted REPLICATION_STALE_EPOCH, no tx from node1 applied); (2) pre_extras: node1 logs
//         `replication.discarded`, then node1, node2, node3 reach the same (txId, Alh), the timed-out
//         writes are absent everywhere and every acknowledged write is present (history checker on all
//         three: lost = 0); (3) com_extras: node1 halts with REPLICATION_DIVERGENCE (commit divergence)
//         and keeps its data; node2 and node3 converge and lose no write acknowledged before the cut
//         (the acknowledged async extras are gone from the new primary by the nature of async
//         replication: counted in the summary, not as sync losses).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../harness/cluster.js';
import { WriteHistory, type CheckResult } from '../harness/history.js';
import { startLoad } from '../harness/load.js';
import { waitFor } from '../harness/probes.js';
import { buildSummary, writeSummary } from '../harness/summary.js';

const scenario = '07-old-primary-returns';
const pre = 'pre_extras';
const com = 'com_extras';
const prefix = 'op/';
const syncAckTimeout = '1s';
const extrasCount = 3;
const loadWriters = 2;
const loadWritesMax = 400;
const loadDurationMs = 1_200;
const writeTimeoutMs = 6_000;
const convergeMs = 30_000;
const eventWaitMs = 20_000;

async function writeOne(cluster: Cluster, node: string, db: string, history: WriteHistory, key: string): Promise<{ outcome: string; message: string }> {
  const client = await cluster.node(node).client(db, writeTimeoutMs);
  let message = '';
  try {
    const rec = await history.attempt(key, `${key}@${node}`, node, async () => {
      try {
        return (await client.set(Buffer.from(key), Buffer.from(`${key}@${node}`))).id;
      } catch (err) {
        message = (err as Error).message;
        throw err;
      }
    });
    return { outcome: rec.outcome.kind === 'acked' ? 'acked' : rec.outcome.code, message };
  } finally {
    client.close();
  }
}

describe(scenario, () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await Cluster.start({ label: scenario, nodeArgs: (n) => (n === 'node1' ? ['--replication-sync-ack-timeout', syncAckTimeout] : []) });
    await cluster.createReplicatedDatabase(pre, { primary: 'node1', replicas: ['node2', 'node3'], syncAcks: 1, syncReplication: true, allowTxDiscarding: true });
    await cluster.createReplicatedDatabase(com, { primary: 'node1', replicas: ['node2', 'node3'], syncAcks: 0, allowTxDiscarding: true });
  });

  afterAll(async () => {
    await cluster?.shutdown();
  });

  it('fences the returning primary, discards its precommitted extras, halts on committed ones', async () => {
    const started = Date.now();
    const history = new Map([pre, com].map((db) => [db, new WriteHistory()]));
    const h = (db: string): WriteHistory => history.get(db) as WriteHistory;
    const asyncExtras = new WriteHistory();
    const node1 = cluster.node('node1');

    // Acknowledged, replicated history on both databases.
    for (const db of [pre, com]) {
      await startLoad({ db, history: h(db), target: () => node1, keyPrefix: `${prefix}${db}/`, writers: loadWriters, durationMs: loadDurationMs, writesMax: loadWritesMax, callTimeoutMs: writeTimeoutMs }).done;
      const s = await cluster.stateOf('node1', db);
      await cluster.waitForConvergence(db, ['node1', 'node2', 'node3'], s.txId, convergeMs);
    }

    // Cut node1 off from its replicas; write the extras.
    const links = [await cluster.link('node2', 'node1'), await cluster.link('node3', 'node1')];
    for (const l of links) l.cut();
    const preExtras = await Promise.all(Array.from({ length: extrasCount }, (_, i) => writeOne(cluster, 'node1', pre, h(pre), `${prefix}${pre}/extra-${i}`)));
    const comExtras = await Promise.all(Array.from({ length: extrasCount }, (_, i) => writeOne(cluster, 'node1', com, asyncExtras, `${prefix}${com}/extra-${i}`)));
    const oldPre = await cluster.stateOf('node1', pre);
    const oldCom = await cluster.stateOf('node1', com);
    await node1.kill9();
    for (const l of links) l.heal();

    // Failover to node2 for both databases.
    const failoverAt = Date.now();
    await cluster.promote('node2', pre, 1);
    await cluster.repoint('node3', pre, 'node2', { syncReplication: true, allowTxDiscarding: true });
    await cluster.promote('node2', com, 0);
    await cluster.repoint('node3', com, 'node2', { allowTxDiscarding: true });
    // Enough new history on node2 to cover the old primary's extra tx ids.
    const newWrites: string[] = [];
    for (const db of [pre, com]) {
      for (let i = 0; i < extrasCount + 3; i++) newWrites.push(`${db}:${(await writeOne(cluster, 'node2', db, h(db), `${prefix}${db}/new-${i}`)).outcome}`);
    }
    for (const db of [pre, com]) await cluster.waitForConvergence(db, ['node2', 'node3'], (await cluster.stateOf('node2', db)).txId, convergeMs);
    const firstAckAfterFailoverMs = (h(pre).records.find((r) => r.node === 'node2' && r.outcome.kind === 'acked')?.endMs ?? Number.NaN) - failoverAt;

    // The old primary returns, still configured as primary of both databases.
    await node1.start();
    const fenceCursor = node1.events.cursor;
    // A replica of the newer epoch reaches it (node3 pointed at it for a moment): node1 is fenced.
    await cluster.repoint('node3', pre, 'node1', { syncReplication: true, allowTxDiscarding: true });
    await cluster.repoint('node3', com, 'node1', { allowTxDiscarding: true });
    const fenced = await Promise.all([pre, com].map((db) => node1.waitForEvent('replication.fenced', { db }, eventWaitMs, fenceCursor)));
    const staleWrites = await Promise.all([pre, com].map((db) => writeOne(cluster, 'node1', db, new WriteHistory(), `${prefix}${db}/stale`)));
    const node3Refused = await Promise.all(
      [pre, com].map((db) =>
        waitFor(`node3 ${db} refuses the fenced primary`, eventWaitMs, async () => {
          const s = await cluster.replicationStatus('node3', db);
          return s.state === 'halted' ? s : undefined;
        }),
      ),
    );
    const node3WhileFenced = await Promise.all([pre, com].map((db) => cluster.stateOf('node3', db)));
    await cluster.repoint('node3', pre, 'node2', { syncReplication: true, allowTxDiscarding: true });
    await cluster.repoint('node3', com, 'node2', { allowTxDiscarding: true });

    // Demote node1 to a replica of node2 with allowTxDiscarding.
    const demoteCursor = node1.events.cursor;
    await cluster.repoint('node1', pre, 'node2', { syncReplication: true, allowTxDiscarding: true });
    await cluster.repoint('node1', com, 'node2', { allowTxDiscarding: true });
    const discarded = await node1.waitForEvent('replication.discarded', { db: pre }, eventWaitMs, demoteCursor);
    const comHalt = await node1.waitForEvent('replication.halted', { db: com }, eventWaitMs, demoteCursor);
    const comStatus = await cluster.replicationStatus('node1', com);
    const node1Com = await cluster.stateOf('node1', com);

    const newPre = await cluster.stateOf('node2', pre);
    const preConverged = await cluster.waitForConvergence(pre, ['node2', 'node1', 'node3'], newPre.txId, convergeMs).catch((err: unknown) => err as Error);
    const recoveryTimeMs = Date.now() - discarded.seenAtMs;
    const newCom = await cluster.stateOf('node2', com);
    const comConverged = await cluster.waitForConvergence(com, ['node2', 'node3'], newCom.txId, convergeMs).catch((err: unknown) => err as Error);

    const preChecks: CheckResult[] = [];
    for (const node of ['node1', 'node2', 'node3']) preChecks.push(h(pre).check(await cluster.finalReads(node, pre, `${prefix}${pre}/`, h(pre).keys())));
    const comChecks: CheckResult[] = [];
    for (const node of ['node2', 'node3']) comChecks.push(h(com).check(await cluster.finalReads(node, com, `${prefix}${com}/`, h(com).keys())));
    const asyncExtrasCheck = asyncExtras.check(await cluster.finalReads('node2', com, `${prefix}${com}/extra-`, asyncExtras.keys()));
    const all = [...preChecks, ...comChecks];
    const worst = all.reduce((a, b) => (b.lost + b.phantoms.length > a.lost + a.phantoms.length ? b : a));

    const passed =
      preExtras.every((e) => e.outcome === 'SYNC_ACK_TIMEOUT') &&
      comExtras.every((e) => e.outcome === 'acked') &&
      staleWrites.every((w) => w.outcome === 'REPLICATION_STALE_EPOCH') &&
      node3Refused.every((s) => s.haltCode === 'REPLICATION_STALE_EPOCH') &&
      comHalt.fields['code'] === 'REPLICATION_DIVERGENCE' &&
      comHalt.fields['kind'] === 'commit-divergence' &&
      !(preConverged instanceof Error) &&
      !(comConverged instanceof Error) &&
      all.every((c) => c.ok) &&
      preChecks.every((c) => c.uncertainNotCommitted === extrasCount);
    writeSummary(
      buildSummary({
        scenario,
        check: worst,
        recoveryTimeMs,
        durationMs: Date.now() - started,
        nodes: [...(await cluster.finalStates(pre)).map((n) => ({ ...n, node: `${n.node}/${pre}` })), ...(await cluster.finalStates(com)).map((n) => ({ ...n, node: `${n.node}/${com}` }))],
        notes: [
          `admin via ${cluster.admin.kind}; recoveryTimeMs = discard on node1 to pre_extras converged on all three`,
          `old primary at kill: ${pre} committed ${oldPre.txId} precommitted ${oldPre.precommittedTxId}; ${com} committed ${oldCom.txId}`,
          `extras: ${pre} ${preExtras.map((e) => e.outcome).join(', ')}; ${com} ${comExtras.map((e) => e.outcome).join(', ')}`,
          `first ack on node2 after failover: ${firstAckAfterFailoverMs} ms; new writes ${newWrites.join(' ')}`,
          `fenced: ${fenced.map((e) => `${String(e.fields['db'])} epoch ${String(e.fields['epoch'])} < ${String(e.fields['newerEpoch'])}`).join('; ')}`,
          `writes to the fenced node1: ${staleWrites.map((w) => `${w.outcome} "${w.message}"`).join('; ')}`,
          `node3 pointed at node1: ${node3Refused.map((s) => `${s.database} ${s.state} ${s.haltCode}`).join('; ')}; its tx then ${node3WhileFenced.map((s) => s.txId).join(', ')}`,
          `${pre}: discarded from tx ${String(discarded.fields['txId'])} (${String(discarded.fields['txs'])} txs); ${preConverged instanceof Error ? `not converged: ${preConverged.message}` : `converged at tx ${preConverged.txId}`}`,
          `${com}: node1 halted ${String(comHalt.fields['code'])} ${String(comHalt.fields['kind'])} at tx ${String(comHalt.fields['txId'])}, status ${comStatus.state} ${comStatus.haltCode}; node1 keeps tx ${node1Com.txId}; "${String(comHalt.fields['reason'])}"`,
          `${com}: async extras acked by the old primary and gone from the new one: ${asyncExtrasCheck.lost} of ${asyncExtrasCheck.acked} (async by design); survivors ${comConverged instanceof Error ? `not converged: ${comConverged.message}` : `converged at tx ${comConverged.txId}`}`,
        ],
        passed,
      }),
    );

    // Fencing.
    for (const w of staleWrites) expect(w.outcome).toBe('REPLICATION_STALE_EPOCH');
    for (const s of node3Refused) expect({ db: s.database, state: s.state, haltCode: s.haltCode }).toEqual({ db: s.database, state: 'halted', haltCode: 'REPLICATION_STALE_EPOCH' });
    expect(node3WhileFenced.map((s) => s.txId)).toEqual([newPre.txId, newCom.txId]);
    // Precommitted extras: discarded, converged, nothing acknowledged lost, the extras absent.
    for (const e of preExtras) expect(e.outcome).toBe('SYNC_ACK_TIMEOUT');
    expect(oldPre.precommittedTxId).toBe(oldPre.txId + extrasCount);
    expect(discarded.fields['txId']).toBe(oldPre.txId + 1);
    expect(preConverged).not.toBeInstanceOf(Error);
    for (const c of preChecks) expect({ lost: c.lost, phantoms: c.phantoms.length, ok: c.ok, notCommitted: c.uncertainNotCommitted }).toEqual({ lost: 0, phantoms: 0, ok: true, notCommitted: extrasCount });
    // Committed extras: halt with a divergence reason, data kept, survivors fine.
    for (const e of comExtras) expect(e.outcome).toBe('acked');
    expect({ code: comHalt.fields['code'], kind: comHalt.fields['kind'], state: comStatus.state, haltCode: comStatus.haltCode }).toEqual({
      code: 'REPLICATION_DIVERGENCE',
      kind: 'commit-divergence',
      state: 'halted',
      haltCode: 'REPLICATION_DIVERGENCE',
    });
    expect(node1Com.txId).toBe(oldCom.txId);
    expect(comConverged).not.toBeInstanceOf(Error);
    for (const c of comChecks) expect({ lost: c.lost, phantoms: c.phantoms.length, ok: c.ok }).toEqual({ lost: 0, phantoms: 0, ok: true });
  });
});
