// Whole-history vectors: the 12 txs of store_txs_and_dualproofs.json and immudb's own test data
// (repo_data_v1.1.0_defaultdb.json: header v0; repo_data_long_linear_proof.json: lagging BlTxID with
// LinearAdvanceProofs). Per tx: Alh chain, Eh, entry digests and inclusion proofs, export bytes. Then an
// in-memory history regenerates every DualProof (v1, v2) and LinearProof byte for byte, verifies them,
// and checks that every mutated copy fails.
import { describe, expect, it } from 'vitest';
import { u32 } from '../common/bytes.js';
import { buildDualProof, buildDualProofV2, verifyDualProof, verifyDualProofV2, type DualProof, type DualProofV2 } from './dual-proof.js';
import { entryDigestFor } from './entry-digest.js';
import { EMPTY_HASH, sha256 } from './hash.js';
import { htreeInclusionProof, htreeRoot, verifyEntryInclusion } from './htree.js';
import { buildLinearProof, verifyLinearProof, type LinearAdvanceProof, type LinearProof } from './linear-proof.js';
import { encodeKvMetadata, decodeKvMetadata } from './metadata.js';
import { MemoryProofHistory } from './memory-history.js';
import {
  dualProofFromVector,
  dualProofV2FromVector,
  headerFromVector,
  hexBuf,
  inclusionProofFromVector,
  linearProofFromVector,
  loadTestdataVector,
  loadVector,
  type DualProofVector,
  type DualProofV2Vector,
  type StoreVectors,
} from './test-vectors.js';
import { decodeTxHeaderExport, encodeTxHeaderExport, innerHash, innerPreimage, txAlh, type TxHeader } from './tx-header.js';

const flip = (b: Uint8Array, at = 0): Buffer => {
  const c = Buffer.from(b);
  c[at] = (c[at] as number) ^ 0x01;
  return c;
};
const hexOf = (xs: readonly Buffer[]): string[] => xs.map((x) => x.toString('hex'));

// ---- comparable (hex) forms ----

function linearHex(p: LinearProof): object {
  return { sourceTxId: p.sourceTxId, targetTxId: p.targetTxId, terms: hexOf(p.terms) };
}

function dualHex(p: DualProof): object {
  const lap = p.linearAdvanceProof;
  return {
    sourceTxHeader: encodeTxHeaderExport(p.sourceTxHeader).toString('hex'),
    targetTxHeader: encodeTxHeaderExport(p.targetTxHeader).toString('hex'),
    inclusionProof: hexOf(p.inclusionProof),
    consistencyProof: hexOf(p.consistencyProof),
    targetBlTxAlh: p.targetBlTxAlh.toString('hex'),
    lastInclusionProof: hexOf(p.lastInclusionProof),
    linearProof: linearHex(p.linearProof),
    linearAdvanceProof:
      lap === undefined ? null : { linearProofTerms: hexOf(lap.linearProofTerms), inclusionProofs: lap.inclusionProofs.map(hexOf) },
  };
}

function dualVectorHex(v: DualProofVector): object {
  return {
    sourceTxHeader: v.sourceTxHeader.headerBytes_export,
    targetTxHeader: v.targetTxHeader.headerBytes_export,
    inclusionProof: v.inclusionProof,
    consistencyProof: v.consistencyProof,
    targetBlTxAlh: v.targetBlTxAlh,
    lastInclusionProof: v.lastInclusionProof,
    linearProof: { sourceTxId: v.linearProof.sourceTxId, targetTxId: v.linearProof.targetTxId, terms: v.linearProof.terms },
    linearAdvanceProof: v.linearAdvanceProof,
  };
}

// ---- mutations ----

/** Corrupt each term, drop the first / last term, and append one (non-empty lists only: those are the ones verified). */
function listMutants(xs: readonly Buffer[]): Buffer[][] {
  if (xs.length === 0) return [];
  const out = xs.map((_, k) => xs.map((x, i) => (i === k ? flip(x) : x)));
  out.push(xs.slice(1), xs.slice(0, -1), [...xs, Buffer.alloc(32)]);
  return out;
}

function headerMutants(h: TxHeader): [string, TxHeader][] {
  return [
    ['id+1', { ...h, id: h.id + 1 }],
    ['ts+1', { ...h, ts: h.ts + 1 }],
    ['blTxId+1', { ...h, blTxId: h.blTxId + 1 }],
    ['blRoot', { ...h, blRoot: flip(h.blRoot) }],
    ['prevAlh', { ...h, prevAlh: flip(h.prevAlh) }],
    ['eh', { ...h, eh: flip(h.eh) }],
    ['nEntries+1', { ...h, nEntries: h.nEntries + 1 }],
    ['version', { ...h, version: h.version === 0 ? 1 : 0 }],
    ['metadata', { ...h, metadata: { extra: Buffer.from('zz') } }],
  ];
}

