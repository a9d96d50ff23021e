// Key-index catch-up benchmark (not a test): indexes 1M entries (1000 txs x 1000 entries, 33-byte
// random keys) from an in-memory source and prints entries/s next to the raw lmdb put rate of the same
// machine in the same run, so the ratio shows the cost of the index's own work. Run: npm run bench:index
import { randomBytes } from 'node:crypto';
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

async function indexRate(dir: string, source: MemorySource, durable: boolean): Promise<{ rate: number; index: KeyIndex }> {
  const started = performance.now();
  const index = await KeyIndex.open({ dir: join(dir, durable ? 'index-durable' : 'index-nosync'), logger: silentLogger(), source, durable });
  await index.waitForIndexedTx(source.committedTxId(), indexWaitMs);
  return { rate: (txCount * entriesPerTx) / ((performance.now() - started) / 1000), index };
}

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
    const raw = await rawPutRate(join(dir, 'raw-durable'), keys, true, indexBatchEntriesMax);
    console.log(`raw lmdb async puts, index batch size (durable):           ${fmt(raw)}`);
    const rawNoSync = await rawPutRate(join(dir, 'raw-nosync'), keys, false, indexBatchEntriesMax);
    console.log(`raw lmdb async puts, index batch size (noSync):            ${fmt(rawNoSync)}`);
    const durable = await indexRate(dir, source, true);
    console.log(`index catch-up (durable, default):                         ${fmt(durable.rate)}  (${((durable.rate / raw) * 100).toFixed(0)}% of raw)`);
    console.log(`index get (latest + revision), random keys:                ${fmt(getRate(durable.index, keys))}`);
    await durable.index.close();
    const noSync = await indexRate(dir, source, false);
    console.log(`index catch-up (noSync):                                   ${fmt(noSync.rate)}  (${((noSync.rate / rawNoSync) * 100).toFixed(0)}% of raw)`);
    await noSync.index.close();
    console.log(`peak RSS: ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
