// Lifecycle of the key index: waiting, reopening without re-indexing, rebuilding after destroy or
// damage, refusing a foreign or too-new index, stalling visibly on a bad source, idempotent re-indexing,
// and a larger volume for sanity (no timing assertions).
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger, type Logger } from '../../common/log.js';
import type { IndexedValue, StoredTx } from '../types.js';
import { IndexDb } from './index-db.js';
import { KeyIndex, type IndexSource } from './key-index.js';
import { MemorySource } from './memory-source.js';
import { readUnsyncedMarker, UNSYNCED_MARKER_FILE } from './unsynced-marker.js';

const k = (s: string): Buffer => Buffer.concat([Buffer.from([0x00]), Buffer.from(s)]);
const v = (s: string): Buffer => Buffer.concat([Buffer.from([0x00]), Buffer.from(s)]);

interface LogLine {
  readonly event?: string;
  readonly [field: string]: unknown;
}

function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  return { logger, lines };
}

/** Records which tx ids the index asked for. */
class CountingSource implements IndexSource {
  readonly reads: number[] = [];
  constructor(readonly inner: MemorySource) {}
  committedTxId(): number {
    return this.inner.committedTxId();
  }
  readTxForIndex(txId: number): Promise<StoredTx> {
    this.reads.push(txId);
    return this.inner.readTxForIndex(txId);
  }
}

function fill(src: MemorySource, txs: number, keysPerTx: number): void {
  for (let t = 0; t < txs; t++) {
    const entries = [];
    for (let i = 0; i < keysPerTx; i++) {
      entries.push({ key: k(`key-${(t * 7 + i) % 13}`), value: v(`${t}-${i}`), ...(i === 2 && t % 3 === 0 ? { metadata: { deleted: true } } : {}) });
    }
    src.append(entries);
  }
}

/** Everything the index can say about the keys, for comparing two indexes. */
function snapshot(index: KeyIndex): { scan: IndexedValue[]; histories: IndexedValue[][] } {
  const scan = index.scan({});
  return { scan, histories: scan.map((x) => index.history(x.key, {})) };
}

