// Replays the 12 db-level operations of shared/vectors/store_txs_and_dualproofs.json through Database
// with the clock fixed at 1700000000 and compares every tx (entries, Eh, Alh) with what immudb's own
// code committed: proves our encodings and commit path byte for byte.
import { afterEach, describe, expect, it } from 'vitest';
import { txAlh } from '../proof/tx-header.js';
import { loadVector } from '../proof/test-vectors.js';
import { verifyDualProof } from '../proof/dual-proof.js';
import { ImmuStore } from '../store/immu-store.js';
import { defaultBackend, openTestDb, type TestDb } from './testing/test-db.js';

interface VectorTx {
  readonly id: number;
  readonly alh: string;
  readonly eH: string;
  readonly txMetadata: string;
  readonly entries: readonly { readonly key: string; readonly md: string; readonly value: string; readonly hValue: string }[];
}

interface StoreVectors {
  readonly operations: readonly string[];
  readonly txs: readonly VectorTx[];
  readonly committedState: { readonly txId: number; readonly alh: string };
  readonly dualProofs: readonly { readonly sourceTxId: number; readonly targetTxId: number }[];
}

const vectors = loadVector<StoreVectors>('store_txs_and_dualproofs.json');
const b = (s: string): Buffer => Buffer.from(s);
const TS = 1700000000;

let t: TestDb | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function replay(): Promise<TestDb> {
  const test = await openTestDb({ nowSeconds: () => TS });
  const db = test.db;
  await db.set({ kvs: [{ key: b('key1'), value: b('value1') }] });
  await db.set({ kvs: ['2', '3', '4'].map((n) => ({ key: b(`key${n}`), value: b(`value${n}`) })) });
  await db.setReference({ key: b('ref1'), referencedKey: b('key1'), atTx: 1, boundRef: true });
  await db.zAdd({ set: b('set1'), score: 1.5, key: b('key1') });
  await db.delete({ keys: [b('key2')] });
  await db.set({
    kvs: [
      { key: b('key5'), value: b('value5'), metadata: { expiresAt: 1800000000 } },
      { key: b('key6'), value: b('value6'), metadata: { nonIndexable: true } },
    ],
  });
  await db.set({ kvs: [{ key: b('key7'), value: b('value7') }], txExtra: b('hello') });
  for (let n = 8; n <= 12; n++) await db.set({ kvs: [{ key: b(`key${n}`), value: b(`value${n}`) }] });
  return test;
}

describe('golden store vectors through Database', () => {
  it('runs against the real ImmuStore + KeyIndex unless the double is asked for', async () => {
    t = await openTestDb();
    expect(t.store instanceof ImmuStore).toBe(defaultBackend() === 'real');
  });

  it('describes 12 operations', () => {
    expect(vectors.operations).toHaveLength(12);
    expect(vectors.txs).toHaveLength(12);
  });

  it('reproduces every tx: entries, eH and Alh', async () => {
    t = await replay();
    for (const want of vectors.txs) {
      const tx = await t.db.txById({ tx: want.id, entriesSpec: { kv: 'rawValue', z: 'rawValue' } });
      expect(tx.entries.map((e) => [e.key.toString('hex'), e.value?.toString('hex'), e.hValue.toString('hex')])).toEqual(
        want.entries.map((e) => [e.key, e.value, e.hValue]),
      );
      expect(tx.header.eh.toString('hex')).toBe(want.eH);
      expect(txAlh(tx.header).toString('hex'), `Alh of tx ${want.id}`).toBe(want.alh);
    }
    const state = t.db.currentState();
    expect(state.txId).toBe(vectors.committedState.txId);
    expect(state.txHash.toString('hex')).toBe(vectors.committedState.alh);
  });

  it('serves dual proofs for the vector pairs that verify against the vector Alhs', async () => {
    t = await replay();
    const alh = (id: number): Buffer => Buffer.from(vectors.txs[id - 1]?.alh ?? '', 'hex');
    for (const { sourceTxId, targetTxId } of vectors.dualProofs) {
      const vtx = await t.db.verifiableTxById({ tx: targetTxId, proveSinceTx: sourceTxId });
      expect(verifyDualProof(vtx.dualProof, sourceTxId, targetTxId, alh(sourceTxId), alh(targetTxId))).toBe(true);
    }
  });
});
