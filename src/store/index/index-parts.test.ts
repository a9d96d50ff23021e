// Unit tests of the index's pure parts and its lmdb file check: the version codec, scan planning,
// the waiters' shared timer, and the meta-page sanity check that keeps lmdb from crashing the process
// on a damaged file.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeVersion, txIdBound, VERSION_FIXED_BYTES, versionExpiresAt, versionIsTombstone, versionTxId, writeVersion } from './entry-codec.js';
import { IndexDb, lmdbHeaderProblem } from './index-db.js';
import { IndexWaiters } from './index-waiters.js';
import { planScan, prefixSuccessor } from './key-range.js';
import { encodeKvMetadata } from '../../proof/metadata.js';

describe('entry codec', () => {
  const hVal = Buffer.alloc(32, 0xab);
  it('round-trips a version with metadata and large numbers', () => {
    const slab = Buffer.alloc(100);
    const md = encodeKvMetadata({ deleted: true, expiresAt: 1_800_000_000 });
    const n = writeVersion(slab, 3, 2 ** 40 + 5, 7, 2 ** 45 + 1, 32 * 1024 * 1024, hVal, md);
    const bytes = slab.subarray(3, 3 + n);
    expect(n).toBe(VERSION_FIXED_BYTES + md.length);
    expect(versionTxId(bytes)).toBe(2 ** 40 + 5);
    expect(versionIsTombstone(bytes)).toBe(true);
    expect(versionExpiresAt(bytes)).toBe(1_800_000_000);
    expect(decodeVersion(Buffer.from('k'), bytes, 9)).toEqual({
      key: Buffer.from('k'),
      txId: 2 ** 40 + 5,
      metadata: { deleted: true, expiresAt: 1_800_000_000 },
      value: { vLogId: 7, offset: 2 ** 45 + 1, length: 32 * 1024 * 1024 },
      hVal,
      revision: 9,
    });
  });
  it('sorts versions by txId bytewise, and txIdBound(n) sits between tx n-1 and tx n', () => {
    const enc = (txId: number): Buffer => {
      const b = Buffer.alloc(VERSION_FIXED_BYTES);
      writeVersion(b, 0, txId, 1, 0, 0, hVal, Buffer.alloc(0));
      return b;
    };
    const ids = [1, 255, 256, 65_536, 2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1];
    const sorted = ids.map(enc).sort(Buffer.compare).map(versionTxId);
    expect(sorted).toEqual(ids);
    expect(Buffer.compare(enc(255), txIdBound(256))).toBe(-1);
    expect(Buffer.compare(txIdBound(256), enc(256))).toBe(-1);
  });
});

describe('scan planning', () => {
  const B = (...a: number[]): Buffer => Buffer.from(a);
  it('prefixSuccessor increments the last non-0xff byte', () => {
    expect(prefixSuccessor(B(0x00, 0x61))).toEqual(B(0x00, 0x62));
    expect(prefixSuccessor(B(0x00, 0xff, 0xff))).toEqual(B(0x01));
    expect(prefixSuccessor(B(0xff, 0xff))).toBeUndefined();
  });
  it('classifies keys against prefix, seek and end in both directions', () => {
    const asc = planScan({ prefix: B(0x00), seekKey: B(0x00, 0x05), endKey: B(0x00, 0x09) });
    expect(asc.start).toEqual(B(0x00, 0x05));
    expect([B(0x00, 0x05), B(0x00, 0x06), B(0x00, 0x09), B(0x00, 0x0a), B(0x01)].map(asc.classify)).toEqual(['skip', 'take', 'take', 'stop', 'stop']);
    const desc = planScan({ prefix: B(0x00), desc: true, endKey: B(0x00, 0x05), inclusiveEnd: false });
    expect(desc.start).toEqual(B(0x01));
    expect([B(0x01), B(0x00, 0xff), B(0x00, 0x05), B(0x00)].map(desc.classify)).toEqual(['skip', 'take', 'stop', 'stop']);
    expect(planScan({ desc: true }).start).toBeUndefined();
  });
});

describe('lmdb file check', () => {
  it('accepts a fresh lmdb file and a missing one; rejects garbage and truncation', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'index-db-'));
    try {
      expect(lmdbHeaderProblem(join(dir, 'index.mdb'))).toBeUndefined();
      const db = IndexDb.open(dir, undefined);
      await db.writeBatch([{ key: Buffer.from([0]), version: Buffer.alloc(VERSION_FIXED_BYTES) }], 1, Buffer.alloc(32));
      await db.close();
      expect(lmdbHeaderProblem(join(dir, 'index.mdb'))).toBeUndefined();
      await writeFile(join(dir, 'index.mdb'), Buffer.alloc(8192, 0x5a));
      expect(lmdbHeaderProblem(join(dir, 'index.mdb'))).toMatch(/magic|meta page/);
      expect(() => IndexDb.open(dir, undefined)).toThrow(expect.objectContaining({ code: 'CORRUPTED_DATA' }));
      await writeFile(join(dir, 'index.mdb'), Buffer.alloc(10));
      expect(lmdbHeaderProblem(join(dir, 'index.mdb'))).toMatch(/truncated/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('index waiters', () => {
  it('resolve in txId order whatever order they arrive in; each times out on its own deadline', async () => {
    let indexed = 0;
    const waiters = new IndexWaiters(() => indexed);
    const settled: string[] = [];
    const track = (name: string, p: Promise<void>): Promise<void> =>
      p.then(
        () => void settled.push(`${name} ok`),
        (err: { code?: string }) => void settled.push(`${name} ${err.code ?? '?'}`),
      );
    const all = [
      track('w5', waiters.wait(5, 5_000)),
      track('w2', waiters.wait(2, 5_000)),
      track('w9-short', waiters.wait(9, 20)),
      track('w3', waiters.wait(3, 5_000)),
      track('w9-long', waiters.wait(9, 60)),
    ];
    expect(waiters.size).toBe(5);
    indexed = 3;
    waiters.advance(3);
    await new Promise((r) => setTimeout(r, 40));
    expect(settled).toEqual(['w2 ok', 'w3 ok', 'w9-short TIMEOUT']);
    indexed = 5;
    waiters.advance(5);
    await new Promise((r) => setTimeout(r, 60));
    expect(settled).toEqual(['w2 ok', 'w3 ok', 'w9-short TIMEOUT', 'w5 ok', 'w9-long TIMEOUT']);
    expect(waiters.size).toBe(0);
    await Promise.all(all);
  });

  it('failAll rejects every pending waiter and a later wait still times out', async () => {
    const waiters = new IndexWaiters(() => 0);
    const a = waiters.wait(1, 5_000);
    const b = waiters.wait(2, 5_000);
    waiters.failAll(new Error('closed'));
    await expect(a).rejects.toThrow('closed');
    await expect(b).rejects.toThrow('closed');
    await expect(waiters.wait(3, 10)).rejects.toMatchObject({ code: 'TIMEOUT', details: { txId: 3, indexedTxId: 0 } });
  });
});
