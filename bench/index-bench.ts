// Key-index catch-up benchmark (not a test): indexes 1M entries (1000 txs x 1000 entries, 33-byte
// random keys) from an in-memory source and prints entries/s next to the raw lmdb put rate of the same
// machine in the same run, so the ratio shows the cost of the index's own work, and the CPU cost per
// entry of each catch-up (main thread and whole process), which machine load does not change.
// Run: npm run bench:index
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { silentLogger } from '../src/common/log.js';
import { indexBatchEntriesMax } from '../src/store/index/limits.js';
import { KeyIndex } from '../src/store/index/key-index.js';
import { MemorySource } from '../src/store/index/memory-source.js';
import type { StoredEntry } from '../src/store/types.js';

const txCount = 1_000;
const entriesPerTx = 1_000;
const keyBytes = 33;
const valueBytes = 128;
const versionBytes = 56;
const getsCount = 200_000;
const indexWaitMs = 600_000;

function buildSource(): { source: MemorySource; keys: Buffer[] } {
  const source = new MemorySource('bench');
  const random = randomBytes(txCount * entriesPerTx * (keyBytes - 1));
  const hVal = randomBytes(32);
  const keys: Buffer[] = [];
  for (let t = 0; t < txCount; t++) {
    const entries: StoredEntry[] = [];
    for (let i = 0; i < entriesPerTx; i++) {
      const n = t * entriesPerTx + i;
      const key = Buffer.allocUnsafe(keyBytes);
      key[0] = 0x00;
      random.copy(key, 1, n * (keyBytes - 1), (n + 1) * (keyBytes - 1));
      keys.push(key);
      entries.push({ key, metadata: undefined, value: { vLogId: 1, offset: n * valueBytes, length: valueBytes }, hVal });
    }
    source.appendStored(entries);
  }
  return { source, keys };
}

/** Raw lmdb-js: the same keys and value sizes, async puts in batches of the index's size, nothing else. */
async function rawPutRate(dir: string, keys: readonly Buffer[], durable: boolean, batchEntries: number): Promise<number> {
  await mkdir(dir, { recursive: true });
  const env = open<Buffer, string>({ path: join(dir, 'raw.mdb'), maxDbs: 2, ...(durable ? {} : { noSync: true, overlappingSync: false }) });
  const db = env.openDB<Buffer, Buffer>({ name: 'raw', dupSort: true, keyEncoding: 'binary', encoding: 'binary' });
  const value = randomBytes(versionBytes);
  const started = performance.now();
  const inflight: Promise<boolean>[] = [];
  for (let from = 0; from < keys.length; from += batchEntries) {
    let last: Promise<boolean> | undefined;
    for (let i = from; i < Math.min(keys.length, from + batchEntries); i++) last = db.put(keys[i] as Buffer, value);
    if (last !== undefined) inflight.push(last);
    if (inflight.length >= 2) await inflight.shift();
    else await new Promise<void>((resolve) => setImmediate(resolve));
  }
  await Promise.all(inflight);
  const rate = keys.length / ((performance.now() - started) / 1000);
  await env.close();
  return rate;
}

/** On-CPU ns of the calling thread (Linux schedstat); -1 elsewhere. */
function threadCpuNs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]);
  } catch {
    return -1;
  }
}

function processCpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

interface Catchup {
  readonly rate: number;
  readonly index: KeyIndex;
  /** CPU microseconds per entry: main thread, and the whole process (lmdb's write thread, GC helpers). */
  readonly mainUs: number;
  readonly processUs: number;
}

/**
 * The alternative the index does not use: putSync inside one transactionSync per batch, all on the
 * calling thread. Returns the rate and the main thread's and the process's CPU per put.
 */
