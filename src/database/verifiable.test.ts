// The verifiable calls checked the way a client checks them (core spec 4.7, the Go SDK's procedures):
// rebuild the entry digest from what the client knows, verify its inclusion under the right Eh, verify
// the DualProof from the client's trusted state to the new one, chaining states across a sequence that
// starts with trust on first use. Then tampered responses and forked histories, which must fail.
import { afterEach, describe, expect, it } from 'vitest';
import { ImmuError } from '../common/errors.js';
import { txAlh } from '../proof/tx-header.js';
import type { Database } from './database.js';
import {
  checkVerifiedGet,
  checkVerifiedTx,
  checkVerifiedWrite,
  EMPTY_STATE,
  expectKv,
  expectRef,
  expectZAdd,
  type TrustedState,
} from './testing/client-verification.js';
import { expectCode } from './testing/expect-code.js';
import { openTestDb, type TestDb, type TestDbOptions } from './testing/test-db.js';
import type { VerifiableEntry, VerifiableTx } from './types.js';

const b = (s: string): Buffer => Buffer.from(s);
const opened: TestDb[] = [];
const NOW = 1700000000;

async function open(opts: TestDbOptions = {}): Promise<Database> {
  const t = await openTestDb({ nowSeconds: () => NOW, ...opts });
  opened.push(t);
  return t.db;
}

afterEach(async () => {
  for (const t of opened.splice(0)) await t.close();
});

const flip = (buf: Buffer): Buffer => {
  const c = Buffer.from(buf);
  c[0] = (c[0] as number) ^ 0x01;
  return c;
};

function proofFails(f: () => unknown): boolean {
  try {
    f();
    return false;
  } catch (err) {
    if (err instanceof ImmuError && err.code === 'PROOF_FAILED') return true;
    throw err;
  }
}

/** A client session: keeps the trusted state and checks every verifiable reply before adopting it. */
class Client {
  state: TrustedState = EMPTY_STATE;
  readonly db: Database;

  constructor(db: Database) {
    this.db = db;
  }

  async set(key: string, value: string): Promise<VerifiableTx> {
    const vtx = await this.db.verifiableSet({ kvs: [{ key: b(key), value: b(value) }] }, this.state.txId);
    this.state = checkVerifiedWrite(this.state, vtx, [expectKv(b(key), b(value))]);
    return vtx;
  }

  async get(key: string, atTx = 0): Promise<VerifiableEntry> {
    const ve = await this.db.verifiableGet({ key: b(key), ...(atTx > 0 ? { atTx } : {}) }, this.state.txId);
    this.state = checkVerifiedGet(this.state, b(key), atTx, ve);
    return ve;
  }

  async tx(id: number): Promise<VerifiableTx> {
    const vtx = await this.db.verifiableTxById({ tx: id, proveSinceTx: this.state.txId });
    this.state = checkVerifiedTx(this.state, id, vtx);
    return vtx;
  }
}

async function runSequence(db: Database): Promise<Client> {
  const c = new Client(db);
  await c.set('k1', 'v1'); // TOFU: state 0 -> 1
  expect(c.state).toEqual({ txId: 1, txHash: db.currentState().txHash });
  const multi = [
    { key: b('k2'), value: b('v2') },
    { key: b('k3'), value: b('v3') },
  ];
  const vtx2 = await db.verifiableSet({ kvs: multi }, c.state.txId);
  c.state = checkVerifiedWrite(c.state, vtx2, multi.map((kv) => expectKv(kv.key, kv.value)));
  expect((await c.get('k1')).entry.value).toEqual(b('v1')); // vTx 1 < state 2: proven backwards
  expect(c.state.txId).toBe(2);

  const vRef = await db.verifiableSetReference({ key: b('r1'), referencedKey: b('k1') }, c.state.txId);
  c.state = checkVerifiedWrite(c.state, vRef, [expectRef(b('r1'), b('k1'), 0)]);
  const vBound = await db.verifiableSetReference({ key: b('r2'), referencedKey: b('k2'), atTx: 2, boundRef: true }, c.state.txId);
  c.state = checkVerifiedWrite(c.state, vBound, [expectRef(b('r2'), b('k2'), 2)]);
  const gotRef = await c.get('r1');
  expect(gotRef.entry).toMatchObject({ key: b('k1'), value: b('v1'), referencedBy: { tx: 3, key: b('r1') } });
  expect((await c.get('r2')).entry.value).toEqual(b('v2'));

  const vz = await db.verifiableZAdd({ set: b('s'), score: -2.5, key: b('k3') }, c.state.txId);
  c.state = checkVerifiedWrite(c.state, vz, [expectZAdd(b('s'), -2.5, b('k3'), 0)]);
  for (let i = 0; i < 10; i++) await db.set({ kvs: [{ key: b(`fill${i}`), value: b('x') }] });
  await c.get('k1', 1); // atTx read, state far ahead
  await c.tx(2); // tx before the state
  await c.tx(db.currentState().txId); // the newest tx
  await c.set('k1', 'v1b');
  expect((await c.get('k1')).entry).toMatchObject({ value: b('v1b'), revision: 2 });
  expect(c.state).toEqual({ txId: db.currentState().txId, txHash: db.currentState().txHash });
  return c;
}

