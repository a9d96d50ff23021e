// Store benchmark (not a timed test): N entries (32 B keys, 128 B values) in txs of 1000 from 20
// concurrent writers, durably. Prints committed entries/s, index catch-up entries/s and peak RSS, and
// this machine's SHA-256 one-shot rate and writev+fdatasync rate, with our figures as ratios to them.
// It also prints the load-insensitive figures: CPU per committed entry on the main thread (Linux
// schedstat of the thread itself), in the hash workers (measured inside them), in every other thread
// (libuv pool: fsyncs and lmdb's write transactions; V8's GC and compiler helpers), main-thread GC pause
// time and JS-heap bytes allocated per entry (v8.GCProfiler), so a change can be judged on a loaded machine.
// Usage: npm run bench:store [-- --entries N] [--tx-entries N] [--writers N] [--memory-index] [--no-calibrate] [--key-per-buffer]
import { hash, pbkdf2 } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import { silentLogger } from '../src/common/log.js';
import { ImmuStore } from '../src/store/immu-store.js';
import type { StoreIndex } from '../src/store/store-index.js';
import { MemoryIndex } from '../src/store/test-support.js';

const entriesTotal = argNumber('--entries', 1_000_000);
const txEntries = argNumber('--tx-entries', 1000);
const writers = argNumber('--writers', 20);
const keyBytes = 32;
const valueBytes = 128;
const keyPerBuffer = process.argv.includes('--key-per-buffer');

function argNumber(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

let peakRss = 0;
const rssTimer = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);

function shaRate(): number {
  const b = Buffer.alloc(129, 7);
  const n = 1_000_000;
  const t = performance.now();
  for (let i = 0; i < n; i++) hash('sha256', b, 'buffer');
  return n / ((performance.now() - t) / 1000);
}

function fsyncRate(dir: string): number {
  const fd = fs.openSync(path.join(dir, 'fsync.dat'), 'w');
  const buf = Buffer.alloc(160 * 1024, 1);
  let n = 0;
  const t = performance.now();
  while (performance.now() - t < 2000) {
    fs.writevSync(fd, [buf]);
    fs.fdatasyncSync(fd);
    n++;
  }
  fs.closeSync(fd);
  return n / ((performance.now() - t) / 1000);
}

/** On-CPU ns of one thread (the caller's, or a task id of this process); -1 where /proc is missing. */
function threadCpuNs(tid?: number): number {
  try {
    const f = tid === undefined ? '/proc/thread-self/schedstat' : `/proc/self/task/${tid}/schedstat`;
    return Number(fs.readFileSync(f, 'latin1').split(' ')[0]);
  } catch {
    return -1;
  }
}

/** On-CPU ns of every thread of this process by task id. */
function allThreadsCpuNs(): Map<number, number> {
  const m = new Map<number, number>();
  try {
    for (const t of fs.readdirSync('/proc/self/task')) m.set(Number(t), threadCpuNs(Number(t)));
  } catch {
    // not Linux: per-thread figures are omitted
  }
  return m;
}

/**
 * The libuv pool's threads (where fsync and lmdb-js's write transactions run): the threads that gain
 * CPU while small CPU-bound libuv jobs run, in bursts until all UV_THREADPOOL_SIZE (default 4) were
 * seen (at most 10 bursts). The rest (besides main and hash workers) are V8's.
 */
async function libuvPoolTids(): Promise<Set<number>> {
  const poolSize = Number(process.env['UV_THREADPOOL_SIZE'] ?? 4);
  const pool = new Set<number>();
  for (let burst = 0; burst < 10 && pool.size < poolSize; burst++) {
    const before = allThreadsCpuNs();
    await Promise.all(Array.from({ length: 2 * poolSize }, () => new Promise((resolve) => pbkdf2('x', 'y', 20_000, 32, 'sha256', resolve))));
    for (const [tid, ns] of allThreadsCpuNs()) if (tid !== process.pid && ns - (before.get(tid) ?? 0) > 1e6) pool.add(tid);
  }
  return pool;
}

