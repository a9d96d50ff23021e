// Reads through Database: get variants (atTx, atRevision, sinceTx, noWait), getAll, scan, history, zScan,
// count, tx reads and the state, with the index held back where waiting matters.
import { afterEach, describe, expect, it } from 'vitest';
import { EMPTY_HASH } from '../proof/hash.js';
import { txAlh } from '../proof/tx-header.js';
import { encodeKey, encodeZAddKey } from '../proof/kv-encoding.js';
import { expectCode } from './testing/expect-code.js';
import { openTestDb, type TestBackend, type TestDb } from './testing/test-db.js';

const b = (s: string): Buffer => Buffer.from(s);
const kv = (key: string, value: string): { key: Buffer; value: Buffer } => ({ key: b(key), value: b(value) });
let t: TestDb | undefined;
let now = 1700000000;

async function open(backend?: TestBackend): Promise<TestDb> {
  now = 1700000000;
  t = await openTestDb({ nowSeconds: () => now, ...(backend !== undefined ? { backend } : {}) });
  return t;
}

afterEach(async () => {
  t?.memory?.index.releaseIndexing();
  await t?.close();
  t = undefined;
});

describe('get', () => {
  it('atTx reads the version of exactly that tx; atRevision absolute and relative', async () => {
    const { db } = await open();
    await db.set({ kvs: [kv('k', 'v1')] });
    await db.set({ kvs: [kv('other', 'x')] });
    await db.set({ kvs: [kv('k', 'v2')] });
    await db.set({ kvs: [kv('k', 'v3')] });
    expect(await db.get({ key: b('k'), atTx: 3 })).toMatchObject({ tx: 3, value: b('v2'), revision: 2 });
    await expectCode(db.get({ key: b('k'), atTx: 2 }), 'KEY_NOT_FOUND');
    await expectCode(db.get({ key: b('k'), atTx: 99 }), 'TX_NOT_FOUND');
    expect(await db.get({ key: b('k'), atRevision: 1 })).toMatchObject({ tx: 1, value: b('v1'), revision: 1 });
    expect(await db.get({ key: b('k'), atRevision: -1 })).toMatchObject({ tx: 3, value: b('v2'), revision: 2 });
    await expectCode(db.get({ key: b('k'), atRevision: 4 }), 'KEY_NOT_FOUND');
    await expectCode(db.get({ key: b('k'), atRevision: -3 }), 'KEY_NOT_FOUND');
  });

  it('refuses bad numbers and contradictory arguments', async () => {
    const { db } = await open();
    await db.set({ kvs: [kv('k', 'v')] });
    await expectCode(db.get({ key: b('k'), atTx: -1 }), 'ILLEGAL_ARGUMENTS');
    await expectCode(db.get({ key: b('k'), atTx: Number.NaN }), 'ILLEGAL_ARGUMENTS');
    await expectCode(db.get({ key: b('k'), sinceTx: 1.5 }), 'ILLEGAL_ARGUMENTS');
    await expectCode(db.get({ key: b('k'), atTx: 1, sinceTx: 1 }), 'ILLEGAL_ARGUMENTS');
    await expectCode(db.get({ key: b('k'), atTx: 1, atRevision: 1 }), 'ILLEGAL_ARGUMENTS');
    await expectCode(db.get({ key: b('k'), sinceTx: 2 }), 'TX_BEYOND_STATE');
    await expectCode(db.get({ key: b('') }), 'KEY_EMPTY');
  });

  it('waits for the index unless noWait; a write with noWait returns before indexing (double: holds the index)', async () => {
    const test = await open('memory');
    const { db } = test;
    const index = test.memory?.index;
    if (index === undefined) throw new Error('memory backend expected');
    await db.set({ kvs: [kv('k', 'v1')] });
    index.holdIndexing();
    const hdr = await db.set({ kvs: [kv('k', 'v2')], noWait: true });
    expect(hdr.id).toBe(2);
    expect((await db.get({ key: b('k'), noWait: true })).value).toEqual(b('v1'));
    expect((await db.get({ key: b('k'), atTx: 2 })).value).toEqual(b('v2'));
    const waiting = db.get({ key: b('k'), sinceTx: 2 });
    setTimeout(() => index.releaseIndexing(), 20);
    expect((await waiting).value).toEqual(b('v2'));
  });
});

