// `npm run bench:replication`: what replication costs a primary, in one run, with real server processes
// on loopback (node1 127.0.0.1 primary, node2 127.0.0.2 replica; dist/src/cli/immudb.js, fresh dirs).
// Three databases on node1: no replica, one async replica, one sync replica (syncAcks = 1). For each:
// Set with 1 KV per tx at N calls in flight for S seconds -> TX/s, and the ratio to the no-replica rate.
// Then replica lag at half of each replicated database's maximum rate: paced writes, and a watcher that
// polls the replica's CurrentState back to back; lag of a write = first time the replica's committed
// state covers its tx minus the time the primary acknowledged it. p50/p99 in ms.
// Not a test: nothing asserts. Bounded: every phase by its duration, every call by a deadline.
// Flags: --seconds N (per phase, default 5), --in-flight N (default 64).
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ImmuClient } from '../src/client/index.js';
import { clientAdmin } from '../cluster-tests/harness/database-admin.js';
import { NodeProcess, adminUser } from '../cluster-tests/harness/node-process.js';

const callTimeoutMs = 10_000;
const valueBytes = 128;
const pacingTickMs = 5;
const catchUpWaitMs = 30_000;
/** Unmeasured writes first, so the first measured phase does not pay for JIT warm-up alone. */
const warmupSeconds = 1;

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i === -1 ? undefined : Number(process.argv[i + 1]);
  return v !== undefined && Number.isFinite(v) && v > 0 ? v : fallback;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

const value = Buffer.alloc(valueBytes, 0x61);
let keySeq = 0;

/** Closed loop: `inFlight` writers, each sets its next key as soon as the previous one returned. */
async function throughput(client: ImmuClient, inFlight: number, seconds: number): Promise<{ txPerSec: number; txs: number; errors: number }> {
  const deadline = performance.now() + seconds * 1000;
  let txs = 0;
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < deadline) {
        try {
          await client.set(Buffer.from(`k${keySeq++}`), value);
          txs += 1;
        } catch {
          errors += 1;
        }
      }
    }),
  );
  return { txPerSec: txs / ((performance.now() - started) / 1000), txs, errors };
}

/** Paced writes at `ratePerSec` for `seconds`; lag of each acked write as seen by a replica watcher. */
async function lagAtRate(primary: ImmuClient, replica: ImmuClient, ratePerSec: number, inFlightMax: number, seconds: number): Promise<{ p50: number; p99: number; max: number; samples: number; achieved: number }> {
  const acks: { txId: number; atMs: number }[] = [];
  const seen: { txId: number; atMs: number }[] = [];
  let writing = true;
  let maxAcked = 0;
  const started = performance.now();
  const stopAt = started + seconds * 1000;
  const watcher = (async () => {
    let last = 0;
    while (writing || last < maxAcked) {
      try {
        const s = await replica.currentState();
        if (s.txId > last) {
          last = s.txId;
          seen.push({ txId: s.txId, atMs: performance.now() });
        }
      } catch {
        await sleep(pacingTickMs);
      }
      if (!writing && performance.now() > stopAt + catchUpWaitMs) break;
    }
  })();
  let issued = 0;
  let inFlight = 0;
  const pending: Promise<void>[] = [];
  while (performance.now() < stopAt) {
    const due = Math.floor(((performance.now() - started) / 1000) * ratePerSec) - issued;
    for (let i = 0; i < due && inFlight < inFlightMax; i++) {
      issued += 1;
      inFlight += 1;
      pending.push(
        primary.set(Buffer.from(`lag${keySeq++}`), value).then(
          (h) => {
            acks.push({ txId: h.id, atMs: performance.now() });
            maxAcked = Math.max(maxAcked, h.id);
            inFlight -= 1;
          },
          () => {
            inFlight -= 1;
          },
        ),
      );
    }
    await sleep(pacingTickMs);
  }
  await Promise.all(pending);
  const achieved = acks.length / ((performance.now() - started) / 1000);
  writing = false;
  await watcher;
  const lags: number[] = [];
  let j = 0;
  for (const a of [...acks].sort((x, y) => x.txId - y.txId)) {
    while (j < seen.length && (seen[j]?.txId ?? 0) < a.txId) j++;
    const s = seen[j];
    if (s !== undefined) lags.push(Math.max(0, s.atMs - a.atMs));
  }
  lags.sort((x, y) => x - y);
  return { p50: percentile(lags, 50), p99: percentile(lags, 99), max: lags[lags.length - 1] ?? Number.NaN, samples: lags.length, achieved };
}