describe('client-side verification of every verifiable call (header v1)', () => {
  it('verifies a sequence of sets, gets, references, zAdds and tx reads, chaining states from TOFU', async () => {
    await runSequence(await open());
  });

  it('verifies entries with KV metadata and tx metadata', async () => {
    const db = await open();
    const c = new Client(db);
    await c.set('a', '1');
    const kvs = [
      { key: b('e'), value: b('exp'), metadata: { expiresAt: NOW + 100 } },
      { key: b('n'), value: b('nonidx'), metadata: { nonIndexable: true } },
    ];
    const vtx = await db.verifiableSet({ kvs, txExtra: b('hello') }, c.state.txId);
    expect(vtx.tx.header.metadata).toEqual({ extra: b('hello') });
    c.state = checkVerifiedWrite(c.state, vtx, kvs.map((kv) => expectKv(kv.key, kv.value, kv.metadata)));
    expect((await c.get('e')).entry.metadata).toEqual({ expiresAt: NOW + 100 });
    expect((await c.get('n', 2)).entry.metadata).toEqual({ nonIndexable: true });
  });

  it('returns the proof pairs of core spec 4.6', async () => {
    const db = await open();
    for (let i = 1; i <= 4; i++) await db.set({ kvs: [{ key: b(`k${i}`), value: b('v') }] });
    const pair = (vtx: VerifiableTx): [number, number] => [vtx.dualProof.sourceTxHeader.id, vtx.dualProof.targetTxHeader.id];
    expect(pair(await db.verifiableTxById({ tx: 2, proveSinceTx: 0 }))).toEqual([2, 2]);
    expect(pair(await db.verifiableTxById({ tx: 3, proveSinceTx: 1 }))).toEqual([1, 3]);
    expect(pair(await db.verifiableTxById({ tx: 2, proveSinceTx: 4 }))).toEqual([2, 4]);
    expect(pair((await db.verifiableGet({ key: b('k2') }, 3)).verifiableTx)).toEqual([2, 3]);
    expect(pair(await db.verifiableSet({ kvs: [{ key: b('k5'), value: b('v') }] }, 0))).toEqual([5, 5]);
    expect(pair(await db.verifiableSet({ kvs: [{ key: b('k6'), value: b('v') }] }, 2))).toEqual([2, 6]);
    const ve = await db.verifiableGet({ key: b('k3') }, 0);
    expect(ve.inclusionProof).toEqual({ leaf: 0, width: 1, terms: [] });
    expect(ve.verifiableTx.tx.entries).toHaveLength(1);
  });

  it('refuses proveSinceTx beyond the committed state and writes nothing', async () => {
    const db = await open();
    await db.set({ kvs: [{ key: b('a'), value: b('1') }] });
    await expectCode(db.verifiableSet({ kvs: [{ key: b('b'), value: b('2') }] }, 2), 'TX_BEYOND_STATE');
    await expectCode(db.verifiableSetReference({ key: b('r'), referencedKey: b('a') }, 5), 'TX_BEYOND_STATE');
    await expectCode(db.verifiableZAdd({ set: b('s'), score: 1, key: b('a') }, 5), 'TX_BEYOND_STATE');
    await expectCode(db.verifiableGet({ key: b('a') }, 2), 'TX_BEYOND_STATE');
    await expectCode(db.verifiableTxById({ tx: 1, proveSinceTx: 2 }), 'TX_BEYOND_STATE');
    await expectCode(db.verifiableTxById({ tx: 2, proveSinceTx: 1 }), 'TX_NOT_FOUND');
    await expectCode(db.verifiableSet({ kvs: [{ key: b('b'), value: b('2') }] }, -1), 'ILLEGAL_ARGUMENTS');
    expect(db.currentState().txId).toBe(1);
  });
});