function dualMutants(p: DualProof): [string, DualProof][] {
  const out: [string, DualProof][] = [];
  for (const [n, h] of headerMutants(p.sourceTxHeader)) out.push([`sourceTxHeader.${n}`, { ...p, sourceTxHeader: h }]);
  for (const [n, h] of headerMutants(p.targetTxHeader)) out.push([`targetTxHeader.${n}`, { ...p, targetTxHeader: h }]);
  for (const field of ['inclusionProof', 'consistencyProof', 'lastInclusionProof'] as const) {
    listMutants(p[field]).forEach((m, k) => out.push([`${field}#${k}`, { ...p, [field]: m }]));
  }
  if (p.targetTxHeader.blTxId > 0) out.push(['targetBlTxAlh', { ...p, targetBlTxAlh: flip(p.targetBlTxAlh) }]);
  const lp = p.linearProof;
  listMutants([...lp.terms]).forEach((m, k) => out.push([`linearProof.terms#${k}`, { ...p, linearProof: { ...lp, terms: m } }]));
  out.push(['linearProof.sourceTxId+1', { ...p, linearProof: { ...lp, sourceTxId: lp.sourceTxId + 1 } }]);
  out.push(['linearProof.sourceTxId-1', { ...p, linearProof: { ...lp, sourceTxId: lp.sourceTxId - 1 } }]);
  out.push(['linearProof.targetTxId+1', { ...p, linearProof: { ...lp, targetTxId: lp.targetTxId + 1 } }]);
  const lap = p.linearAdvanceProof;
  if (lap !== undefined) {
    out.push(['linearAdvanceProof=undefined', { ...p, linearAdvanceProof: undefined }]);
    const withLap = (l: LinearAdvanceProof): DualProof => ({ ...p, linearAdvanceProof: l });
    listMutants([...lap.linearProofTerms]).forEach((m, k) =>
      out.push([`linearAdvanceProof.linearProofTerms#${k}`, withLap({ ...lap, linearProofTerms: m })]),
    );
    lap.inclusionProofs.forEach((ip, x) => {
      listMutants([...ip]).forEach((m, k) =>
        out.push([
          `linearAdvanceProof.inclusionProofs[${x}]#${k}`,
          withLap({ ...lap, inclusionProofs: lap.inclusionProofs.map((q, i) => (i === x ? m : q)) }),
        ]),
      );
    });
    out.push(['linearAdvanceProof.inclusionProofs dropped', withLap({ ...lap, inclusionProofs: lap.inclusionProofs.slice(1) })]);
  }
  return out;
}

function dualV2Mutants(p: DualProofV2): [string, DualProofV2][] {
  const out: [string, DualProofV2][] = [];
  for (const [n, h] of headerMutants(p.sourceTxHeader)) out.push([`sourceTxHeader.${n}`, { ...p, sourceTxHeader: h }]);
  for (const [n, h] of headerMutants(p.targetTxHeader)) out.push([`targetTxHeader.${n}`, { ...p, targetTxHeader: h }]);
  for (const field of ['inclusionProof', 'consistencyProof'] as const) {
    listMutants(p[field]).forEach((m, k) => out.push([`${field}#${k}`, { ...p, [field]: m }]));
  }
  return out;
}

// ---- the three vector files ----

interface Case {
  readonly label: string;
  readonly data: StoreVectors;
  readonly txCount: number;
  readonly dualProofCount: number;
}

const cases: readonly Case[] = [
  { label: 'store_txs_and_dualproofs.json', data: loadVector<StoreVectors>('store_txs_and_dualproofs.json'), txCount: 12, dualProofCount: 8 },
  { label: 'repo_data_v1.1.0_defaultdb.json', data: loadTestdataVector<StoreVectors>('repo_data_v1.1.0_defaultdb.json'), txCount: 4, dualProofCount: 3 },
  { label: 'repo_data_long_linear_proof.json', data: loadTestdataVector<StoreVectors>('repo_data_long_linear_proof.json'), txCount: 30, dualProofCount: 6 },
];

