// Writes through Database: set, delete, expiry, nonIndexable, preconditions, references, zAdd, execAll,
// and every kind of bad input, which must fail with its code and write nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { encodeKey, encodePlainValue } from '../proof/kv-encoding.js';
import { expectCode } from './testing/expect-code.js';
import { openTestDb, type TestDb, type TestDbOptions } from './testing/test-db.js';

const b = (s: string): Buffer => Buffer.from(s);
let t: TestDb | undefined;
let now = 1700000000;

async function open(opts: TestDbOptions = {}): Promise<TestDb> {
  now = 1700000000;
  t = await openTestDb({ nowSeconds: () => now, ...opts });
  return t;
}

afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('set and get', () => {
  it('commits prefixed entries and reads them back without prefixes', async () => {
    const { db } = await open();
    const hdr = await db.set({ kvs: [{ key: b('a'), value: b('1') }, { key: b('b'), value: b('') }] });
    expect(hdr.id).toBe(1);
    expect(hdr.nEntries).toBe(2);
    const tx = await db.txById({ tx: 1, entriesSpec: { kv: 'rawValue' } });
    expect(tx.entries.map((e) => [e.key, e.value])).toEqual([
      [encodeKey(b('a')), encodePlainValue(b('1'))],
      [encodeKey(b('b')), encodePlainValue(b(''))],
    ]);
    expect(await db.get({ key: b('a') })).toEqual({ tx: 1, key: b('a'), value: b('1'), metadata: undefined, expired: false, revision: 1 });
    expect((await db.get({ key: b('b') })).value).toEqual(b(''));
    await db.set({ kvs: [{ key: b('a'), value: b('2') }] });
    expect(await db.get({ key: b('a') })).toMatchObject({ tx: 2, value: b('2'), revision: 2 });
  });

  it('missing keys are KEY_NOT_FOUND', async () => {
    const { db } = await open();
    await expectCode(db.get({ key: b('nope') }), 'KEY_NOT_FOUND');
  });
});

describe('delete', () => {
  it('writes a tombstone (deleted metadata, empty value) and hides the key', async () => {
    const { db } = await open();
    await db.set({ kvs: [{ key: b('k'), value: b('v') }] });
    const hdr = await db.delete({ keys: [b('k')] });
    const tx = await db.txById({ tx: hdr.id, entriesSpec: { kv: 'rawValue' } });
    expect(tx.entries).toEqual([
      { key: encodeKey(b('k')), hValue: expect.any(Buffer), vLen: 0, metadata: { deleted: true }, value: Buffer.alloc(0) },
    ]);
    await expectCode(db.get({ key: b('k') }), 'KEY_NOT_FOUND');
    await expectCode(db.delete({ keys: [b('k')] }), 'KEY_NOT_FOUND');
    await db.set({ kvs: [{ key: b('k'), value: b('again') }] });
    expect((await db.get({ key: b('k') })).revision).toBe(3);
  });

  it('refuses missing keys and writes nothing', async () => {
    const { db } = await open();
    await db.set({ kvs: [{ key: b('k'), value: b('v') }] });
    await expectCode(db.delete({ keys: [b('k'), b('missing')] }), 'KEY_NOT_FOUND');
    await expectCode(db.delete({ keys: [b('k'), b('k')] }), 'DUPLICATED_KEY');
    await expectCode(db.delete({ keys: [] }), 'NO_ENTRIES');
    expect(db.currentState().txId).toBe(1);
  });
});

describe('expiring and non-indexable entries', () => {
  it('an entry is readable until expiresAt, then KEY_NOT_FOUND, and cannot be deleted', async () => {
    const { db } = await open();
    await db.set({ kvs: [{ key: b('e'), value: b('v'), metadata: { expiresAt: now + 10 } }] });
    expect(await db.get({ key: b('e') })).toMatchObject({ value: b('v'), metadata: { expiresAt: now + 10 }, expired: false });
    now += 10;
    await expectCode(db.get({ key: b('e') }), 'KEY_NOT_FOUND');
    await expectCode(db.get({ key: b('e'), atTx: 1 }), 'KEY_NOT_FOUND');
    await expectCode(db.delete({ keys: [b('e')] }), 'KEY_NOT_FOUND');
    const h = await db.history({ key: b('e') });
    expect(h).toHaveLength(1);
    expect(h[0]?.expired).toBe(true);
  });

  it('a nonIndexable entry is only readable at its tx', async () => {
    const { db } = await open();
    await db.set({ kvs: [{ key: b('n'), value: b('v'), metadata: { nonIndexable: true } }] });
    await expectCode(db.get({ key: b('n') }), 'KEY_NOT_FOUND');
    expect(await db.get({ key: b('n'), atTx: 1 })).toMatchObject({ tx: 1, value: b('v'), revision: 0, metadata: { nonIndexable: true } });
    expect(await db.scan({})).toEqual([]);
  });

  it('refuses deleted metadata in set and bad expiresAt', async () => {
    const { db } = await open();
    await expectCode(db.set({ kvs: [{ key: b('k'), value: b('v'), metadata: { deleted: true } }] }), 'METADATA_INVALID');
    await expectCode(db.set({ kvs: [{ key: b('k'), value: b('v'), metadata: { expiresAt: -1 } }] }), 'METADATA_INVALID');
    await expectCode(db.set({ kvs: [{ key: b('k'), value: b('v'), metadata: { expiresAt: 1.5 } }] }), 'METADATA_INVALID');
    expect(db.currentState().txId).toBe(0);
  });
});