describe('header version 0 database', () => {
  it('uses v0 digests and headers, and the same client checks pass', async () => {
    const db = await open({ writeTxHeaderVersion: 0 });
    const c = await runSequence(db);
    const vtx = await c.tx(1);
    expect(vtx.tx.header.version).toBe(0);
    expect(vtx.dualProof.targetTxHeader.version).toBe(0);
  });

  it('a v1 client expectation does not verify against v0 data (digests differ)', async () => {
    const db = await open({ writeTxHeaderVersion: 0 });
    const vtx = await db.verifiableSet({ kvs: [{ key: b('a'), value: b('1') }] }, 0);
    const asV1: VerifiableTx = { ...vtx, tx: { ...vtx.tx, header: { ...vtx.tx.header, version: 1 } } };
    expect(proofFails(() => checkVerifiedWrite(EMPTY_STATE, asV1, [expectKv(b('a'), b('1'))]))).toBe(true);
  });
});

describe('tampered responses fail verification', () => {
  async function setup(): Promise<{ db: Database; state: TrustedState }> {
    const db = await open();
    const c = new Client(db);
    await c.set('a', '1');
    await c.set('b', '2');
    for (let i = 0; i < 5; i++) await db.set({ kvs: [{ key: b(`f${i}`), value: b('x') }] });
    return { db, state: c.state };
  }

  it('verifiableSet: a forged value, hValue, eH or linking fails', async () => {
    const { db, state } = await setup();
    const vtx = await db.verifiableSet({ kvs: [{ key: b('c'), value: b('3') }] }, state.txId);
    const ok = (): TrustedState => checkVerifiedWrite(state, vtx, [expectKv(b('c'), b('3'))]);
    expect(ok().txId).toBe(8);
    expect(proofFails(() => checkVerifiedWrite(state, vtx, [expectKv(b('c'), b('4'))]))).toBe(true);
    const e0 = vtx.tx.entries[0];
    if (e0 === undefined) throw new Error('no entry');
    const badEntry: VerifiableTx = { ...vtx, tx: { ...vtx.tx, entries: [{ ...e0, hValue: flip(e0.hValue) }] } };
    expect(proofFails(() => checkVerifiedWrite(state, badEntry, [expectKv(b('c'), b('3'))]))).toBe(true);
    const dp = vtx.dualProof;
    const badEh: VerifiableTx = { ...vtx, dualProof: { ...dp, targetTxHeader: { ...dp.targetTxHeader, eh: flip(dp.targetTxHeader.eh) } } };
    expect(proofFails(() => checkVerifiedWrite(state, badEh, [expectKv(b('c'), b('3'))]))).toBe(true);
    const badConsistency: VerifiableTx = { ...vtx, dualProof: { ...dp, consistencyProof: dp.consistencyProof.map(flip) } };
    expect(proofFails(() => checkVerifiedWrite(state, badConsistency, [expectKv(b('c'), b('3'))]))).toBe(true);
    const badInclusion: VerifiableTx = { ...vtx, dualProof: { ...dp, inclusionProof: dp.inclusionProof.map(flip) } };
    expect(proofFails(() => checkVerifiedWrite(state, badInclusion, [expectKv(b('c'), b('3'))]))).toBe(true);
    const lp = dp.linearProof;
    const badLinear: VerifiableTx = { ...vtx, dualProof: { ...dp, linearProof: { ...lp, terms: lp.terms.map(flip) } } };
    expect(proofFails(() => checkVerifiedWrite(state, badLinear, [expectKv(b('c'), b('3'))]))).toBe(true);
    const wrongState: TrustedState = { txId: state.txId, txHash: flip(state.txHash) };
    expect(proofFails(() => checkVerifiedWrite(wrongState, vtx, [expectKv(b('c'), b('3'))]))).toBe(true);
  });

  it('verifiableGet: a forged value, metadata, key, inclusion proof or header fails', async () => {
    const { db, state } = await setup();
    const ve = await db.verifiableGet({ key: b('a') }, state.txId);
    expect(checkVerifiedGet(state, b('a'), 0, ve)).toEqual(state);
    expect(proofFails(() => checkVerifiedGet(state, b('a'), 0, { ...ve, entry: { ...ve.entry, value: b('forged') } }))).toBe(true);
    expect(proofFails(() => checkVerifiedGet(state, b('a'), 0, { ...ve, entry: { ...ve.entry, metadata: { expiresAt: 1 } } }))).toBe(true);
    expect(proofFails(() => checkVerifiedGet(state, b('b'), 0, ve))).toBe(true);
    const ip = ve.inclusionProof;
    expect(proofFails(() => checkVerifiedGet(state, b('a'), 0, { ...ve, inclusionProof: { ...ip, terms: [Buffer.alloc(32)] } }))).toBe(true);
    const dp = ve.verifiableTx.dualProof;
    const badSource = { ...ve, verifiableTx: { ...ve.verifiableTx, dualProof: { ...dp, sourceTxHeader: { ...dp.sourceTxHeader, ts: 1 } } } };
    expect(proofFails(() => checkVerifiedGet(state, b('a'), 0, badSource))).toBe(true);
    const claimOther = { ...ve, entry: { ...ve.entry, tx: 2 } };
    expect(proofFails(() => checkVerifiedGet(state, b('a'), 0, claimOther))).toBe(true);
  });

  it('verifiableGet through a reference: forging the reference target fails (the value is not proven)', async () => {
    const { db, state } = await setup();
    const c = new Client(db);
    c.state = state;
    await db.setReference({ key: b('r'), referencedKey: b('a') });
    const ve = await db.verifiableGet({ key: b('r') }, c.state.txId);
    const next = checkVerifiedGet(c.state, b('r'), 0, ve);
    expect(next.txId).toBe(8);
    expect(proofFails(() => checkVerifiedGet(c.state, b('r'), 0, { ...ve, entry: { ...ve.entry, key: b('b') } }))).toBe(true);
    const ref = ve.entry.referencedBy;
    if (ref === undefined) throw new Error('no reference');
    expect(proofFails(() => checkVerifiedGet(c.state, b('r'), 0, { ...ve, entry: { ...ve.entry, referencedBy: { ...ref, atTx: 1 } } }))).toBe(true);
    // Known limit (node SDK Q7, Go client too): the resolved value behind a reference is not proven.
    expect(checkVerifiedGet(c.state, b('r'), 0, { ...ve, entry: { ...ve.entry, value: b('unproven') } }).txId).toBe(8);
  });

  it('verifiableTxById: a forged header or a forked history fails', async () => {
    const { db, state } = await setup();
    const vtx = await db.verifiableTxById({ tx: 1, proveSinceTx: state.txId });
    expect(checkVerifiedTx(state, 1, vtx)).toEqual(state);
    const dp = vtx.dualProof;
    const forged: VerifiableTx = { ...vtx, dualProof: { ...dp, sourceTxHeader: { ...dp.sourceTxHeader, nEntries: 2 } } };
    expect(proofFails(() => checkVerifiedTx(state, 1, forged))).toBe(true);
    const ahead = await db.verifiableTxById({ tx: 6, proveSinceTx: state.txId });
    expect(checkVerifiedTx(state, 6, ahead).txId).toBe(6);
    const tdp = ahead.dualProof;
    const forgedTarget: VerifiableTx = { ...ahead, dualProof: { ...tdp, targetTxHeader: { ...tdp.targetTxHeader, eh: flip(tdp.targetTxHeader.eh) } } };
    expect(proofFails(() => checkVerifiedTx(state, 6, forgedTarget))).toBe(true);

    // Same first two txs, then the histories diverge: a client of one must reject the other.
    const other = await open();
    const c2 = new Client(other);
    await c2.set('a', '1');
    await c2.set('b', '2');
    expect(c2.state).toEqual(state);
    for (let i = 0; i < 5; i++) await other.set({ kvs: [{ key: b(`g${i}`), value: b('y') }] });
    const forkClient = new Client(db);
    forkClient.state = { txId: 7, txHash: db.currentState().txHash };
    const fromOther = await other.verifiableTxById({ tx: 7, proveSinceTx: 7 });
    expect(proofFails(() => checkVerifiedTx(forkClient.state, 7, fromOther))).toBe(true);
    const laterOther = await other.verifiableSet({ kvs: [{ key: b('z'), value: b('z') }] }, 7);
    expect(proofFails(() => checkVerifiedWrite(forkClient.state, laterOther, [expectKv(b('z'), b('z'))]))).toBe(true);
    expect(txAlh(laterOther.dualProof.targetTxHeader)).toEqual(other.currentState().txHash);
  });
});
