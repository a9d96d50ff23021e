// replicateTx treats exported bytes as untrusted: any alteration (a value byte, header hash fields, a
// reordered, replayed or mis-chained tx) is REPLICATION_DIVERGENCE and writes nothing. Also the
// watermark API sync replication relies on: allowCommitUpTo, discardPrecommittedTxsSince.
import { describe, expect, it } from 'vitest';
import { isImmuError } from '../common/errors.js';
import { openTestStore, tempDir, vectorTxInputs, writeVectorStore } from './test-support.js';

async function exportsOfVectorStore(): Promise<Buffer[]> {
  const store = await writeVectorStore(tempDir());
  const out: Buffer[] = [];
  for (let id = 1; id <= 12; id++) out.push(await store.exportTx(id));
  await store.close();
  return out;
}

async function expectDivergence(p: Promise<unknown>): Promise<void> {
  await expect(p).rejects.toSatisfy((e: unknown) => isImmuError(e, 'REPLICATION_DIVERGENCE'));
}

describe('replicateTx rejects altered exports and writes nothing', () => {
  it('value byte, header hash fields, reorder, replay, wrong prevAlh', async () => {
    const exps = await exportsOfVectorStore();
    const replica = await openTestStore({ dir: tempDir(), maxValueLen: 4096 });
    const e1 = exps[0] as Buffer;
    const hdrLen = e1.readUInt32BE(0);
    // tx 2 before tx 1 (reordered)
    await expectDivergence(replica.replicateTx(exps[1] as Buffer));
    // value byte flipped (last value byte sits before the 3-byte trailer)
    const badValue = Buffer.from(e1);
    badValue.writeUInt8((badValue.at(-4) ?? 0) ^ 0x01, badValue.length - 4);
    await expectDivergence(replica.replicateTx(badValue));
    // header hash fields: prevAlh (offset 4+8), Eh, blRoot
    for (const off of [4 + 8, 4 + hdrLen - 32 - 8 - 1, 4 + hdrLen - 1]) {
      const bad = Buffer.from(e1);
      bad.writeUInt8((bad[off] ?? 0) ^ 0x80, off);
      await expectDivergence(replica.replicateTx(bad));
    }
    // truncated and trailing bytes
    await expectDivergence(replica.replicateTx(e1.subarray(0, e1.length - 1)));
    await expectDivergence(replica.replicateTx(Buffer.concat([e1, Buffer.from([0])])));
    expect(replica.precommittedState().txId).toBe(0);
    await replica.replicateTx(e1);
    await replica.waitForCommit(1);
    // replayed tx 1
    await expectDivergence(replica.replicateTx(e1));
    // tx 2 with a wrong prevAlh chained from a different history
    const other = await openTestStore({ dir: tempDir(), nowSeconds: () => 5 });
    await other.commit({ entries: [{ key: Buffer.from('x'), value: Buffer.from('y') }] });
    await other.commit({ entries: [{ key: Buffer.from('x2'), value: Buffer.from('y') }] });
    await expectDivergence(replica.replicateTx(await other.exportTx(2)));
    expect(replica.precommittedState().txId).toBe(1);
    await other.close();
    for (let i = 1; i < 12; i++) await replica.replicateTx(exps[i] as Buffer);
    await replica.waitForCommit(12);
    expect(replica.committedState().alh.toString('hex')).toBe(vectorTxInputs().txs[11]?.alh);
    const report = await replica.verify();
    expect(report.lastTxId).toBe(12);
    await replica.close();
  });
});

describe('external commit allowance', () => {
  it('commits only up to allowCommitUpTo; discards refuse committed txs', async () => {
    const dir = tempDir();
    const store = await openTestStore({ dir, externalCommitAllowance: true });
    const tx = (k: string) => ({ entries: [{ key: Buffer.from(k), value: Buffer.from('v-' + k) }] });
    const a = await store.precommit(tx('a'));
    const b = await store.precommit(tx('b'));
    const c = await store.precommit(tx('c'));
    expect([a.header.id, b.header.id, c.header.id]).toEqual([1, 2, 3]);
    expect(store.committedState().txId).toBe(0);
    expect(store.precommittedState().txId).toBe(3);
    await expect(store.readTx(1)).rejects.toSatisfy((e: unknown) => isImmuError(e, 'TX_BEYOND_STATE'));
    expect((await store.readTx(3, { allowPrecommitted: true })).header.id).toBe(3);
    store.allowCommitUpTo(1);
    await store.waitForCommit(1);
    expect(store.committedState()).toEqual({ txId: 1, alh: a.alh });
    const waiting = store.waitForCommit(3);
    expect(store.discardPrecommittedTxsSince(2)).toBe(2);
    await expect(waiting).rejects.toBeDefined();
    expect(store.precommittedState()).toEqual({ txId: 1, alh: a.alh });
    expect(() => store.discardPrecommittedTxsSince(1)).toThrow(/committed/);
    const d = await store.precommit(tx('d'));
    expect(d.header.id).toBe(2);
    expect(d.header.prevAlh.equals(a.alh)).toBe(true);
    store.allowCommitUpTo(2);
    await store.waitForCommit(2);
    await store.close();
    const again = await openTestStore({ dir });
    expect(again.committedState().txId).toBe(2);
    expect((await again.verify()).lastTxId).toBe(2);
    const v = await again.readTx(2);
    expect((await again.readValue(v.entries[0]!.value, v.entries[0]!.hVal)).toString()).toBe('v-d');
    await again.close();
  });

  it('precommitted txs survive reopen and are committed by the allowance', async () => {
    const dir = tempDir();
    const store = await openTestStore({ dir, externalCommitAllowance: true });
    await store.precommit({ entries: [{ key: Buffer.from('k1'), value: Buffer.from('v') }] });
    await store.precommit({ entries: [{ key: Buffer.from('k2'), value: Buffer.from('v') }] });
    await store.close();
    const r = await openTestStore({ dir, externalCommitAllowance: true });
    expect(r.committedState().txId).toBe(0);
    expect(r.precommittedState().txId).toBe(2);
    r.allowCommitUpTo(2);
    await r.waitForCommit(2);
    await r.close();
    const plain = await openTestStore({ dir });
    expect(plain.committedState().txId).toBe(2);
    await plain.close();
  });
});
