// Verifiers face untrusted input: they must return false, never throw, on malformed proofs (missing
// fields, wrong lengths, NaN or negative ids, wrong types). Also checks MemoryProofHistory's chain checks
// and the argument checks of proof generation.
import { describe, expect, it } from 'vitest';
import { isImmuError } from '../common/errors.js';
import { buildDualProof, buildDualProofV2, verifyDualProof, verifyDualProofV2, type DualProof, type DualProofV2 } from './dual-proof.js';
import {
  buildLinearAdvanceProof,
  buildLinearProof,
  verifyLinearAdvanceProof,
  verifyLinearProof,
  type LinearAdvanceProof,
  type LinearProof,
} from './linear-proof.js';
import { MemoryProofHistory } from './memory-history.js';
import {
  dualProofFromVector,
  dualProofV2FromVector,
  headerFromVector,
  hexBuf,
  loadTestdataVector,
  loadVector,
  type StoreVectors,
} from './test-vectors.js';
import type { TxHeader } from './tx-header.js';

const store = loadVector<StoreVectors>('store_txs_and_dualproofs.json');
const longLinear = loadTestdataVector<StoreVectors>('repo_data_long_linear_proof.json');

const JUNK: readonly unknown[] = [undefined, null, 0, NaN, 'abc', {}, [], [1], [undefined], [Buffer.alloc(31)], [Buffer.alloc(33)], Buffer.alloc(32)];
const BAD_IDS: readonly number[] = [NaN, -1, 1.5, Infinity, -Infinity, 2 ** 53, Number.MAX_VALUE];

/** Replace one (possibly nested) field of a plain object. */
function withField<T extends object>(o: T, path: readonly string[], value: unknown): T {
  const [head, ...rest] = path as [string, ...string[]];
  const inner = (o as Record<string, unknown>)[head];
  const next = rest.length === 0 ? value : withField((inner ?? {}) as object, rest, value);
  return { ...o, [head]: next } as T;
}

function noThrowFalse(name: string, f: () => boolean): void {
  let r: boolean | string;
  try {
    r = f();
  } catch (err) {
    r = `threw ${String(err)}`;
  }
  expect(r, name).toBe(false);
}

describe('verifyDualProof is total', () => {
  const v = longLinear.dualProofs.find((p) => p.sourceTxId === 12 && p.targetTxId === 25);
  if (v === undefined) throw new Error('vector 12 -> 25 missing');
  const p = dualProofFromVector(v);
  const s = v.sourceTxId;
  const t = v.targetTxId;
  const sAlh = hexBuf(v.sourceAlh);
  const tAlh = hexBuf(v.targetAlh);

  it('the base proof verifies', () => expect(verifyDualProof(p, s, t, sAlh, tAlh)).toBe(true));

  const fields: readonly (readonly string[])[] = [
    ['sourceTxHeader'],
    ['targetTxHeader'],
    ...['id', 'ts', 'blTxId', 'blRoot', 'prevAlh', 'version', 'nEntries', 'eh'].flatMap((f) => [
      ['sourceTxHeader', f],
      ['targetTxHeader', f],
    ]),
    ['inclusionProof'],
    ['consistencyProof'],
    ['targetBlTxAlh'],
    ['lastInclusionProof'],
    ['linearProof'],
    ['linearProof', 'sourceTxId'],
    ['linearProof', 'targetTxId'],
    ['linearProof', 'terms'],
    ['linearAdvanceProof'],
    ['linearAdvanceProof', 'linearProofTerms'],
    ['linearAdvanceProof', 'inclusionProofs'],
  ];

  it('every field replaced by junk gives false (never a throw)', () => {
    let checked = 0;
    for (const f of fields) {
      for (const j of JUNK) {
        const m = withField(p, f, j);
        noThrowFalse(`${f.join('.')} = ${String(j)}`, () => verifyDualProof(m, s, t, sAlh, tAlh));
        checked++;
      }
    }
    expect(checked).toBe(fields.length * JUNK.length);
  });

  it('header metadata: junk gives false; absent and empty are the same (nil == empty, as in immudb)', () => {
    for (const side of ['sourceTxHeader', 'targetTxHeader']) {
      for (const j of [null, 0, NaN, 'abc', [], [1], true]) {
        noThrowFalse(`${side}.metadata = ${String(j)}`, () => verifyDualProof(withField(p, [side, 'metadata'], j), s, t, sAlh, tAlh));
      }
      for (const same of [undefined, {}]) expect(verifyDualProof(withField(p, [side, 'metadata'], same), s, t, sAlh, tAlh)).toBe(true);
    }
  });

  it('metadata junk of the right shape gives false', () => {
    for (const md of [{ truncatedUptoTx: NaN }, { extra: Buffer.alloc(300) }, { truncatedUptoTx: -1 }]) {
      noThrowFalse(JSON.stringify(md), () => verifyDualProof(withField(p, ['targetTxHeader', 'metadata'], md), s, t, sAlh, tAlh));
    }
  });

  it('bad ids and alhs give false', () => {
    for (const x of BAD_IDS) {
      noThrowFalse(`source ${x}`, () => verifyDualProof(p, x, t, sAlh, tAlh));
      noThrowFalse(`target ${x}`, () => verifyDualProof(p, s, x, sAlh, tAlh));
    }
    for (const j of JUNK.filter((x) => !(x instanceof Uint8Array && x.length === 32))) {
      noThrowFalse(`sourceAlh ${String(j)}`, () => verifyDualProof(p, s, t, j as Uint8Array, tAlh));
      noThrowFalse(`targetAlh ${String(j)}`, () => verifyDualProof(p, s, t, sAlh, j as Uint8Array));
    }
    for (const whole of [undefined, null, {}, [], 'x']) noThrowFalse(`proof ${String(whole)}`, () => verifyDualProof(whole as unknown as DualProof, s, t, sAlh, tAlh));
  });
});