describe('preconditions', () => {
  it('mustExist, mustNotExist and notModifiedAfterTx', async () => {
    const { db } = await open();
    await expectCode(db.set({ kvs: [{ key: b('a'), value: b('1') }], preconditions: [{ kind: 'mustExist', key: b('a') }] }), 'PRECONDITION_FAILED');
    await db.set({ kvs: [{ key: b('a'), value: b('1') }], preconditions: [{ kind: 'mustNotExist', key: b('a') }] });
    await expectCode(db.set({ kvs: [{ key: b('a'), value: b('2') }], preconditions: [{ kind: 'mustNotExist', key: b('a') }] }), 'PRECONDITION_FAILED');
    await db.set({ kvs: [{ key: b('a'), value: b('2') }], preconditions: [{ kind: 'mustExist', key: b('a') }] });
    await expectCode(
      db.set({ kvs: [{ key: b('a'), value: b('3') }], preconditions: [{ kind: 'notModifiedAfterTx', key: b('a'), txId: 1 }] }),
      'PRECONDITION_FAILED',
    );
    await db.set({ kvs: [{ key: b('a'), value: b('3') }], preconditions: [{ kind: 'notModifiedAfterTx', key: b('a'), txId: 2 }] });
    expect((await db.get({ key: b('a') })).value).toEqual(b('3'));
    expect(db.currentState().txId).toBe(3);
  });

  it('refuses malformed preconditions before writing', async () => {
    const { db } = await open();
    await expectCode(db.set({ kvs: [{ key: b('a'), value: b('1') }], preconditions: [{ kind: 'mustExist', key: b('') }] }), 'KEY_EMPTY');
    await expectCode(
      db.set({ kvs: [{ key: b('a'), value: b('1') }], preconditions: [{ kind: 'notModifiedAfterTx', key: b('a'), txId: -1 }] }),
      'ILLEGAL_ARGUMENTS',
    );
    expect(db.currentState().txId).toBe(0);
  });
});

describe('references', () => {
  it('unbound references follow the latest value, bound ones stay at atTx', async () => {
    const { db } = await open();
    await db.set({ kvs: [{ key: b('k'), value: b('v1') }] });
    await db.setReference({ key: b('r'), referencedKey: b('k') });
    await db.setReference({ key: b('rb'), referencedKey: b('k'), atTx: 1, boundRef: true });
    await db.set({ kvs: [{ key: b('k'), value: b('v2') }] });
    expect(await db.get({ key: b('r') })).toEqual({
      tx: 4,
      key: b('k'),
      value: b('v2'),
      metadata: undefined,
      expired: false,
      revision: 2,
      referencedBy: { tx: 2, key: b('r'), atTx: 0, metadata: undefined, revision: 1 },
    });
    expect(await db.get({ key: b('rb') })).toMatchObject({ tx: 1, key: b('k'), value: b('v1'), referencedBy: { tx: 3, atTx: 1 } });
    await db.delete({ keys: [b('k')] });
    await expectCode(db.get({ key: b('r') }), 'KEY_NOT_FOUND');
    expect((await db.get({ key: b('rb') })).value).toEqual(b('v1'));
  });

  it('refuses missing targets, references to references, self references and bad bindings', async () => {
    const { db } = await open();
    await db.set({ kvs: [{ key: b('k'), value: b('v') }] });
    await db.setReference({ key: b('r'), referencedKey: b('k') });
    await expectCode(db.setReference({ key: b('x'), referencedKey: b('missing') }), 'REFERENCE_INVALID');
    await expectCode(db.setReference({ key: b('x'), referencedKey: b('r') }), 'REFERENCE_INVALID');
    await expectCode(db.setReference({ key: b('k'), referencedKey: b('k') }), 'REFERENCE_INVALID');
    await expectCode(db.setReference({ key: b('x'), referencedKey: b('k'), atTx: 2, boundRef: true }), 'REFERENCE_INVALID');
    await expectCode(db.setReference({ key: b('x'), referencedKey: b('k'), atTx: 1 }), 'ILLEGAL_ARGUMENTS');
    await expectCode(db.setReference({ key: b('x'), referencedKey: b('k'), boundRef: true }), 'ILLEGAL_ARGUMENTS');
    await expectCode(db.setReference({ key: b('x'), referencedKey: b('k'), atTx: 99, boundRef: true }), 'TX_NOT_FOUND');
    await expectCode(db.setReference({ key: b(''), referencedKey: b('k') }), 'KEY_EMPTY');
    expect(db.currentState().txId).toBe(2);
  });

  it('supports preconditions on the reference key', async () => {
    const { db } = await open();
    await db.set({ kvs: [{ key: b('k'), value: b('v') }] });
    await expectCode(
      db.setReference({ key: b('r'), referencedKey: b('k'), preconditions: [{ kind: 'mustExist', key: b('r') }] }),
      'PRECONDITION_FAILED',
    );
  });
});

