// Self-test of the cluster fixture without replication: three real nodes on 127.0.0.1/.2/.3, a bounded
// load recorded in a history and checked against a full read-back, stateOf and replicationStatus over
// real gRPC, a client going through a link proxy that is then cut and healed, and a summary.json
// written where the report says.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImmuClient, isImmuError, MemoryStateStore } from '../../src/client/index.js';
import { Cluster } from '../harness/cluster.js';
import { WriteHistory } from '../harness/history.js';
import { startLoad } from '../harness/load.js';
import { adminUser } from '../harness/node-process.js';
import { buildSummary, writeSummary } from '../harness/summary.js';

const db = 'defaultdb';
const loadDurationMs = 1_500;
const loadWritesMax = 300;
const callTimeoutMs = 2_000;

describe('Cluster fixture', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await Cluster.start({ label: 'self-cluster' });
  });

  afterAll(async () => {
    await cluster.shutdown();
  });

  it('starts three healthy nodes on distinct loopback addresses', () => {
    expect(cluster.nodes.map((n) => n.host)).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3']);
    expect(cluster.nodes.every((n) => n.status === 'running')).toBe(true);
  });

  it('records a bounded load, reads it back and finds nothing lost', async () => {
    const history = new WriteHistory();
    const start = Date.now();
    const load = startLoad({
      db,
      history,
      target: () => cluster.node('node1'),
      keyPrefix: 'self/',
      writers: 4,
      durationMs: loadDurationMs,
      writesMax: loadWritesMax,
      callTimeoutMs,
    });
    await load.done;
    expect(history.records.length).toBeGreaterThan(0);
    expect(history.records.length).toBeLessThanOrEqual(loadWritesMax);
    const reads = await cluster.finalReads('node1', db, 'self/', history.keys());
    const check = history.check(reads);
    expect(check).toMatchObject({ lost: 0, ok: true });
    expect(check.acked).toBe(history.records.length);

    const state = await cluster.stateOf('node1', db);
    expect(state.txId).toBeGreaterThanOrEqual(check.acked);
    expect(state.alh).toMatch(/^[0-9a-f]{64}$/);
    const path = writeSummary(
      buildSummary({ scenario: 'self-test-cluster-fixture', check, recoveryTimeMs: null, durationMs: Date.now() - start, nodes: await cluster.finalStates(db) }),
      join(cluster.runDir.path, 'reports'),
    );
    expect(existsSync(path)).toBe(true);
    const summary = JSON.parse(readFileSync(path, 'utf8')) as { acked: number; lost: number; nodes: { node: string }[] };
    expect(summary).toMatchObject({ acked: check.acked, lost: 0 });
    expect(summary.nodes.map((n) => n.node)).toEqual(['node1', 'node2', 'node3']);
  });

  it('reads the replication status of a database', async () => {
    const status = await cluster.replicationStatus('node2', db);
    expect(status.database).toBe(db);
    expect(status.role).toBe('primary');
  });

  it('carries gRPC through a link proxy, and cutting the link makes calls fail until healed', async () => {
    const proxy = await cluster.link('node2', 'node1');
    const client = new ImmuClient({ address: proxy.address, timeoutMs: callTimeoutMs, stateStore: new MemoryStateStore() });
    try {
      await client.login(adminUser, cluster.node('node1').adminPassword, db);
      await client.set(Buffer.from('via-proxy'), Buffer.from('1'));
      expect(proxy.counters().bytesUp).toBeGreaterThan(0);
      proxy.cut();
      const err = await client.get(Buffer.from('via-proxy')).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isImmuError(err)).toBe(true);
      proxy.heal();
      const deadline = Date.now() + 5_000;
      let value: string | undefined;
      while (value === undefined && Date.now() < deadline) {
        value = await client.get(Buffer.from('via-proxy')).then(
          (e) => e.value.toString(),
          () => undefined,
        );
      }
      expect(value).toBe('1');
    } finally {
      client.close();
    }
  });
});