describe('verifyDualProofV2, verifyLinearProof, verifyLinearAdvanceProof are total', () => {
  const v2 = store.dualProofsV2?.find((p) => p.sourceTxId === 3 && p.targetTxId === 9);
  if (v2 === undefined) throw new Error('vector v2 3 -> 9 missing');
  const p2 = dualProofV2FromVector(v2);
  const a = hexBuf(v2.sourceAlh);
  const b = hexBuf(v2.targetAlh);

  it('DualProofV2', () => {
    expect(verifyDualProofV2(p2, 3, 9, a, b)).toBe(true);
    for (const f of [['sourceTxHeader'], ['targetTxHeader'], ['inclusionProof'], ['consistencyProof'], ['sourceTxHeader', 'blRoot'], ['targetTxHeader', 'nEntries']]) {
      for (const j of JUNK) noThrowFalse(`${f.join('.')} = ${String(j)}`, () => verifyDualProofV2(withField(p2, f, j), 3, 9, a, b));
    }
    for (const x of BAD_IDS) noThrowFalse(`id ${x}`, () => verifyDualProofV2(p2, x, 9, a, b));
    for (const whole of [undefined, null, {}]) noThrowFalse(String(whole), () => verifyDualProofV2(whole as unknown as DualProofV2, 3, 9, a, b));
  });

  it('LinearProof', () => {
    const lp37 = store.linearProof_3_7;
    if (lp37 === undefined) throw new Error('linearProof_3_7 missing');
    const lp: LinearProof = { sourceTxId: 3, targetTxId: 7, terms: lp37.terms.map((x) => hexBuf(x)) };
    const a3 = hexBuf(store.txs[2]?.alh as string);
    const a7 = hexBuf(store.txs[6]?.alh as string);
    expect(verifyLinearProof(lp, 3, 7, a3, a7)).toBe(true);
    for (const f of ['sourceTxId', 'targetTxId', 'terms']) {
      for (const j of JUNK) noThrowFalse(`${f} = ${String(j)}`, () => verifyLinearProof(withField(lp, [f], j), 3, 7, a3, a7));
    }
    for (const x of BAD_IDS) {
      noThrowFalse(`source ${x}`, () => verifyLinearProof({ ...lp, sourceTxId: x }, x, 7, a3, a7));
      noThrowFalse(`target ${x}`, () => verifyLinearProof({ ...lp, targetTxId: x }, 3, x, a3, a7));
    }
    for (const whole of [undefined, null, {}]) noThrowFalse(String(whole), () => verifyLinearProof(whole as unknown as LinearProof, 3, 7, a3, a7));
    // the chain must start at the source: s = 0 and s > t are refused
    noThrowFalse('s = 0', () => verifyLinearProof({ sourceTxId: 0, targetTxId: 0, terms: [a3] }, 0, 0, a3, a3));
    noThrowFalse('s > t', () => verifyLinearProof({ sourceTxId: 7, targetTxId: 3, terms: [a7] }, 7, 3, a7, a3));
  });

  it('LinearAdvanceProof', () => {
    const v = longLinear.dualProofs.find((p) => p.linearAdvanceProof !== null);
    if (v === undefined || v.linearAdvanceProof === null) throw new Error('no LAP vector');
    const dp = dualProofFromVector(v);
    const lap = dp.linearAdvanceProof as LinearAdvanceProof;
    const S = dp.sourceTxHeader;
    const T = dp.targetTxHeader;
    const sAlh = hexBuf(v.sourceAlh);
    const args = [S.blTxId, v.sourceTxId, sAlh, T.blRoot, T.blTxId] as const;
    expect(verifyLinearAdvanceProof(lap, ...args)).toBe(true);
    for (const f of ['linearProofTerms', 'inclusionProofs']) {
      for (const j of JUNK) noThrowFalse(`${f} = ${String(j)}`, () => verifyLinearAdvanceProof(withField(lap, [f], j), ...args));
    }
    noThrowFalse('inclusionProofs[0] junk', () => verifyLinearAdvanceProof({ ...lap, inclusionProofs: [[Buffer.alloc(5)]] }, ...args));
    for (const whole of [undefined, null, {}]) noThrowFalse(String(whole), () => verifyLinearAdvanceProof(whole as unknown as LinearAdvanceProof, ...args));
    for (const x of BAD_IDS) {
      noThrowFalse(`start ${x}`, () => verifyLinearAdvanceProof(lap, x, v.sourceTxId, sAlh, T.blRoot, T.blTxId));
      noThrowFalse(`end ${x}`, () => verifyLinearAdvanceProof(lap, S.blTxId, x, sAlh, T.blRoot, T.blTxId));
      noThrowFalse(`treeSize ${x}`, () => verifyLinearAdvanceProof(lap, S.blTxId, v.sourceTxId, sAlh, T.blRoot, x));
    }
    noThrowFalse('end < start', () => verifyLinearAdvanceProof(undefined, 5, 4, sAlh, T.blRoot, T.blTxId));
    // nothing to prove: a missing LAP is fine
    expect(verifyLinearAdvanceProof(undefined, 5, 6, sAlh, T.blRoot, T.blTxId)).toBe(true);
    expect(verifyLinearAdvanceProof(undefined, 5, 5, sAlh, T.blRoot, T.blTxId)).toBe(true);
  });
});

