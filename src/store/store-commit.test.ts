// The commit pipeline: bad input gets its typed error and writes nothing; 50 concurrent commits share
// fewer fsync rounds and all resolve committed; worker-pool hashing equals inline hashing; reads and
// proofs match the golden vectors.
import { describe, expect, it } from 'vitest';
import { isImmuError, type ErrorCode } from '../common/errors.js';
import { hashArenaBytesMax, HashPool } from './hash-pool.js';
import { openTestStore, readVector, tempDir, writeVectorStore } from './test-support.js';
import { instantiateSha256Wasm } from '../proof/sha256-wasm.js';
import { allocShared, allocTransferable, hashPackedTx, packedDuplicate, packedEh, packTx } from './tx-hashing.js';
import { entryDigestV0, entryDigestV1 } from '../proof/entry-digest.js';
import { sha256 } from '../proof/hash.js';
import { htreeRoot } from '../proof/htree.js';
import { encodeKvMetadata } from '../proof/metadata.js';
import type { TxInput } from './types.js';

const kv = (k: string, v = 'v'): { key: Buffer; value: Buffer } => ({ key: Buffer.from(k), value: Buffer.from(v) });

describe('bad input writes nothing', () => {
  it('each limit and rule has its code', async () => {
    const store = await openTestStore({ dir: tempDir(), maxKeyLen: 8, maxValueLen: 16, maxTxEntries: 3 });
    const cases: Array<[ErrorCode, TxInput]> = [
      ['NO_ENTRIES', { entries: [] }],
      ['KEY_EMPTY', { entries: [kv('')] }],
      ['KEY_TOO_LARGE', { entries: [kv('123456789')] }],
      ['VALUE_TOO_LARGE', { entries: [kv('k', 'x'.repeat(17))] }],
      ['TOO_MANY_ENTRIES', { entries: [kv('a'), kv('b'), kv('c'), kv('d')] }],
      ['DUPLICATED_KEY', { entries: [kv('a'), kv('a')] }],
      ['METADATA_INVALID', { entries: [{ ...kv('a'), metadata: { expiresAt: -1 } }] }],
      ['METADATA_INVALID', { entries: [kv('a')], metadata: { extra: Buffer.alloc(300) } }],
      ['INVALID_ARGUMENT', { entries: [{ key: 'a' as unknown as Buffer, value: Buffer.from('v') }] }],
    ];
    for (const [code, tx] of cases) {
      await expect(store.commit(tx), code).rejects.toSatisfy((e: unknown) => isImmuError(e, code));
    }
    expect(store.precommittedState().txId).toBe(0);
    const v0 = await openTestStore({ dir: tempDir(), writeTxHeaderVersion: 0 });
    await expect(v0.commit({ entries: [{ ...kv('a'), metadata: { deleted: true } }] })).rejects.toSatisfy((e: unknown) =>
      isImmuError(e, 'METADATA_INVALID'),
    );
    const ok = await v0.commit({ entries: [kv('a')] });
    expect(ok.header.version).toBe(0);
    expect((await v0.verify()).lastTxId).toBe(1);
    await v0.close();
    await expect(store.readTx(0)).rejects.toSatisfy((e: unknown) => isImmuError(e, 'TX_NOT_FOUND'));
    await expect(store.readTx(1)).rejects.toSatisfy((e: unknown) => isImmuError(e, 'TX_BEYOND_STATE'));
    await expect(store.dualProof(1, 1)).rejects.toSatisfy((e: unknown) => isImmuError(e, 'TX_BEYOND_STATE'));
    await store.close();
    await expect(store.commit({ entries: [kv('a')] })).rejects.toSatisfy((e: unknown) => isImmuError(e, 'STORE_CLOSED'));
  });
});

describe('group commit', () => {
  it('50 concurrent commits share fsync rounds and all resolve committed', async () => {
    const store = await openTestStore({ dir: tempDir(), hashWorkers: 2 });
    const before = store.syncRounds;
    const done = await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.commit({ entries: Array.from({ length: i + 1 }, (_, j) => kv(`k${i}-${j}`, `v${i}`)) })),
    );
    const ids = done.map((d) => d.header.id).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(store.committedState().txId).toBe(50);
    expect(store.syncRounds - before).toBeLessThan(50);
    expect(store.syncRounds - before).toBeGreaterThan(0);
    expect((await store.verify()).lastTxId).toBe(50);
    await store.close();
  });

  it('a commit resolves only after its commit entry is durable, and the index catches up', async () => {
    const store = await openTestStore({ dir: tempDir() });
    const c = await store.commit({ entries: [kv('x', 'y')] });
    expect(store.committedTxId()).toBeGreaterThanOrEqual(c.header.id);
    await store.index.waitForIndexedTx(c.header.id);
    const v = store.index.get(Buffer.from('x'));
    expect(v?.txId).toBe(1);
    expect((await store.readValue(v!.value, v!.hVal)).toString()).toBe('y');
    await store.close();
  });
});

