// Store benchmark (not a timed test): N entries (32 B keys, 128 B values) in txs of 1000 from 20
// concurrent writers, durably. Prints committed entries/s, index catch-up entries/s and peak RSS, and
// this machine's SHA-256 one-shot rate and writev+fdatasync rate, with our figures as ratios to them.
// Usage: npm run bench:store [-- --entries N] [--tx-entries N] [--writers N] [--memory-index] [--no-calibrate] [--key-per-buffer]
import { hash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
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
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-bench-'));
  const { store, indexKind } = await openStore(path.join(dir, 'db'));
  const txs = Math.ceil(entriesTotal / txEntries);
  let next = 0;
  const value = Buffer.alloc(valueBytes, 0x5a);
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
  const lastTx = store.committedTxId();
  await store.index.waitForIndexedTx(lastTx, 600_000);
  const tIndex = performance.now() - t0;
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
  console.log(`machine sha256 one-shot  ${f(sha)} hashes/s (129 B); ~4 hashes/entry -> ${f(sha / 4)} entries/s per core`);
  console.log(`machine writev+fdatasync ${f(fsyncs)} /s (160 KB)`);
  console.log(`ratio committed / (sha256/4 per core)  ${(committedRate / (sha / 4)).toFixed(2)}`);
  console.log(`ratio committed txs/s / fsync rate      ${(txs / (tCommit / 1000) / fsyncs).toFixed(3)}`);
}

await main();
