// Scenario 5: a forged transaction reaches a replica: it halts with the reason and serves none of it.
//
// Goal:   a replica verifies every tx it is sent (entry digests, Eh, the tx id asked for, the chain onto
//         its own Alh, the primary's attestations) and halts replication of that database, loudly, on
//         the first one it cannot verify; nothing forged becomes readable, what was verified before it
//         stays readable.
// Faults: a forging relay process (replication/replica/testing/forging-relay.ts) sits between the
//         primary (node1) and the replica (node2) and forges one tx per database: `value` (an entry's
//         value altered), `header` (the header's timestamp altered: a self-consistent header whose hash
//         and Alh differ from the primary's), `order` (tx N+1 sent when N is asked for), `replay`
//         (tx N-1 sent again when N is asked for).
// Oracle: for each database on node2: (1) ReplicationStatus state halted with haltCode PROOF_FAILED and
//         a reason naming the tx; (2) a `replication.halted` log event with db, kind forged-tx;
//         (3) metric immudb_replication_halted{db} = 1; (4) the key written by the forged tx (and the
//         one after it) is not readable on node2 and its committed tx id stays below the forged tx;
//         (5) node2 serves exactly its committed prefix: every key of a tx at or below its committed tx
//         id reads back with the primary's value, every later key is absent (verified data stays
//         readable, nothing else is); the primary itself loses nothing (history checker on node1).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../harness/cluster.js';
import { WriteHistory } from '../harness/history.js';
import { ForgingRelayProcess, type ForgeSpec, type Forgery } from '../harness/forging-relay-process.js';
import { adminUser, type NodeProcess } from '../harness/node-process.js';
import { metricValue, readKey, waitFor, type KeyRead } from '../harness/probes.js';
import { buildSummary, writeSummary } from '../harness/summary.js';

const scenario = '05-forged-tx-halts';
const prefix = 'fx/';
const forgeries: readonly Forgery[] = ['value', 'header', 'order', 'replay'];
const keysPerDb = 8;
/** Index (0-based) of the key whose tx is forged. */
const forgedKeyIndex = 4;
const haltWaitMs = 20_000;

interface DbOutcome {
  readonly db: string;
  readonly kind: Forgery;
  readonly forgedTxId: number;
  readonly state: string;
  readonly haltCode: string;
  readonly haltReason: string;
  readonly committedTxId: number;
  readonly haltEvent: Readonly<Record<string, unknown>>;
  readonly metric: number | undefined;
  readonly forgedKey: KeyRead;
  readonly nextKey: KeyRead;
  /** Keys whose read on node2 disagrees with its committed prefix (should be none). */
  readonly prefixMismatches: readonly string[];
  readonly detectionMs: number;
}

/** Keys of `db` on `node` that do not match its committed prefix (present iff tx <= committed). */
async function prefixMismatches(node: NodeProcess, db: string, kind: Forgery, ids: readonly number[]): Promise<string[]> {
  const committed = await node.client(db).then(async (c) => {
    try {
      return (await c.currentState()).txId;
    } finally {
      c.close();
    }
  });
  const out: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    const read = await readKey(node, db, `${prefix}${db}/k${i}`);
    const want: KeyRead = (ids[i] ?? 0) <= committed ? { kind: 'present', value: `${kind}-value-${i}` } : { kind: 'absent' };
    if (JSON.stringify(read) !== JSON.stringify(want)) out.push(`k${i}: ${JSON.stringify(read)}`);
  }
  return out;
}