const processCpuNs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};

interface CostMark {
  readonly main: number;
  readonly process: number;
  readonly workers: number[];
  readonly workerTids: number[];
  readonly threads: Map<number, number>;
}

async function costMark(store: ImmuStore<StoreIndex>): Promise<CostMark> {
  const w = await store.hashWorkerCpu();
  return { main: threadCpuNs(), process: processCpuNs(), workers: w.map((x) => x.cpuNs), workerTids: w.map((x) => x.tid), threads: allThreadsCpuNs() };
}

/** JS heap bytes allocated between two points, from the GC profile (each GC's before minus the previous after). */
function heapAllocatedBytes(startUsed: number, endUsed: number, stats: ReadonlyArray<{ beforeGC: { heapStatistics: { usedHeapSize: number } }; afterGC: { heapStatistics: { usedHeapSize: number } } }>): number {
  let prev = startUsed;
  let total = 0;
  for (const g of stats) {
    total += Math.max(0, g.beforeGC.heapStatistics.usedHeapSize - prev);
    prev = g.afterGC.heapStatistics.usedHeapSize;
  }
  return total + Math.max(0, endUsed - prev);
}

async function openStore(dir: string): Promise<{ store: ImmuStore<StoreIndex>; indexKind: string }> {
  if (process.argv.includes('--memory-index')) {
    const store = await ImmuStore.openWith({ dir, logger: silentLogger(), maxTxEntries: txEntries }, MemoryIndex.open);
    return { store, indexKind: 'MemoryIndex (test stand-in)' };
  }
  try {
    return { store: await ImmuStore.open({ dir, logger: silentLogger(), maxTxEntries: txEntries }), indexKind: 'KeyIndex (lmdb)' };
  } catch (err) {
    console.log(`KeyIndex unavailable (${(err as Error).message.split('\n')[0]}); measuring with the in-memory test index`);
    const store = await ImmuStore.openWith({ dir, logger: silentLogger(), maxTxEntries: txEntries }, MemoryIndex.open);
    return { store, indexKind: 'MemoryIndex (test stand-in)' };
  }
}