for (const c of cases) {
  describe(c.label, () => {
    const headers = c.data.txs.map(headerFromVector);
    const history = new MemoryProofHistory();
    for (const h of headers) history.append(h);
    const alhOf = (id: number): Buffer => hexBuf(c.data.txs[id - 1]?.alh as string);

    it(`has ${c.txCount} txs and ${c.dualProofCount} dual proofs`, () => {
      expect(c.data.txs.map((t) => t.id)).toEqual(Array.from({ length: c.txCount }, (_, k) => k + 1));
      expect(c.data.dualProofs).toHaveLength(c.dualProofCount);
    });

    it('the history chains (prevAlh, BlRoot = root(BlTxID)) and ends at the committed state', () => {
      expect(history.size).toBe(c.txCount);
      expect(headers[0]?.prevAlh.equals(EMPTY_HASH)).toBe(true);
      expect(c.data.committedState.txId).toBe(c.txCount);
      expect(history.lastAlh.toString('hex')).toBe(c.data.committedState.alh);
      for (const h of headers) {
        if (h.blTxId === 0) expect(h.blRoot.equals(Buffer.alloc(32))).toBe(true);
        else expect(history.aht.mth(0, h.blTxId).equals(h.blRoot)).toBe(true);
      }
    });

    for (const tx of c.data.txs) {
      it(`tx ${tx.id}: header hashes, export bytes, entries, Eh`, () => {
        const h = headerFromVector(tx);
        expect(innerPreimage(h).toString('hex')).toBe(tx.innerPreimage);
        expect(innerHash(h).toString('hex')).toBe(tx.innerHash);
        expect(txAlh(h).toString('hex')).toBe(tx.alh);
        if (tx.id > 1) expect(tx.prevAlh).toBe(c.data.txs[tx.id - 2]?.alh);
        const exp = encodeTxHeaderExport(h);
        expect(exp.toString('hex')).toBe(tx.headerBytes_export);
        expect(decodeTxHeaderExport(exp)).toEqual(h);
        const exportTx = hexBuf(tx.exportTx);
        expect(exportTx.subarray(0, 4).equals(u32(exp.length))).toBe(true);
        expect(exportTx.subarray(4, 4 + exp.length).equals(exp)).toBe(true);

        expect(tx.entries).toHaveLength(tx.nentries);
        const digestFn = entryDigestFor(h.version);
        const digests = tx.entries.map((e, k) => {
          expect(e.index).toBe(k);
          const value = hexBuf(e.value);
          expect(value.length).toBe(e.vLen);
          const hVal = sha256(value);
          expect(hVal.toString('hex')).toBe(e.hValue);
          const md = hexBuf(e.md);
          expect(encodeKvMetadata(decodeKvMetadata(md)).equals(md)).toBe(true);
          const d = digestFn(hexBuf(e.key), md, hVal);
          expect(d.toString('hex')).toBe(e.digest);
          return d;
        });
        const eh = htreeRoot(digests);
        expect(eh.toString('hex')).toBe(tx.eH);
        for (const e of tx.entries) {
          const gen = htreeInclusionProof(digests, e.index);
          expect({ leaf: gen.leaf, width: gen.width, terms: hexOf(gen.terms) }).toEqual(e.inclusionProof);
          const proof = inclusionProofFromVector(e.inclusionProof);
          const d = digests[e.index] as Buffer;
          expect(verifyEntryInclusion(proof, d, eh)).toBe(e.inclusionVerifies);
          expect(e.inclusionVerifies).toBe(true);
          expect(verifyEntryInclusion(proof, flip(d), eh)).toBe(false);
          for (const m of listMutants([...proof.terms])) expect(verifyEntryInclusion({ ...proof, terms: m }, d, eh)).toBe(false);
        }
      });
    }

    describe('DualProof v1', () => {
      for (const v of c.data.dualProofs) {
        const s = v.sourceTxId;
        const t = v.targetTxId;
        it(`${s} -> ${t}: regenerated byte for byte, verifies, every mutation fails`, async () => {
          expect(v.sourceAlh).toBe(alhOf(s).toString('hex'));
          expect(v.targetAlh).toBe(alhOf(t).toString('hex'));
          const sAlh = hexBuf(v.sourceAlh);
          const tAlh = hexBuf(v.targetAlh);

          const gen = await buildDualProof(history, await history.txHeader(s), await history.txHeader(t));
          expect(dualHex(gen)).toEqual(dualVectorHex(v));

          const fromVector = dualProofFromVector(v);
          expect(v.verifies).toBe(true);
          expect(verifyDualProof(fromVector, s, t, sAlh, tAlh)).toBe(true);
          expect(verifyDualProof(gen, s, t, sAlh, tAlh)).toBe(true);
          expect(verifyDualProof(fromVector, s, t, sAlh, flip(tAlh))).toBe(v.verifiesWithTamperedTargetAlh);
          expect(v.verifiesWithTamperedTargetAlh).toBe(false);
          expect(verifyDualProof(fromVector, s, t, flip(sAlh), tAlh)).toBe(false);
          expect(verifyDualProof(fromVector, s + 1, t, sAlh, tAlh)).toBe(false);
          expect(verifyDualProof(fromVector, s, t + 1, sAlh, tAlh)).toBe(false);
          expect(verifyDualProof(fromVector, 0, t, sAlh, tAlh)).toBe(false);

          const mutants = dualMutants(gen);
          expect(mutants.length).toBeGreaterThan(20);
          const survivors = mutants.filter(([, m]) => verifyDualProof(m, s, t, sAlh, tAlh)).map(([n]) => n);
          expect(survivors).toEqual([]);
        });
      }
    });

    if (c.data.dualProofsV2 !== undefined) {
      const v2s: readonly DualProofV2Vector[] = c.data.dualProofsV2;
      describe('DualProofV2', () => {
        it('has 5 of them', () => expect(v2s).toHaveLength(5));
        for (const v of v2s) {
          const s = v.sourceTxId;
          const t = v.targetTxId;
          it(`${s} -> ${t}: regenerated byte for byte, verifies, every mutation fails`, async () => {
            const sAlh = hexBuf(v.sourceAlh);
            const tAlh = hexBuf(v.targetAlh);
            expect(sAlh.equals(alhOf(s))).toBe(true);
            expect(tAlh.equals(alhOf(t))).toBe(true);
            const gen = await buildDualProofV2(history, await history.txHeader(s), await history.txHeader(t));
            expect(encodeTxHeaderExport(gen.sourceTxHeader).toString('hex')).toBe(v.sourceTxHeader.headerBytes_export);
            expect(encodeTxHeaderExport(gen.targetTxHeader).toString('hex')).toBe(v.targetTxHeader.headerBytes_export);
            expect(hexOf(gen.inclusionProof)).toEqual(v.inclusionProof);
            expect(hexOf(gen.consistencyProof)).toEqual(v.consistencyProof);

            expect(v.verifies).toBe(true);
            expect(verifyDualProofV2(dualProofV2FromVector(v), s, t, sAlh, tAlh)).toBe(true);
            expect(verifyDualProofV2(gen, s, t, sAlh, tAlh)).toBe(true);
            expect(verifyDualProofV2(gen, s, t, sAlh, flip(tAlh))).toBe(false);
            expect(verifyDualProofV2(gen, s, t, flip(sAlh), tAlh)).toBe(false);
            expect(verifyDualProofV2(gen, 0, t, sAlh, tAlh)).toBe(false);
            const survivors = dualV2Mutants(gen).filter(([, m]) => verifyDualProofV2(m, s, t, sAlh, tAlh)).map(([n]) => n);
            expect(survivors).toEqual([]);
          });
        }
      });
    }

    const lp37 = c.data.linearProof_3_7;
    if (lp37 !== undefined) {
      it('LinearProof 3 -> 7: regenerated byte for byte, verifies, every mutation fails', async () => {
        const gen = await buildLinearProof(history, 3, 7);
        expect(linearHex(gen)).toEqual({ sourceTxId: lp37.sourceTxId, targetTxId: lp37.targetTxId, terms: lp37.terms });
        const a3 = alhOf(3);
        const a7 = alhOf(7);
        expect(lp37.verifies).toBe(true);
        expect(verifyLinearProof(linearProofFromVector(lp37), 3, 7, a3, a7)).toBe(true);
        expect(verifyLinearProof(gen, 3, 7, a3, flip(a7))).toBe(false);
        expect(verifyLinearProof(gen, 3, 7, flip(a3), a7)).toBe(false);
        expect(verifyLinearProof(gen, 2, 7, a3, a7)).toBe(false);
        expect(verifyLinearProof(gen, 3, 8, a3, a7)).toBe(false);
        for (const m of listMutants([...gen.terms])) expect(verifyLinearProof({ ...gen, terms: m }, 3, 7, a3, a7)).toBe(false);
      });
    }
  });
}

describe('repo_data_long_linear_proof.json specifics', () => {
  const data = cases[2]?.data as StoreVectors;

  it('txs 11..20 lag with BlTxID = 10; the others are fully linked', () => {
    for (const t of data.txs) expect(t.blTxId).toBe(t.id >= 11 && t.id <= 20 ? 10 : t.id - 1);
  });

  it('exactly 12 -> 25 and 15 -> 30 carry a LinearAdvanceProof', () => {
    const withLap = data.dualProofs.filter((p) => p.linearAdvanceProof !== null).map((p) => [p.sourceTxId, p.targetTxId]);
    expect(withLap).toEqual([
      [12, 25],
      [15, 30],
    ]);
  });

  it('DualProofV2 refuses lagging headers', async () => {
    const history = new MemoryProofHistory();
    for (const t of data.txs) history.append(headerFromVector(t));
    await expect(buildDualProofV2(history, await history.txHeader(12), await history.txHeader(25))).rejects.toThrow();
  });
});

describe('repo_data_v1.1.0_defaultdb.json specifics', () => {
  it('every header is version 0', () => {
    for (const t of (cases[1]?.data as StoreVectors).txs) expect(t.version).toBe(0);
  });
});