describe(scenario, () => {
  let cluster: Cluster;
  let relay: ForgingRelayProcess | undefined;

  beforeAll(async () => {
    cluster = await Cluster.start({ label: scenario, nodeCount: 2 });
  });

  afterAll(async () => {
    await relay?.close();
    await cluster?.shutdown();
  });

  it('halts on each forgery with the reason and serves nothing forged', async () => {
    const started = Date.now();
    const history = new WriteHistory();
    const node1 = cluster.node('node1');
    const node2 = cluster.node('node2');
    const dbOf = (kind: Forgery): string => `forged_${kind}`;

    // The primary's data: keysPerDb single-key txs per database, tx ids recorded.
    const txIds = new Map<string, number[]>();
    for (const kind of forgeries) {
      const db = dbOf(kind);
      await cluster.admin.createDatabase(node1, db, { replica: false, syncReplication: false, syncAcks: 0 });
      const client = await node1.client(db);
      try {
        const ids: number[] = [];
        for (let i = 0; i < keysPerDb; i++) {
          const key = `${prefix}${db}/k${i}`;
          const rec = await history.attempt(key, `${kind}-value-${i}`, 'node1', async () => (await client.set(Buffer.from(key), Buffer.from(`${kind}-value-${i}`))).id);
          if (rec.outcome.kind !== 'acked') throw new Error(`setup write ${key} failed: ${rec.outcome.code}`);
          ids.push(rec.outcome.txId);
        }
        txIds.set(db, ids);
      } finally {
        client.close();
      }
    }
    const forgedTx = (db: string): number => txIds.get(db)?.[forgedKeyIndex] ?? 0;
    const specs: ForgeSpec[] = forgeries.map((kind) => ({ db: dbOf(kind), kind, txId: forgedTx(dbOf(kind)) }));
    relay = await ForgingRelayProcess.start(node1.host, node1.address, specs);

    // node2 replicates each database from the relay, which it takes for the primary.
    for (const kind of forgeries) {
      await cluster.admin.createDatabase(node2, dbOf(kind), {
        replica: true,
        primaryDatabase: dbOf(kind),
        primaryHost: relay.host,
        primaryPort: relay.port,
        primaryUsername: adminUser,
        primaryPassword: node1.adminPassword,
        syncReplication: false,
        allowTxDiscarding: false,
      });
    }

    const outcomes: DbOutcome[] = [];
    for (const kind of forgeries) {
      const db = dbOf(kind);
      const forged = await relay.waitForForged(db, haltWaitMs);
      const haltEvent = await node2.waitForEvent('replication.halted', { db }, haltWaitMs);
      const status = await waitFor(`${db} halted in ReplicationStatus`, haltWaitMs, async () => {
        const s = await cluster.replicationStatus('node2', db);
        return s.state === 'halted' ? s : undefined;
      });
      const metric = await waitFor(`${db} halted metric`, haltWaitMs, async () => ((await metricValue(node2, 'immudb_replication_halted', { db })) === 1 ? 1 : undefined)).catch(
        () => undefined,
      );
      outcomes.push({
        db,
        kind,
        forgedTxId: forgedTx(db),
        state: status.state,
        haltCode: status.haltCode,
        haltReason: status.haltReason,
        committedTxId: (await cluster.stateOf('node2', db)).txId,
        haltEvent: haltEvent.fields,
        metric,
        forgedKey: await readKey(node2, db, `${prefix}${db}/k${forgedKeyIndex}`),
        nextKey: await readKey(node2, db, `${prefix}${db}/k${forgedKeyIndex + 1}`),
        prefixMismatches: await prefixMismatches(node2, db, kind, txIds.get(db) ?? []),
        detectionMs: haltEvent.seenAtMs - forged.seenAtMs,
      });
    }

    // The primary is untouched: every write it acked reads back there.
    const primaryReads = new Map<string, string | undefined>();
    for (const kind of forgeries) {
      for (const [k, v] of await cluster.readAll('node1', dbOf(kind), `${prefix}${dbOf(kind)}/`)) primaryReads.set(k, v);
    }
    for (const k of history.keys()) if (!primaryReads.has(k)) primaryReads.set(k, undefined);
    const check = history.check(primaryReads);
    const ok = (o: DbOutcome): boolean =>
      o.state === 'halted' &&
      o.haltCode === 'PROOF_FAILED' &&
      o.haltEvent['kind'] === 'forged-tx' &&
      o.metric === 1 &&
      o.forgedKey.kind === 'absent' &&
      o.nextKey.kind === 'absent' &&
      o.committedTxId < o.forgedTxId &&
      o.prefixMismatches.length === 0;
    writeSummary(
      buildSummary({
        scenario,
        check,
        recoveryTimeMs: null,
        durationMs: Date.now() - started,
        nodes: (await Promise.all(forgeries.map((k) => cluster.finalStates(dbOf(k))))).flat().map((n, i) => ({ ...n, node: `${n.node}/${dbOf(forgeries[Math.floor(i / 2)] ?? 'value')}` })),
        notes: [
          `admin via ${cluster.admin.kind}`,
          'no recovery by design: a halt is the end state; detection = relay.forged to replication.halted',
          ...outcomes.map(
            (o) =>
              `${o.db}: forged tx ${o.forgedTxId} (${o.kind}) -> ${o.state} ${o.haltCode} kind=${String(o.haltEvent['kind'])} metric=${String(o.metric)} ` +
              `committed ${o.committedTxId}; forged key ${o.forgedKey.kind}, next ${o.nextKey.kind}, prefix mismatches [${o.prefixMismatches.join(', ')}]; detected in ${o.detectionMs} ms; "${o.haltReason}"`,
          ),
        ],
        passed: check.ok && outcomes.every(ok),
      }),
    );

    expect(check).toMatchObject({ lost: 0, ok: true });
    for (const o of outcomes) {
      expect({ db: o.db, state: o.state, haltCode: o.haltCode, kind: o.haltEvent['kind'], eventDb: o.haltEvent['db'], metric: o.metric }).toEqual({
        db: o.db,
        state: 'halted',
        haltCode: 'PROOF_FAILED',
        kind: 'forged-tx',
        eventDb: o.db,
        metric: 1,
      });
      expect(o.haltReason).not.toBe('');
      expect({ db: o.db, forged: o.forgedKey.kind, next: o.nextKey.kind }).toEqual({ db: o.db, forged: 'absent', next: 'absent' });
      expect(o.committedTxId).toBeLessThan(o.forgedTxId);
      expect(o.committedTxId).toBeGreaterThanOrEqual(txIds.get(o.db)?.[0] ?? 1);
      expect(o.prefixMismatches).toEqual([]);
    }
  });
});