async function main(): Promise<void> {
  const poolTids = await libuvPoolTids();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-bench-'));
  const { store, indexKind } = await openStore(path.join(dir, 'db'));
  const txs = Math.ceil(entriesTotal / txEntries);
  let next = 0;
  const value = Buffer.alloc(valueBytes, 0x5a);
  (globalThis as { gc?: () => void }).gc?.();
  const gcProfiler = new v8.GCProfiler();
  const heapStart = v8.getHeapStatistics().used_heap_size;
  const c0 = await costMark(store);
  gcProfiler.start();
  const t0 = performance.now();
  const writer = async (): Promise<void> => {
    for (;;) {
      const t = next++;
      if (t >= txs) return;
      // keys as views of one buffer per tx, as they arrive from a decoded request (same bytes as one
      // zeroed 32-byte Buffer per key, without an ArrayBuffer per key); --key-per-buffer for the old way
      const entries = new Array(txEntries);
      const slab = keyPerBuffer ? undefined : Buffer.alloc(keyBytes * txEntries);
      for (let j = 0; j < txEntries; j++) {
        const key = slab === undefined ? Buffer.alloc(keyBytes) : slab.subarray(j * keyBytes, (j + 1) * keyBytes);
        key.write(`k${t}-${j}`);
        entries[j] = { key, value };
      }
      await store.commit({ entries });
    }
  };
  await Promise.all(Array.from({ length: writers }, writer));
  const tCommit = performance.now() - t0;
  const mainCommitNs = threadCpuNs() - c0.main;
  const lastTx = store.committedTxId();
  await store.index.waitForIndexedTx(lastTx, 600_000);
  const tIndex = performance.now() - t0;
  const gcStats = gcProfiler.stop()?.statistics ?? [];
  const heapEnd = v8.getHeapStatistics().used_heap_size;
  const c1 = await costMark(store);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const committedRate = (txs * txEntries) / (tCommit / 1000);
  const indexRate = (txs * txEntries) / (tIndex / 1000);
  const rounds = store.syncRounds;
  await store.close();
  clearInterval(rssTimer);
  const sha = process.argv.includes('--no-calibrate') ? 1 : shaRate();
  const fsyncs = process.argv.includes('--no-calibrate') ? 1 : fsyncRate(dir);
  fs.rmSync(dir, { recursive: true, force: true });
  const f = (n: number): string => Math.round(n).toLocaleString('en-US');
  console.log(`entries ${f(txs * txEntries)} in ${f(txs)} txs of ${txEntries}, ${writers} writers, ${os.availableParallelism()} cpus, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`committed entries/s      ${f(committedRate)}  (${(tCommit / 1000).toFixed(2)} s, ${rounds} group-commit fsync rounds)`);
  console.log(`index catch-up entries/s ${f(indexRate)}  (${indexKind})`);
  console.log(`peak RSS                 ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
  const entries = txs * txEntries;
  const us = (ns: number): string => (ns / 1000 / entries).toFixed(2);
  const mainNs = c1.main - c0.main;
  const workersNs = c1.workers.map((w, i) => w - (c0.workers[i] ?? 0));
  const workerNs = workersNs.reduce((a, b) => a + b, 0);
  const totalNs = c1.process - c0.process;
  const others: Array<[number, number]> = [];
  for (const [tid, ns] of c1.threads) {
    if (tid === process.pid || c1.workerTids.includes(tid)) continue;
    const d = ns - (c0.threads.get(tid) ?? 0);
    if (d > 0) others.push([tid, d]);
  }
  others.sort((a, b) => b[1] - a[1]);
  const gcUs = gcStats.reduce((a, g) => a + g.cost, 0);
  const alloc = heapAllocatedBytes(heapStart, heapEnd, gcStats as unknown as Parameters<typeof heapAllocatedBytes>[2]);
  console.log(`cost per entry (CPU, us; commit phase + index catch-up; load-insensitive):`);
  console.log(`  main thread            ${us(mainNs)}  (commit phase alone ${us(mainCommitNs)})`);
  console.log(`  hash workers           ${us(workerNs)}  (${workersNs.map((w) => us(w)).join(' + ')}, measured inside the workers)`);
  const poolNs = others.filter(([t]) => poolTids.has(t)).reduce((a, [, d]) => a + d, 0);
  console.log(`  libuv pool threads     ${us(poolNs)}  (lmdb write txns of the index, fsyncs; ${poolTids.size} threads)`);
  console.log(`  other threads          ${us(totalNs - mainNs - workerNs - poolNs)}  (V8 GC and compiler helpers)`);
  if (process.argv.includes('--threads')) {
    console.log(`  threads (tid: us/entry)  ${others.map(([t, d]) => `${t - process.pid}${poolTids.has(t) ? '(uv)' : ''}:${us(d)}`).join(' ')}`);
  }
  console.log(`  process total          ${us(totalNs)}  (= ${(totalNs / 1e6 / (tIndex / 1000) / 10).toFixed(0)}% of one core over the run)`);
  console.log(`  main-thread GC         ${us(gcUs * 1000)}  (${gcStats.length} GCs, ${gcStats.filter((g) => g.gcType === 'Scavenge').length} scavenges)`);
  console.log(`  JS heap allocated      ${(alloc / entries).toFixed(0)} B/entry (main thread)`);
  console.log(`machine sha256 one-shot  ${f(sha)} hashes/s (129 B); ~4 hashes/entry -> ${f(sha / 4)} entries/s per core`);
  console.log(`machine writev+fdatasync ${f(fsyncs)} /s (160 KB)`);
  console.log(`ratio committed / (sha256/4 per core)  ${(committedRate / (sha / 4)).toFixed(2)}`);
  console.log(`ratio committed txs/s / fsync rate      ${(txs / (tCommit / 1000) / fsyncs).toFixed(3)}`);
}

await main();