describe('zAdd', () => {
  it('needs an existing member, bound members must be in tx atTx', async () => {
    const { db } = await open();
    await expectCode(db.zAdd({ set: b('s'), score: 1, key: b('m') }), 'KEY_NOT_FOUND');
    await db.set({ kvs: [{ key: b('m'), value: b('v') }] });
    const hdr = await db.zAdd({ set: b('s'), score: 1, key: b('m') });
    expect(hdr.id).toBe(2);
    await db.zAdd({ set: b('s'), score: 2, key: b('m'), atTx: 1, boundRef: true });
    await expectCode(db.zAdd({ set: b('s'), score: 2, key: b('m'), atTx: 2, boundRef: true }), 'KEY_NOT_FOUND');
    await expectCode(db.zAdd({ set: b('s'), score: Number.NaN, key: b('m') }), 'ILLEGAL_ARGUMENTS');
    await expectCode(db.zAdd({ set: b(''), score: 1, key: b('m') }), 'KEY_EMPTY');
    await expectCode(db.zAdd({ set: b('s'), score: 1, key: b('m'), atTx: 1 }), 'ILLEGAL_ARGUMENTS');
    expect(db.currentState().txId).toBe(3);
  });
});

describe('execAll', () => {
  it('a bound reference in execAll reads the target at atTx even if the same tx sets it', async () => {
    const { db } = await open();
    await db.set({ kvs: [{ key: b('a'), value: b('old') }] });
    await db.execAll({
      operations: [
        { kind: 'kv', key: b('a'), value: b('new') },
        { kind: 'ref', key: b('rb'), referencedKey: b('a'), atTx: 1, boundRef: true },
      ],
    });
    expect((await db.get({ key: b('rb') })).value).toEqual(b('old'));
    expect((await db.get({ key: b('a') })).value).toEqual(b('new'));
  });

  it('commits kv, references and zAdds in one tx, references may name keys of the same tx', async () => {
    const { db } = await open();
    const hdr = await db.execAll({
      operations: [
        { kind: 'kv', key: b('a'), value: b('1') },
        { kind: 'ref', key: b('ra'), referencedKey: b('a') },
        { kind: 'zadd', set: b('s'), score: 3, key: b('a') },
      ],
    });
    expect(hdr.nEntries).toBe(3);
    expect(await db.get({ key: b('ra') })).toMatchObject({ tx: 1, key: b('a'), value: b('1'), referencedBy: { tx: 1, key: b('ra') } });
    expect((await db.zScan({ set: b('s') })).map((z) => [z.key, z.score, z.entry?.value])).toEqual([[b('a'), 3, b('1')]]);
  });

  it('refuses duplicates, references to references of the same tx, and empty lists; writes nothing', async () => {
    const { db } = await open();
    await expectCode(
      db.execAll({ operations: [{ kind: 'kv', key: b('a'), value: b('1') }, { kind: 'kv', key: b('a'), value: b('2') }] }),
      'DUPLICATED_KEY',
    );
    await expectCode(
      db.execAll({ operations: [{ kind: 'kv', key: b('a'), value: b('1') }, { kind: 'ref', key: b('a'), referencedKey: b('b') }] }),
      'DUPLICATED_KEY',
    );
    await expectCode(
      db.execAll({
        operations: [
          { kind: 'kv', key: b('a'), value: b('1') },
          { kind: 'ref', key: b('r1'), referencedKey: b('a') },
          { kind: 'ref', key: b('r2'), referencedKey: b('r1') },
        ],
      }),
      'REFERENCE_INVALID',
    );
    await expectCode(db.execAll({ operations: [{ kind: 'zadd', set: b('s'), score: 1, key: b('ghost') }] }), 'KEY_NOT_FOUND');
    await expectCode(db.execAll({ operations: [] }), 'NO_ENTRIES');
    expect(db.currentState().txId).toBe(0);
  });

  it('applies preconditions and tx extra', async () => {
    const { db } = await open();
    await expectCode(
      db.execAll({ operations: [{ kind: 'kv', key: b('a'), value: b('1') }], preconditions: [{ kind: 'mustExist', key: b('a') }] }),
      'PRECONDITION_FAILED',
    );
    const hdr = await db.execAll({ operations: [{ kind: 'kv', key: b('a'), value: b('1') }], txExtra: b('x') });
    expect(hdr.metadata).toEqual({ extra: b('x') });
  });
});