describe('KeyIndex lifecycle', () => {
  let dir: string;

  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'key-index-life-')), 'index');
  });

  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('waitForIndexedTx resolves when the tx gets indexed after notifyCommitted', async () => {
    const src = new MemorySource();
    src.append([{ key: k('a'), value: v('1') }]);
    const index = await KeyIndex.open({ dir, logger: silentLogger(), source: src });
    await index.waitForIndexedTx(1, 5_000);
    const waiting = index.waitForIndexedTx(3, 5_000);
    src.append([{ key: k('a'), value: v('2') }]);
    src.append([{ key: k('b'), value: v('1') }]);
    index.notifyCommitted(3);
    await waiting;
    expect(index.indexedTxId()).toBe(3);
    expect(index.get(k('a'))?.revision).toBe(2);
    await expect(index.waitForIndexedTx(0)).resolves.toBeUndefined();
    await index.close();
  });

  it('waitForIndexedTx times out with TIMEOUT; close rejects waiters and reads with STORE_CLOSED', async () => {
    const src = new MemorySource();
    src.append([{ key: k('a'), value: v('1') }]);
    const index = await KeyIndex.open({ dir, logger: silentLogger(), source: src });
    await expect(index.waitForIndexedTx(5, 20)).rejects.toMatchObject({ code: 'TIMEOUT' });
    const pending = expect(index.waitForIndexedTx(6, 5_000)).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    await index.close(); // rejects waiters first, then fsyncs and closes lmdb
    await pending;
    await expect(index.waitForIndexedTx(1)).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    expect(() => index.get(k('a'))).toThrow(expect.objectContaining({ code: 'STORE_CLOSED' }));
  });

  it('reopen resumes from the persisted indexedTxId without re-indexing', async () => {
    const inner = new MemorySource();
    fill(inner, 20, 4);
    const first = await KeyIndex.open({ dir, logger: silentLogger(), source: inner });
    await first.waitForIndexedTx(20, 5_000);
    const before = snapshot(first);
    await first.close();

    fill(inner, 5, 4);
    const counting = new CountingSource(inner);
    const { logger, lines } = capturingLogger();
    const second = await KeyIndex.open({ dir, logger, source: counting });
    await second.waitForIndexedTx(25, 5_000);
    // one read of tx 20 to check the index belongs to this log, then only the new txs
    expect(counting.reads).toEqual([20, 21, 22, 23, 24, 25]);
    expect(lines.map((l) => l.event)).not.toContain('index.discarded');
    expect(second.history(before.scan[0]?.key ?? k('?'), {}).slice(0, before.histories[0]?.length)).toEqual(before.histories[0]);
    await second.close();
  });

  it('destroy + reopen rebuilds identically, logging the rebuild', async () => {
    const src = new MemorySource();
    fill(src, 30, 5);
    const first = await KeyIndex.open({ dir, logger: silentLogger(), source: src });
    await first.waitForIndexedTx(30, 5_000);
    const before = snapshot(first);
    await first.close();

    await KeyIndex.destroy(dir);
    const { logger, lines } = capturingLogger();
    const second = await KeyIndex.open({ dir, logger, source: src });
    await second.waitForIndexedTx(30, 5_000);
    expect(snapshot(second)).toEqual(before);
    const events = lines.map((l) => l.event);
    expect(events).toContain('index.rebuild_started');
    expect(events).toContain('index.rebuild_done');
    await second.close();
  });

  it('logs rebuild progress with txId, lastTxId and rate', async () => {
    const src = new MemorySource();
    for (let t = 0; t < 9_000; t++) src.append([{ key: k(`p${t % 50}`), value: v(String(t)) }]);
    let nowMs = 0;
    const { logger, lines } = capturingLogger();
    const index = await KeyIndex.open({ dir, logger, source: src, db: 'defaultdb', clockMs: () => (nowMs += 1_000) });
    await index.waitForIndexedTx(9_000, 10_000);
    const progress = lines.filter((l) => l.event === 'index.rebuild_progress');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]).toMatchObject({ db: 'defaultdb', lastTxId: 9_000 });
    expect(typeof progress[0]?.['txId']).toBe('number');
    expect(typeof progress[0]?.['rate']).toBe('number');
    await index.close();
  });

  it('rebuilds an unreadable index', async () => {
    const src = new MemorySource();
    fill(src, 10, 3);
    const first = await KeyIndex.open({ dir, logger: silentLogger(), source: src });
    await first.waitForIndexedTx(10, 5_000);
    const before = snapshot(first);
    await first.close();
    for (const f of await readdir(dir)) await writeFile(join(dir, f), Buffer.alloc(8192, 0x5a));

    const { logger, lines } = capturingLogger();
    const second = await KeyIndex.open({ dir, logger, source: src });
    await second.waitForIndexedTx(10, 5_000);
    expect(snapshot(second)).toEqual(before);
    expect(lines.map((l) => l.event)).toContain('index.unreadable');
    await second.close();
  });

  it('unsynced (the default): a marker from another boot discards the index; the same boot or a clean close keeps it', async () => {
    const src = new MemorySource();
    fill(src, 8, 3);
    const bootA = (): string => 'boot-a';
    const first = await KeyIndex.open({ dir, logger: silentLogger(), source: src, bootId: bootA });
    await first.waitForIndexedTx(8, 5_000);
    const expected = snapshot(first);
    expect(readUnsyncedMarker(dir)).toBe('boot-a'); // written before the first unsynced write
    await first.close();
    expect(readUnsyncedMarker(dir)).toBeUndefined(); // a clean close fsyncs lmdb, then drops the marker

    // clean close, then a reboot: the synced index is kept
    const log1 = capturingLogger();
    const second = await KeyIndex.open({ dir, logger: log1.logger, source: src, bootId: () => 'boot-b' });
    expect(second.indexedTxId()).toBe(8);
    expect(log1.lines.map((l) => l.event)).not.toContain('index.discarded');
    await second.close();

    // a process crash (marker of this boot left behind): the page cache kept every write, the index is kept
    await writeFile(join(dir, UNSYNCED_MARKER_FILE), 'boot-b');
    const log2 = capturingLogger();
    const third = await KeyIndex.open({ dir, logger: log2.logger, source: src, bootId: () => 'boot-b' });
    expect(third.indexedTxId()).toBe(8);
    expect(log2.lines.map((l) => l.event)).not.toContain('index.discarded');
    await third.close();

    // an OS crash (marker of another boot): the file is not opened; rebuilt from the log, same answers
    await writeFile(join(dir, UNSYNCED_MARKER_FILE), 'boot-b');
    await writeFile(join(dir, 'index.mdb'), Buffer.alloc(8192, 0x5a)); // torn pages lmdb must never see
    const log3 = capturingLogger();
    const fourth = await KeyIndex.open({ dir, logger: log3.logger, source: src, bootId: () => 'boot-c' });
    expect(log3.lines.find((l) => l.event === 'index.discarded')).toMatchObject({ reason: 'unsynced_before_restart' });
    await fourth.waitForIndexedTx(8, 5_000);
    expect(snapshot(fourth)).toEqual(expected);
    expect(readUnsyncedMarker(dir)).toBe('boot-c');
    await fourth.close();
  });

  it('durable: true keeps lmdb syncing and writes no marker', async () => {
    const src = new MemorySource();
    fill(src, 3, 2);
    const index = await KeyIndex.open({ dir, logger: silentLogger(), source: src, durable: true, bootId: () => 'boot-a' });
    await index.waitForIndexedTx(3, 5_000);
    expect(readUnsyncedMarker(dir)).toBeUndefined();
    await index.close();
  });

  it('discards an index that belongs to another history or is ahead of the log', async () => {
    const a = new MemorySource('a');
    fill(a, 6, 2);
    const first = await KeyIndex.open({ dir, logger: silentLogger(), source: a });
    await first.waitForIndexedTx(6, 5_000);
    await first.close();

    const b = new MemorySource('b');
    b.append([{ key: k('only-b'), value: v('1') }]);
    for (let i = 0; i < 5; i++) b.append([{ key: k(`b${i}`), value: v('1') }]);
    const log1 = capturingLogger();
    const second = await KeyIndex.open({ dir, logger: log1.logger, source: b });
    await second.waitForIndexedTx(6, 5_000);
    expect(log1.lines.find((l) => l.event === 'index.discarded')).toMatchObject({ reason: 'alh_mismatch' });
    expect(second.get(k('key-0'))).toBeUndefined();
    expect(second.get(k('only-b'))?.txId).toBe(1);
    await second.close();

    const shorter = new MemorySource('b');
    shorter.append([{ key: k('x'), value: v('1') }]);
    const log2 = capturingLogger();
    const third = await KeyIndex.open({ dir, logger: log2.logger, source: shorter });
    await third.waitForIndexedTx(1, 5_000);
    expect(log2.lines.find((l) => l.event === 'index.discarded')).toMatchObject({ reason: 'ahead_of_source' });
    expect(third.scan({}).map((x) => x.key)).toEqual([k('x')]);
    await third.close();
  });

  it('a source that throws stalls the index visibly; retry resumes', async () => {
    const src = new MemorySource();
    fill(src, 2, 2);
    const { logger, lines } = capturingLogger();
    const index = await KeyIndex.open({ dir, logger, source: src });
    await index.waitForIndexedTx(2, 5_000);
    const parked = index.waitForIndexedTx(4, 5_000);
    src.failingTxIds.add(3);
    fill(src, 2, 2);
    index.notifyCommitted(4);
    await expect(parked).rejects.toMatchObject({ code: 'CORRUPTED_DATA' });
    await expect(index.waitForIndexedTx(3, 5_000)).rejects.toMatchObject({ code: 'CORRUPTED_DATA' });
    expect(index.indexedTxId()).toBe(2);
    expect(index.status()).toMatchObject({ indexedTxId: 2, lagTxs: 2, stalled: { code: 'CORRUPTED_DATA', txId: 3 } });
    expect(lines.find((l) => l.event === 'index.stalled')).toMatchObject({ txId: 3, code: 'CORRUPTED_DATA' });

    src.failingTxIds.clear();
    index.retry();
    await index.waitForIndexedTx(4, 5_000);
    expect(index.status()).toEqual({ indexedTxId: 4, lagTxs: 0 });
    await index.close();
  });

  it('re-indexing txs already in lmdb (a crash between entries and meta) adds no duplicate versions', async () => {
    const src = new MemorySource();
    fill(src, 12, 3);
    const first = await KeyIndex.open({ dir, logger: silentLogger(), source: src });
    await first.waitForIndexedTx(12, 5_000);
    const before = snapshot(first);
    await first.close();

    const db = IndexDb.open(dir, undefined);
    await db.writeBatch([], 4, src.txs[3]?.alh ?? Buffer.alloc(32)); // meta rewound to tx 4, entries of 5..12 stay
    await db.close();

    const counting = new CountingSource(src);
    const second = await KeyIndex.open({ dir, logger: silentLogger(), source: counting });
    await second.waitForIndexedTx(12, 5_000);
    expect(counting.reads).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(snapshot(second)).toEqual(before);
    await second.close();
  });

  it('indexes 200 txs of 1000 entries with 33-byte keys and finds every key', async () => {
    const src = new MemorySource();
    const hVal = createHash('sha256').update('v').digest();
    for (let t = 0; t < 200; t++) {
      const entries = [];
      for (let i = 0; i < 1_000; i++) {
        const key = Buffer.allocUnsafe(33);
        key[0] = 0;
        createHash('sha256').update(`${t}:${i}`).digest().copy(key, 1);
        entries.push({ key, metadata: undefined, value: { vLogId: 1, offset: (t * 1_000 + i) * 128, length: 128 }, hVal });
      }
      src.appendStored(entries);
    }
    const index = await KeyIndex.open({ dir, logger: silentLogger(), source: src, durable: false });
    await index.waitForIndexedTx(200, 30_000);
    expect(index.count(Buffer.from([0x00]))).toBe(200_000);
    for (const tx of [src.txs[0], src.txs[99], src.txs[199]]) {
      for (const e of tx?.entries ?? []) expect(index.get(e.key)).toMatchObject({ txId: tx?.header.id, revision: 1, value: e.value });
    }
    await index.close();
  });
});