describe('getAll', () => {
  it('returns live keys in request order and skips missing or deleted ones', async () => {
    const { db } = await open();
    await db.set({ kvs: [kv('a', '1'), kv('b', '2'), kv('c', '3')] });
    await db.delete({ keys: [b('b')] });
    const got = await db.getAll([b('c'), b('b'), b('zz'), b('a')]);
    expect(got.map((e) => e.key.toString())).toEqual(['c', 'a']);
    await expectCode(db.getAll([b('')]), 'KEY_EMPTY');
  });
});

describe('scan', () => {
  it('prefix, seek, end, inclusive flags, desc, limit; skips deleted/expired; resolves references', async () => {
    const { db } = await open();
    await db.set({ kvs: ['a1', 'a2', 'a3', 'a4', 'b1'].map((k) => kv(k, `v${k}`)) });
    await db.delete({ keys: [b('a2')] });
    await db.set({ kvs: [{ key: b('a5'), value: b('x'), metadata: { expiresAt: now + 1 } }] });
    await db.setReference({ key: b('a6'), referencedKey: b('b1') });
    now += 1;
    const keys = async (req: Parameters<typeof db.scan>[0]): Promise<string[]> => (await db.scan(req)).map((e) => e.referencedBy?.key.toString() ?? e.key.toString());
    expect(await keys({ prefix: b('a') })).toEqual(['a1', 'a3', 'a4', 'a6']);
    expect(await keys({ prefix: b('a'), desc: true })).toEqual(['a6', 'a4', 'a3', 'a1']);
    expect(await keys({ prefix: b('a'), seekKey: b('a3') })).toEqual(['a4', 'a6']);
    expect(await keys({ prefix: b('a'), seekKey: b('a3'), inclusiveSeek: true })).toEqual(['a3', 'a4', 'a6']);
    expect(await keys({ prefix: b('a'), endKey: b('a4') })).toEqual(['a1', 'a3']);
    expect(await keys({ prefix: b('a'), endKey: b('a4'), inclusiveEnd: true })).toEqual(['a1', 'a3', 'a4']);
    expect(await keys({ prefix: b('a'), limit: 2 })).toEqual(['a1', 'a3']);
    expect(await keys({})).toEqual(['a1', 'a3', 'a4', 'a6', 'b1']);
    const ref = (await db.scan({ prefix: b('a6') }))[0];
    expect(ref).toMatchObject({ key: b('b1'), value: b('vb1'), referencedBy: { key: b('a6') } });
    await expectCode(db.scan({ limit: -1 }), 'ILLEGAL_ARGUMENTS');
    await expectCode(db.scan({ sinceTx: 99 }), 'TX_BEYOND_STATE');
  });

  it('pages past filtered keys and caps the result at scanResultsMax', async () => {
    const { db } = await open();
    const n = 2600;
    for (let start = 0; start < n; start += 1000) {
      const kvs = [];
      for (let i = start; i < Math.min(n, start + 1000); i++) kvs.push(kv(`k${String(i).padStart(5, '0')}`, 'v'));
      await db.set({ kvs });
    }
    const deleted = [];
    for (let i = 0; i < 200; i++) deleted.push(b(`k${String(i).padStart(5, '0')}`));
    await db.delete({ keys: deleted });
    expect(await db.scan({})).toHaveLength(2400);
    const all = await db.scan({ limit: 100_000 });
    expect(all).toHaveLength(2400);
    expect(all[0]?.key.toString()).toBe('k00200');
    expect(await db.count(b('k'))).toBe(2400);
    expect(await db.countAll()).toBe(2400);
  });
});