describe('hashing', () => {
  it('worker pool, inline WASM and node:crypto agree (v0 and v1, metadata, empty and odd-sized values, tx sizes)', async () => {
    const pool = new HashPool(2);
    const wasm = instantiateSha256Wasm();
    for (const version of [0, 1] as const) {
      // mixed sizes (mostly scalar hashing), then equal sizes (four-lane hashing with scalar tails)
      const cases = [1, 2, 3, 63, 64, 65, 300, 1000].map((n) => ({ n, uniform: false })).concat([4, 5, 7, 9, 66, 1000, 1023].map((n) => ({ n, uniform: true })));
      for (const { n, uniform } of cases) {
        const entries = Array.from({ length: n }, (_, i) => ({
          key: uniform ? Buffer.from(`key-${String(i).padStart(5, '0')}`) : Buffer.from(`key-${i}`.repeat(1 + (i % 9))),
          value: uniform ? Buffer.alloc(128, i) : i % 7 === 0 ? Buffer.alloc(0) : Buffer.from(`value-${i}`.repeat(i % 23)),
          metadata: !uniform && version === 1 && i % 3 === 0 ? { nonIndexable: true, ...(i % 2 === 0 ? { deleted: true } : {}) } : undefined,
        }));
        const inline = packTx(entries, version, 0);
        hashPackedTx(inline.buf, wasm);
        const shared = packTx(entries, version, 0, allocShared);
        hashPackedTx(shared.buf, wasm);
        const transferred = await pool.hash(packTx(entries, version, 0, allocTransferable));
        const hVals = entries.map((e) => sha256(e.value));
        const md = entries.map((e) => encodeKvMetadata(e.metadata));
        const digest = version === 0 ? entryDigestV0 : entryDigestV1;
        const eh = htreeRoot(entries.map((e, i) => digest(e.key, md[i] as Buffer, hVals[i] as Buffer)));
        for (const p of [inline, shared, transferred]) {
          expect(packedDuplicate(p)).toBe(undefined);
          expect(packedEh(p).equals(eh), `Eh v${version} n=${n}`).toBe(true);
          const record = p.buf.subarray(p.entriesOff, p.recEnd - 32);
          let rel = 0;
          const want = entries.map((e, i) => {
            const b = recordEntry(e.key, md[i] as Buffer, hVals[i] as Buffer, e.value.length, rel);
            rel += e.value.length;
            return b;
          });
          expect(record.equals(Buffer.concat(want))).toBe(true);
        }
      }
    }
    await pool.close();
  });

  it('a single-entry tx (the no-table fast path) equals node:crypto: v0 and v1, metadata, empty, small and >64 KiB values', () => {
    const wasm = instantiateSha256Wasm();
    const values = [Buffer.alloc(0), Buffer.from('v'), Buffer.alloc(129, 0x5a), Buffer.alloc(200_000, 7)];
    const mds = [undefined, { deleted: true }, { expiresAt: -5, nonIndexable: true }];
    for (const version of [0, 1] as const) {
      for (const value of values) {
        for (const metadata of version === 0 ? [undefined] : mds) {
          for (const key of [Buffer.from('k'), Buffer.alloc(1024, 0xab)]) {
            const p = packTx([{ key, value, metadata }], version, version === 1 ? 3 : 0);
            p.buf.fill(0xee, 16, 64); // duplicate slot and Eh must be written, not assumed zero
            hashPackedTx(p.buf, wasm);
            const hVal = sha256(value);
            const md = encodeKvMetadata(metadata);
            const digest = (version === 0 ? entryDigestV0 : entryDigestV1)(key, md, hVal);
            expect(packedDuplicate(p)).toBe(undefined);
            expect(packedEh(p).equals(htreeRoot([digest])), `Eh v${version} value ${value.length}`).toBe(true);
            expect(p.buf.subarray(p.entriesOff, p.recEnd - 32).equals(recordEntry(key, md, hVal, value.length, 0))).toBe(true);
          }
        }
      }
    }
  });

  it('worker arenas: a tx above hashArenaBytesMax gets its own memory, the kept arena still serves the next ones', async () => {
    const pool = new HashPool(1);
    const wasm = instantiateSha256Wasm();
    const txOf = (n: number, valueBytes: number, seed: number) =>
      Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k-${seed}-${i}`), value: Buffer.alloc(valueBytes, (i + seed) & 0xff) }));
    const giant = Math.ceil(hashArenaBytesMax / (256 << 10)) + 8; // entries of 256 KiB: just above the cap
    for (const [n, valueBytes] of [[100, 128], [giant, 256 << 10], [100, 64], [5000, 128], [70, 1]] as const) {
      const entries = txOf(n, valueBytes, n);
      const inline = packTx(entries, 1, 0);
      hashPackedTx(inline.buf, wasm);
      const pooled = await pool.hash(packTx(entries, 1, 0));
      expect(packedEh(pooled).equals(packedEh(inline)), `n=${n}`).toBe(true);
      expect(packedDuplicate(pooled)).toBe(undefined);
      expect(pooled.buf.subarray(pooled.entriesOff, pooled.recEnd - 32).equals(inline.buf.subarray(inline.entriesOff, inline.recEnd - 32))).toBe(true);
    }
    await pool.close();
  });

  it('duplicate keys are found while hashing (first repeat reported), in either thread', async () => {
    const pool = new HashPool(1);
    const wasm = instantiateSha256Wasm();
    for (const n of [2, 10, 200]) {
      for (const [a, b] of [[0, 1], [n - 2, n - 1], [0, n - 1]] as const) {
        const entries = Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k${i === b ? a : i}`), value: Buffer.from('v') }));
        const inline = packTx(entries, 1, 0);
        hashPackedTx(inline.buf, wasm);
        expect(packedDuplicate(inline)).toBe(b);
        expect(packedDuplicate(await pool.hash(packTx(entries, 1, 0, allocTransferable)))).toBe(b);
      }
    }
    // same bytes under another length (prefix) are not duplicates
    const p = packTx([{ key: Buffer.from('ab'), value: Buffer.alloc(0) }, { key: Buffer.from('abc'), value: Buffer.alloc(0) }], 1, 0);
    hashPackedTx(p.buf, wasm);
    expect(packedDuplicate(p)).toBe(undefined);
    await pool.close();
  });
});