describe('proof generation argument checks and MemoryProofHistory', () => {
  const headers = store.txs.map(headerFromVector);
  const h = new MemoryProofHistory();
  for (const x of headers) h.append(x);
  const hdr = (id: number): TxHeader => headers[id - 1] as TxHeader;

  async function illegal(p: Promise<unknown>): Promise<void> {
    let caught: unknown;
    try {
      await p;
    } catch (err) {
      caught = err;
    }
    expect(isImmuError(caught, 'ILLEGAL_ARGUMENTS'), String(caught)).toBe(true);
  }

  it('refuses source newer than target and bad ranges', async () => {
    await illegal(buildDualProof(h, hdr(5), hdr(4)));
    await illegal(buildDualProofV2(h, hdr(5), hdr(4)));
    await illegal(buildLinearProof(h, 5, 4));
    await illegal(buildLinearProof(h, 0, 4));
    await illegal(buildLinearProof(h, NaN, 4));
    await illegal(buildLinearAdvanceProof(h, -1, 4, 4));
    expect(await buildLinearAdvanceProof(h, 3, 4, 10)).toBeUndefined();
  });

  it('generates proofs between any pair that verify', async () => {
    for (let s = 1; s <= 12; s++) {
      for (let t = s; t <= 12; t++) {
        const sAlh = hexBuf(store.txs[s - 1]?.alh as string);
        const tAlh = hexBuf(store.txs[t - 1]?.alh as string);
        expect(verifyDualProof(await buildDualProof(h, hdr(s), hdr(t)), s, t, sAlh, tAlh), `${s}->${t}`).toBe(true);
        expect(verifyDualProofV2(await buildDualProofV2(h, hdr(s), hdr(t)), s, t, sAlh, tAlh), `v2 ${s}->${t}`).toBe(true);
      }
    }
  });

  it('generates proofs between any pair of the lagging history that verify', async () => {
    const lh = new MemoryProofHistory();
    const lhs = longLinear.txs.map(headerFromVector);
    for (const x of lhs) lh.append(x);
    let withLap = 0;
    for (let s = 1; s <= 30; s++) {
      for (let t = s; t <= 30; t++) {
        const S = lhs[s - 1] as TxHeader;
        const T = lhs[t - 1] as TxHeader;
        if (S.blTxId > T.blTxId) continue;
        const dp = await buildDualProof(lh, S, T);
        if (dp.linearAdvanceProof !== undefined) withLap++;
        const sAlh = hexBuf(longLinear.txs[s - 1]?.alh as string);
        const tAlh = hexBuf(longLinear.txs[t - 1]?.alh as string);
        expect(verifyDualProof(dp, s, t, sAlh, tAlh), `${s}->${t}`).toBe(true);
        expect(verifyDualProof(dp, s, t, sAlh, hexBuf(longLinear.txs[t - 2]?.alh ?? store.txs[0]?.alh as string)), `${s}->${t} wrong target`).toBe(false);
      }
    }
    expect(withLap).toBeGreaterThan(0);
  });

  it('MemoryProofHistory refuses a tx that does not chain', async () => {
    const fresh = new MemoryProofHistory();
    const corrupt = (f: () => void): void => {
      let caught: unknown;
      try {
        f();
      } catch (err) {
        caught = err;
      }
      expect(isImmuError(caught, 'CORRUPTED_DATA'), String(caught)).toBe(true);
    };
    corrupt(() => fresh.append(hdr(2)));
    fresh.append(hdr(1));
    corrupt(() => fresh.append({ ...hdr(2), prevAlh: Buffer.alloc(32) }));
    corrupt(() => fresh.append({ ...hdr(2), blRoot: Buffer.alloc(32) }));
    corrupt(() => fresh.append({ ...hdr(2), blTxId: 2 }));
    fresh.append(hdr(2));
    expect(fresh.size).toBe(2);
    await expect(fresh.txHeader(3)).rejects.toThrow();
    await expect(fresh.txHeader(0)).rejects.toThrow();
  });
});