async function rawSyncPutCost(dir: string, keys: readonly Buffer[], batchEntries: number): Promise<{ rate: number; mainUs: number; processUs: number }> {
  await mkdir(dir, { recursive: true });
  const env = open<Buffer, string>({ path: join(dir, 'raw.mdb'), maxDbs: 2 });
  const db = env.openDB<Buffer, Buffer>({ name: 'raw', dupSort: true, keyEncoding: 'binary', encoding: 'binary' });
  const value = randomBytes(versionBytes);
  const started = performance.now();
  const main0 = threadCpuNs();
  const proc0 = processCpuNs();
  for (let from = 0; from < keys.length; from += batchEntries) {
    env.transactionSync(() => {
      for (let i = from; i < Math.min(keys.length, from + batchEntries); i++) db.putSync(keys[i] as Buffer, value);
    });
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  await env.flushed;
  const res = {
    rate: keys.length / ((performance.now() - started) / 1000),
    mainUs: (threadCpuNs() - main0) / 1000 / keys.length,
    processUs: (processCpuNs() - proc0) / 1000 / keys.length,
  };
  await env.close();
  return res;
}

async function rawAsyncPutCost(dir: string, keys: readonly Buffer[], batchEntries: number): Promise<{ rate: number; mainUs: number; processUs: number }> {
  const main0 = threadCpuNs();
  const proc0 = processCpuNs();
  const rate = await rawPutRate(dir, keys, true, batchEntries);
  return { rate, mainUs: (threadCpuNs() - main0) / 1000 / keys.length, processUs: (processCpuNs() - proc0) / 1000 / keys.length };
}

async function indexRate(dir: string, source: MemorySource, durable: boolean): Promise<Catchup> {
  const started = performance.now();
  const main0 = threadCpuNs();
  const proc0 = processCpuNs();
  const index = await KeyIndex.open({ dir: join(dir, durable ? 'index-durable' : 'index-nosync'), logger: silentLogger(), source, durable });
  await index.waitForIndexedTx(source.committedTxId(), indexWaitMs);
  const entries = txCount * entriesPerTx;
  return {
    rate: entries / ((performance.now() - started) / 1000),
    index,
    mainUs: (threadCpuNs() - main0) / 1000 / entries,
    processUs: (processCpuNs() - proc0) / 1000 / entries,
  };
}

const cost = (c: Catchup): string => `cost per entry: main thread ${c.mainUs.toFixed(2)} us, process ${c.processUs.toFixed(2)} us CPU`;

function getRate(index: KeyIndex, keys: readonly Buffer[]): number {
  const started = performance.now();
  let found = 0;
  for (let i = 0; i < getsCount; i++) if (index.get(keys[(i * 7_919) % keys.length] as Buffer) !== undefined) found++;
  if (found !== getsCount) throw new Error(`only ${found} of ${getsCount} keys found`);
  return getsCount / ((performance.now() - started) / 1000);
}

const fmt = (n: number): string => `${Math.round(n).toLocaleString('en-US')}/s`;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'index-bench-'));
  try {
    const { source, keys } = buildSource();
    console.log(`index bench: ${txCount} txs x ${entriesPerTx} entries, ${keyBytes}-byte random keys, batch ${indexBatchEntriesMax} entries`);
    const rawSmall = await rawPutRate(join(dir, 'raw-1000'), keys, true, entriesPerTx);
    console.log(`raw lmdb async puts, 1 txn per 1000 puts (durable):        ${fmt(rawSmall)}`);
    const rawCost = await rawAsyncPutCost(join(dir, 'raw-durable'), keys, indexBatchEntriesMax);
    const raw = rawCost.rate;
    const perPut = (c: { mainUs: number; processUs: number }): string => `main thread ${c.mainUs.toFixed(2)} us, process ${c.processUs.toFixed(2)} us CPU per put`;
    console.log(`raw lmdb async puts, index batch size (durable):           ${fmt(raw)}  (${perPut(rawCost)})`);
    const syncCost = await rawSyncPutCost(join(dir, 'raw-sync'), keys, indexBatchEntriesMax);
    console.log(`raw lmdb putSync, one transactionSync per batch (durable): ${fmt(syncCost.rate)}  (${perPut(syncCost)})`);
    const rawNoSync = await rawPutRate(join(dir, 'raw-nosync'), keys, false, indexBatchEntriesMax);
    console.log(`raw lmdb async puts, index batch size (noSync):            ${fmt(rawNoSync)}`);
    const durable = await indexRate(dir, source, true);
    console.log(`index catch-up (durable, default):                         ${fmt(durable.rate)}  (${((durable.rate / raw) * 100).toFixed(0)}% of raw; ${cost(durable)})`);
    console.log(`index get (latest + revision), random keys:                ${fmt(getRate(durable.index, keys))}`);
    await durable.index.close();
    const noSync = await indexRate(dir, source, false);
    console.log(`index catch-up (noSync):                                   ${fmt(noSync.rate)}  (${((noSync.rate / rawNoSync) * 100).toFixed(0)}% of raw; ${cost(noSync)})`);
    await noSync.index.close();
    console.log(`peak RSS: ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