describe('history', () => {
  it('lists every version with revisions, deletions included; offset, limit, desc', async () => {
    const { db } = await open();
    await db.set({ kvs: [kv('k', 'v1')] });
    await db.set({ kvs: [kv('k', 'v2')] });
    await db.delete({ keys: [b('k')] });
    await db.set({ kvs: [kv('k', 'v3')] });
    const h = await db.history({ key: b('k') });
    expect(h.map((e) => [e.tx, e.value.toString(), e.revision, e.metadata?.deleted === true])).toEqual([
      [1, 'v1', 1, false],
      [2, 'v2', 2, false],
      [3, '', 3, true],
      [4, 'v3', 4, false],
    ]);
    expect((await db.history({ key: b('k'), desc: true, offset: 1, limit: 2 })).map((e) => e.revision)).toEqual([3, 2]);
    expect(await db.history({ key: b('k'), offset: 10 })).toEqual([]);
    await expectCode(db.history({ key: b('nope') }), 'KEY_NOT_FOUND');
    await expectCode(db.history({ key: b('k'), offset: -1 }), 'ILLEGAL_ARGUMENTS');
  });
});

describe('zScan', () => {
  it('orders by encoded score, filters by score range, seeks, resolves members and skips deleted ones', async () => {
    const { db } = await open();
    await db.set({ kvs: [kv('a', 'va'), kv('b', 'vb'), kv('c', 'vc'), kv('d', 'vd')] });
    await db.zAdd({ set: b('s'), score: 1, key: b('a') });
    await db.zAdd({ set: b('s'), score: 2, key: b('b') });
    await db.zAdd({ set: b('s'), score: 3, key: b('c') });
    await db.zAdd({ set: b('s'), score: 4, key: b('d') });
    await db.zAdd({ set: b('s'), score: 2.5, key: b('a'), atTx: 1, boundRef: true });
    await db.zAdd({ set: b('other'), score: 1, key: b('a') });
    await db.delete({ keys: [b('d')] });
    await db.set({ kvs: [kv('a', 'va2')] });
    const scan = async (req: Omit<Parameters<typeof db.zScan>[0], 'set'>): Promise<Array<[string, number, string]>> =>
      (await db.zScan({ set: b('s'), ...req })).map((z) => [z.key.toString(), z.score, z.entry?.value.toString() ?? '']);
    expect(await scan({})).toEqual([
      ['a', 1, 'va2'],
      ['b', 2, 'vb'],
      ['a', 2.5, 'va'],
      ['c', 3, 'vc'],
    ]);
    expect(await scan({ desc: true, limit: 2 })).toEqual([
      ['c', 3, 'vc'],
      ['a', 2.5, 'va'],
    ]);
    expect(await scan({ minScore: 2, maxScore: 2.5 })).toEqual([
      ['b', 2, 'vb'],
      ['a', 2.5, 'va'],
    ]);
    expect(await scan({ seekKey: b('b'), seekScore: 2 })).toEqual([
      ['a', 2.5, 'va'],
      ['c', 3, 'vc'],
    ]);
    expect(await scan({ seekKey: b('b'), seekScore: 2, inclusiveSeek: true })).toHaveLength(3);
    const bound = (await db.zScan({ set: b('s'), minScore: 2.5, maxScore: 2.5 }))[0];
    expect(bound).toMatchObject({ set: b('s'), atTx: 1, entry: { tx: 1 } });
    await expectCode(db.zScan({ set: b('') }), 'KEY_EMPTY');
    await expectCode(db.zScan({ set: b('s'), minScore: Number.NaN }), 'ILLEGAL_ARGUMENTS');
  });
});

