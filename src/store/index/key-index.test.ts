// Read semantics of the key index over a real lmdb dir: latest, tombstones, nonIndexable, revisions,
// as-of-tx, history pages, scans (prefix/seek/end/desc/limit, awkward bytes) and counts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../common/log.js';
import type { IndexedValue } from '../types.js';
import { KeyIndex } from './key-index.js';
import { MemorySource } from './memory-source.js';

const k = (s: string): Buffer => Buffer.concat([Buffer.from([0x00]), Buffer.from(s)]);
const v = (s: string): Buffer => Buffer.concat([Buffer.from([0x00]), Buffer.from(s)]);
const hexKeys = (vs: readonly IndexedValue[]): string[] => vs.map((x) => x.key.toString('hex'));
const strKeys = (vs: readonly IndexedValue[]): string[] => vs.map((x) => x.key.subarray(1).toString());

describe('KeyIndex reads', () => {
  let dir: string;
  let index: KeyIndex;
  const src = new MemorySource();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'key-index-'));
    src.append([{ key: k('a'), value: v('a1') }, { key: k('b'), value: v('b1') }]); // 1
    src.append([{ key: k('a'), value: v('a2') }, { key: k('hidden'), value: v('h'), metadata: { nonIndexable: true } }]); // 2
    src.append([{ key: k('a'), metadata: { deleted: true } }, { key: k('ab'), value: v('ab1') }]); // 3
    src.append([{ key: k('a'), value: v('a4'), metadata: { expiresAt: 1_800_000_000 } }]); // 4
    src.append([{ key: k('b'), metadata: { deleted: true } }, { key: k('abc'), value: v('abc1') }]); // 5
    // awkward bytes: keys that contain 0x00 and 0xff, and prefixes of each other
    src.append([
      { key: Buffer.from([0x00, 0x00]), value: v('z0') },
      { key: Buffer.from([0x00, 0x00, 0x00]), value: v('z00') },
      { key: Buffer.from([0x00, 0xff]), value: v('ff') },
      { key: Buffer.from([0x00, 0xff, 0xff]), value: v('ffff') },
      { key: Buffer.from([0x00, 0xff, 0x00]), value: v('ff00') },
      { key: Buffer.from([0x01, 0x00]), value: v('set') },
      { key: Buffer.from([0xff]), value: v('top') },
    ]); // 6
    src.append([{ key: Buffer.concat([Buffer.from([0x00]), Buffer.alloc(1024, 0x7a)]), value: v('long') }]); // 7
    index = await KeyIndex.open({ dir, logger: silentLogger(), source: src });
    await index.waitForIndexedTx(src.committedTxId(), 10_000);
  });

  afterAll(async () => {
    await index.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('indexes every committed tx', () => {
    expect(index.indexedTxId()).toBe(7);
    expect(index.status()).toEqual({ indexedTxId: 7, lagTxs: 0 });
  });

  it('get returns the latest version with its revision, value ref and hVal', () => {
    const b = index.get(k('b'));
    expect(b?.txId).toBe(5);
    expect(b?.revision).toBe(2);
    const ab = index.get(k('ab'));
    expect(ab).toMatchObject({ txId: 3, revision: 1, metadata: undefined, value: { vLogId: 1, length: 4 } });
    expect(ab?.hVal).toEqual(src.txs[2]?.entries[1]?.hVal);
    expect(ab?.key).toEqual(k('ab'));
    expect(index.get(k('nope'))).toBeUndefined();
    expect(index.get(Buffer.alloc(0))).toBeUndefined();
    expect(index.get(Buffer.alloc(3000))).toBeUndefined();
  });

  it('keeps tombstones and metadata as versions', () => {
    expect(index.get(k('b'))?.metadata).toEqual({ deleted: true });
    expect(index.get(k('a'))?.metadata).toEqual({ expiresAt: 1_800_000_000 });
    expect(index.getAtRevision(k('a'), 3)).toMatchObject({ txId: 3, metadata: { deleted: true }, value: { length: 0 } });
  });

  it('skips nonIndexable entries', () => {
    expect(index.get(k('hidden'))).toBeUndefined();
    expect(index.history(k('hidden'), {})).toEqual([]);
  });

  it('holds a key of 1024 bytes plus its prefix', () => {
    expect(index.get(Buffer.concat([Buffer.from([0x00]), Buffer.alloc(1024, 0x7a)]))?.txId).toBe(7);
  });

  it('getAtRevision: 1-based, 0 = latest, negative counts back from the latest', () => {
    expect(index.getAtRevision(k('a'), 1)).toMatchObject({ txId: 1, revision: 1 });
    expect(index.getAtRevision(k('a'), 2)).toMatchObject({ txId: 2, revision: 2 });
    expect(index.getAtRevision(k('a'), 4)).toMatchObject({ txId: 4, revision: 4 });
    expect(index.getAtRevision(k('a'), 0)).toMatchObject({ txId: 4, revision: 4 });
    expect(index.getAtRevision(k('a'), -1)).toMatchObject({ txId: 3, revision: 3 });
    expect(index.getAtRevision(k('a'), -3)).toMatchObject({ txId: 1, revision: 1 });
    expect(index.getAtRevision(k('a'), -4)).toBeUndefined();
    expect(index.getAtRevision(k('a'), 5)).toBeUndefined();
    expect(index.getAtRevision(k('nope'), 0)).toBeUndefined();
  });

  it('getAsOfTx returns the newest version at or before the tx', () => {
    expect(index.getAsOfTx(k('a'), 1)).toMatchObject({ txId: 1, revision: 1 });
    expect(index.getAsOfTx(k('a'), 2)).toMatchObject({ txId: 2, revision: 2 });
    expect(index.getAsOfTx(k('b'), 4)).toMatchObject({ txId: 1, revision: 1 });
    expect(index.getAsOfTx(k('b'), 99)).toMatchObject({ txId: 5, revision: 2 });
    expect(index.getAsOfTx(k('ab'), 2)).toBeUndefined();
    expect(index.getAsOfTx(k('a'), 0)).toBeUndefined();
  });

  it('history pages with offset, limit and desc', () => {
    const all = index.history(k('a'), {});
    expect(all.map((x) => [x.txId, x.revision])).toEqual([[1, 1], [2, 2], [3, 3], [4, 4]]);
    expect(index.history(k('a'), { offset: 1, limit: 2 }).map((x) => [x.txId, x.revision])).toEqual([[2, 2], [3, 3]]);
    expect(index.history(k('a'), { desc: true }).map((x) => x.revision)).toEqual([4, 3, 2, 1]);
    expect(index.history(k('a'), { desc: true, offset: 1, limit: 2 }).map((x) => [x.txId, x.revision])).toEqual([[3, 3], [2, 2]]);
    expect(index.history(k('a'), { offset: 10 })).toEqual([]);
    expect(() => index.history(k('a'), { offset: -1 })).toThrow(expect.objectContaining({ code: 'ILLEGAL_ARGUMENTS' }));
  });

  it('scan returns the latest version of each key in order, tombstones included', () => {
    const all = index.scan({ prefix: k('a') });
    expect(strKeys(all)).toEqual(['a', 'ab', 'abc']);
    expect(all.map((x) => x.txId)).toEqual([4, 3, 5]);
    expect(strKeys(index.scan({ prefix: k('') }))).toContain('b');
    const live = index.scan({ prefix: Buffer.from([0x00]) }, (x) => x.metadata?.deleted !== true);
    expect(strKeys(live)).not.toContain('b');
  });

  it('scan honours seekKey (exclusive unless inclusiveSeek) and endKey (inclusive unless inclusiveEnd false)', () => {
    expect(strKeys(index.scan({ prefix: k('a'), seekKey: k('a') }))).toEqual(['ab', 'abc']);
    expect(strKeys(index.scan({ prefix: k('a'), seekKey: k('a'), inclusiveSeek: true }))).toEqual(['a', 'ab', 'abc']);
    expect(strKeys(index.scan({ prefix: k('a'), endKey: k('ab') }))).toEqual(['a', 'ab']);
    expect(strKeys(index.scan({ prefix: k('a'), endKey: k('ab'), inclusiveEnd: false }))).toEqual(['a']);
    expect(strKeys(index.scan({ seekKey: k('a'), endKey: k('b') }))).toEqual(['ab', 'abc', 'b']);
  });

  it('scan desc walks down from seekKey to endKey', () => {
    expect(strKeys(index.scan({ prefix: k('a'), desc: true }))).toEqual(['abc', 'ab', 'a']);
    expect(strKeys(index.scan({ prefix: k('a'), desc: true, seekKey: k('abc') }))).toEqual(['ab', 'a']);
    expect(strKeys(index.scan({ prefix: k('a'), desc: true, seekKey: k('abc'), inclusiveSeek: true }))).toEqual(['abc', 'ab', 'a']);
    expect(strKeys(index.scan({ prefix: k('a'), desc: true, endKey: k('ab') }))).toEqual(['abc', 'ab']);
    expect(strKeys(index.scan({ prefix: k('a'), desc: true, endKey: k('ab'), inclusiveEnd: false }))).toEqual(['abc']);
    expect(strKeys(index.scan({ prefix: k('a'), desc: true, limit: 2 }))).toEqual(['abc', 'ab']);
  });

  it('scan limit', () => {
    expect(strKeys(index.scan({ prefix: k('a'), limit: 1 }))).toEqual(['a']);
    expect(index.scan({ prefix: k('a'), limit: 0 })).toHaveLength(3);
  });

  it('scan handles keys with 0x00 and 0xff bytes and prefixes of other keys', () => {
    expect(hexKeys(index.scan({ prefix: Buffer.from([0x00, 0x00]) }))).toEqual(['0000', '000000']);
    expect(hexKeys(index.scan({ prefix: Buffer.from([0x00, 0xff]) }))).toEqual(['00ff', '00ff00', '00ffff']);
    expect(hexKeys(index.scan({ prefix: Buffer.from([0x00, 0xff]), desc: true }))).toEqual(['00ffff', '00ff00', '00ff']);
    expect(hexKeys(index.scan({ prefix: Buffer.from([0xff]), desc: true }))).toEqual(['ff']);
    expect(hexKeys(index.scan({ prefix: Buffer.from([0xff]) }))).toEqual(['ff']);
    expect(hexKeys(index.scan({ prefix: Buffer.from([0x01]) }))).toEqual(['0100']);
    // the whole keyspace, both ways, starts and ends at the extreme keys
    const asc = hexKeys(index.scan({}));
    expect(asc[0]).toBe('0000');
    expect(asc[asc.length - 1]).toBe('ff');
    expect(hexKeys(index.scan({ desc: true }))).toEqual([...asc].reverse());
    expect(index.scan({ seekKey: Buffer.from([0x00, 0xff]), desc: true, limit: 2 }).map((x) => x.key.length)).toEqual([1025, 2]);
    expect(hexKeys(index.scan({ seekKey: Buffer.from([0x00]), endKey: Buffer.from([0x00, 0x00]) }))).toEqual(['0000']);
  });

  it('count counts keys whose latest version is not a tombstone, optionally not expired', () => {
    expect(index.count(k('a'))).toBe(3);
    expect(index.count(k('b'))).toBe(0);
    expect(index.count(Buffer.from([0x00, 0xff]))).toBe(3);
    expect(index.count(k('a'), 1_900_000_000)).toBe(2);
    expect(index.count(k('a'), 1_700_000_000)).toBe(3);
    expect(index.count(k('q'))).toBe(0);
    expect(index.count(k('z'))).toBe(1);
  });
});