/** A record entry as packTx lays it out before precommit (vOff relative to the tx's values). */
function recordEntry(key: Buffer, md: Buffer, hVal: Buffer, vLen: number, relOffset: number): Buffer {
  return Buffer.concat([u16(md.length), md, u16(key.length), key, u32(vLen), u32(0), u32(relOffset), hVal]);
}
const u16 = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

describe('proofs over the vector store', () => {
  interface ProofVec {
    sourceTxId: number;
    targetTxId: number;
    inclusionProof: string[];
    consistencyProof: string[];
    lastInclusionProof: string[];
    targetBlTxAlh: string;
    linearProof: { terms: string[] };
  }
  it('dual proofs, v2 and the linear proof equal the vectors', async () => {
    const v = readVector<{ dualProofs: ProofVec[]; dualProofsV2: ProofVec[]; linearProof_3_7: { terms: string[] } }>(
      'vectors/store_txs_and_dualproofs.json',
    );
    const store = await writeVectorStore(tempDir());
    const hexes = (b: readonly Buffer[]): string[] => b.map((x) => x.toString('hex'));
    for (const d of v.dualProofs) {
      const p = await store.dualProof(d.sourceTxId, d.targetTxId);
      expect(hexes(p.inclusionProof)).toEqual(d.inclusionProof);
      expect(hexes(p.consistencyProof)).toEqual(d.consistencyProof);
      expect(hexes(p.lastInclusionProof)).toEqual(d.lastInclusionProof);
      expect(p.targetBlTxAlh.toString('hex')).toBe(d.targetBlTxAlh);
      expect(hexes(p.linearProof.terms)).toEqual(d.linearProof.terms);
    }
    for (const d of v.dualProofsV2) {
      const p = await store.dualProofV2(d.sourceTxId, d.targetTxId);
      expect(hexes(p.inclusionProof)).toEqual(d.inclusionProof);
      expect(hexes(p.consistencyProof)).toEqual(d.consistencyProof);
    }
    expect(hexes((await store.linearProof(3, 7)).terms)).toEqual(v.linearProof_3_7.terms);
    await store.close();
  });
});