describe('tx reads', () => {
  it('txById returns raw entries by default and decoded kv/z entries on request', async () => {
    const { db } = await open();
    await db.set({ kvs: [kv('a', '1')] });
    await db.execAll({
      operations: [
        { kind: 'kv', key: b('b'), value: b('2') },
        { kind: 'ref', key: b('r'), referencedKey: b('a') },
        { kind: 'zadd', set: b('s'), score: 7, key: b('a') },
      ],
    });
    const raw = await db.txById({ tx: 2 });
    expect(raw.entries.map((e) => e.key)).toEqual([encodeKey(b('b')), encodeKey(b('r')), encodeZAddKey(b('s'), 7, b('a'), 0)]);
    expect(raw.entries.every((e) => e.value === undefined)).toBe(true);
    expect(raw.entries[2]?.hValue).toEqual(EMPTY_HASH);
    expect(raw.kvEntries).toEqual([]);
    const resolved = await db.txById({ tx: 2, entriesSpec: { kv: 'resolve', z: 'resolve' } });
    expect(resolved.entries).toEqual([]);
    expect(resolved.kvEntries.map((e) => [e.key.toString(), e.value.toString(), e.referencedBy?.key.toString()])).toEqual([
      ['b', '2', undefined],
      ['a', '1', 'r'],
    ]);
    expect(resolved.zEntries).toMatchObject([{ set: b('s'), key: b('a'), score: 7, atTx: 0, entry: { value: b('1') } }]);
    const unresolved = await db.txById({ tx: 2, entriesSpec: { kv: 'resolve', z: 'exclude' }, keepReferencesUnresolved: true });
    expect(unresolved.kvEntries[1]).toMatchObject({ key: b('a'), value: b(''), referencedBy: { tx: 2, key: b('r'), atTx: 0 } });
    expect(unresolved.zEntries).toEqual([]);
    await expectCode(db.txById({ tx: 0 }), 'TX_NOT_FOUND');
    await expectCode(db.txById({ tx: 3 }), 'TX_NOT_FOUND');
    await expectCode(db.txById({ tx: -1 }), 'ILLEGAL_ARGUMENTS');
    await expectCode(db.txById({ tx: 1, entriesSpec: { sql: 'resolve' } }), 'ILLEGAL_ARGUMENTS');
  });

  it('txScan ascending and descending with limits', async () => {
    const { db } = await open();
    for (let i = 1; i <= 5; i++) await db.set({ kvs: [kv(`k${i}`, 'v')] });
    const ids = async (req: Parameters<typeof db.txScan>[0]): Promise<number[]> => (await db.txScan(req)).map((tx) => tx.header.id);
    expect(await ids({})).toEqual([1, 2, 3, 4, 5]);
    expect(await ids({ initialTx: 2, limit: 2 })).toEqual([2, 3]);
    expect(await ids({ desc: true, limit: 3 })).toEqual([5, 4, 3]);
    expect(await ids({ initialTx: 2, desc: true })).toEqual([2, 1]);
    expect(await ids({ initialTx: 9 })).toEqual([]);
    await expectCode(db.txScan({ limit: -1 }), 'ILLEGAL_ARGUMENTS');
  });

  it('a corrupted value is never served (double: corrupts in place)', async () => {
    const test = await open('memory');
    await test.db.set({ kvs: [kv('a', 'value')] });
    test.memory?.corruptValue(0);
    await expectCode(test.db.get({ key: b('a') }), 'CORRUPTED_DATA');
  });
});

describe('currentState', () => {
  it('is EMPTY at tx 0 and the Alh of the last committed tx after', async () => {
    const { db } = await open();
    expect(db.currentState()).toEqual({ db: 'testdb', txId: 0, txHash: EMPTY_HASH, precommittedTxId: 0, precommittedTxHash: EMPTY_HASH });
    const hdr = await db.set({ kvs: [kv('a', '1')] });
    const s = db.currentState();
    expect(s.txId).toBe(1);
    expect(s.txHash).toEqual(txAlh(hdr));
    expect(s.precommittedTxId).toBe(1);
    expect(db.name).toBe('testdb');
  });
});