async function main(): Promise<void> {
  const seconds = flag('--seconds', 5);
  const inFlight = flag('--in-flight', 64);
  const root = mkdtempSync(join(tmpdir(), 'immudb-repl-bench-'));
  const node1 = new NodeProcess({ name: 'node1', host: '127.0.0.1', nodeDir: join(root, 'node1') });
  const node2 = new NodeProcess({ name: 'node2', host: '127.0.0.2', nodeDir: join(root, 'node2') });
  const clients: ImmuClient[] = [];
  try {
    await Promise.all([node1.start(), node2.start()]);
    const replicaOf = (db: string, sync: boolean) =>
      clientAdmin.createDatabase(node2, db, {
        replica: true,
        primaryDatabase: db,
        primaryHost: node1.host,
        primaryPort: node1.port,
        primaryUsername: adminUser,
        primaryPassword: node1.adminPassword,
        syncReplication: sync,
      });
    await clientAdmin.createDatabase(node1, 'bench_none', { replica: false, syncReplication: false, syncAcks: 0 });
    await clientAdmin.createDatabase(node1, 'bench_async', { replica: false, syncReplication: false, syncAcks: 0 });
    await clientAdmin.createDatabase(node1, 'bench_sync', { replica: false, syncReplication: true, syncAcks: 1 });
    await replicaOf('bench_async', false);
    await replicaOf('bench_sync', true);
    const client = async (node: NodeProcess, db: string): Promise<ImmuClient> => {
      const c = await node.client(db, callTimeoutMs);
      clients.push(c);
      return c;
    };

    process.stdout.write(`replication bench: Set 1 KV/tx (${valueBytes}-byte values), ${inFlight} in flight, ${seconds} s per phase; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
    await clientAdmin.createDatabase(node1, 'bench_warmup', { replica: false, syncReplication: false, syncAcks: 0 });
    await throughput(await client(node1, 'bench_warmup'), inFlight, warmupSeconds);
    const rates = new Map<string, number>();
    for (const [label, db] of [['no replica', 'bench_none'], ['1 async replica', 'bench_async'], ['1 sync replica (acks=1)', 'bench_sync']] as const) {
      const r = await throughput(await client(node1, db), inFlight, seconds);
      rates.set(db, r.txPerSec);
      process.stdout.write(`  ${label.padEnd(26)} ${r.txPerSec.toFixed(0).padStart(6)} TX/s  (${r.txs} txs, ${r.errors} errors)\n`);
    }
    const none = rates.get('bench_none') ?? Number.NaN;
    process.stdout.write(`  ratio async/no-replica ${((rates.get('bench_async') ?? 0) / none).toFixed(2)}, sync/no-replica ${((rates.get('bench_sync') ?? 0) / none).toFixed(2)} (goal: sync >= 0.50; immudb 130/1881 = 0.07)\n`);

    for (const db of ['bench_async', 'bench_sync']) {
      const primary = await client(node1, db);
      const replica = await client(node2, db);
      const target = (await primary.currentState()).txId;
      for (let t = performance.now() + catchUpWaitMs; performance.now() < t && (await replica.currentState()).txId < target; ) await sleep(50);
      const rate = (rates.get(db) ?? 0) / 2;
      const lag = await lagAtRate(primary, replica, rate, inFlight, seconds);
      process.stdout.write(
        `  lag ${db.replace('bench_', '')} replica at half load (${rate.toFixed(0)} TX/s asked, ${lag.achieved.toFixed(0)} achieved): ` +
          `p50 ${lag.p50.toFixed(1)} ms, p99 ${lag.p99.toFixed(1)} ms, max ${lag.max.toFixed(1)} ms (${lag.samples} samples; goal p99 < 100 ms)\n`,
      );
    }
    process.stdout.write(`  load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  } finally {
    for (const c of clients) c.close();
    await Promise.all([node1.stop().catch(() => node1.kill9()), node2.stop().catch(() => node2.kill9())]);
    rmSync(root, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`replication bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