describe('concurrent writers', () => {
  it('every write gets its own tx and every reader sees its own write', async () => {
    const { db } = await open();
    const writers = Array.from({ length: 40 }, async (_, i) => {
      const hdr = await db.set({ kvs: [{ key: b(`w${i}`), value: b(`v${i}`) }, { key: b(`shared${i % 4}`), value: b(`${i}`) }] });
      const got = await db.get({ key: b(`w${i}`) });
      expect(got.tx).toBe(hdr.id);
      return hdr.id;
    });
    const ids = await Promise.all(writers);
    expect(new Set(ids).size).toBe(40);
    expect(db.currentState().txId).toBe(40);
    expect(await db.countAll()).toBe(44);
    const h = await db.history({ key: b('shared0') });
    expect(h.map((e) => e.revision)).toEqual([...Array(10).keys()].map((n) => n + 1));
  });

  it('concurrent mustNotExist writers: exactly one wins', async () => {
    const { db } = await open();
    const attempts = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => db.set({ kvs: [{ key: b('once'), value: b(`${i}`) }], preconditions: [{ kind: 'mustNotExist', key: b('once') }] })),
    );
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    expect(db.currentState().txId).toBe(1);
  });
});

describe('bad input writes nothing', () => {
  it('empty, oversized and duplicate keys, oversized values, too many entries', async () => {
    const { db } = await open({ maxKeyLen: 8, maxValueLen: 8, maxTxEntries: 3 });
    const kv = (key: string, value = 'v'): { key: Buffer; value: Buffer } => ({ key: b(key), value: b(value) });
    await expectCode(db.set({ kvs: [kv('')] }), 'KEY_EMPTY');
    await expectCode(db.set({ kvs: [kv('12345678')] }), 'KEY_TOO_LARGE'); // 9 bytes with the prefix
    await expectCode(db.set({ kvs: [kv('k', '12345678')] }), 'VALUE_TOO_LARGE');
    await expectCode(db.set({ kvs: [kv('a'), kv('b'), kv('c'), kv('d')] }), 'TOO_MANY_ENTRIES');
    await expectCode(db.set({ kvs: [kv('a'), kv('a')] }), 'DUPLICATED_KEY');
    await expectCode(db.set({ kvs: [] }), 'NO_ENTRIES');
    await expectCode(db.set({ kvs: [{ key: 'k' as unknown as Buffer, value: b('v') }] }), 'ILLEGAL_ARGUMENTS');
    await expectCode(db.set({ kvs: [kv('k')], txExtra: Buffer.alloc(257) }), 'METADATA_INVALID');
    expect(db.currentState().txId).toBe(0);
    await db.set({ kvs: [kv('1234567', '1234567'), kv('b'), kv('c')] });
    expect(db.currentState().txId).toBe(1);
  });
});

describe('header version 0 database', () => {
  it('writes plain entries but refuses every kind of metadata', async () => {
    const { db } = await open({ writeTxHeaderVersion: 0 });
    const hdr = await db.set({ kvs: [{ key: b('a'), value: b('1') }] });
    expect(hdr.version).toBe(0);
    await expectCode(db.set({ kvs: [{ key: b('a'), value: b('1'), metadata: { expiresAt: 2000000000 } }] }), 'METADATA_INVALID');
    await expectCode(db.set({ kvs: [{ key: b('a'), value: b('1'), metadata: { nonIndexable: true } }] }), 'METADATA_INVALID');
    await expectCode(db.set({ kvs: [{ key: b('a'), value: b('1') }], txExtra: b('x') }), 'METADATA_INVALID');
    await expectCode(db.delete({ keys: [b('a')] }), 'METADATA_INVALID');
    expect(db.currentState().txId).toBe(1);
  });
});

describe('closed database', () => {
  it('refuses calls with STORE_CLOSED', async () => {
    const { db } = await open();
    await db.close();
    await expectCode(async () => db.get({ key: b('a') }), 'STORE_CLOSED');
    expect(() => db.currentState()).toThrow();
  });
});
