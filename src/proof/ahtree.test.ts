// The accumulated hash tree against ahtree.json (leaf hashes, roots at every size, every inclusion and
// consistency proof regenerated, verified, mutated), plus exhaustive cross-checks against a naive MTH.
import { describe, expect, it } from 'vitest';
import { u64 } from '../common/bytes.js';
import {
  ahtConsistencyProof,
  ahtInclusionProof,
  ahtLastInclusionProof,
  MemoryAhtree,
  verifyAhtConsistency,
  verifyAhtInclusion,
  verifyAhtLastInclusion,
  type MerkleNodeSource,
} from './ahtree.js';
import { leafHash, nodeHash, sha256, splitPoint } from './hash.js';
import { hexBuf, hexList, loadVector } from './test-vectors.js';

interface AhtreeVectors {
  readonly leaves: readonly { i: number; data: string; leafHash: string; rootAt_i: string }[];
  readonly inclusionProofs: readonly {
    i: number;
    j: number;
    proof: readonly string[];
    verifiesInclusion: boolean;
    verifiesLastInclusion_if_i_eq_j: boolean;
  }[];
  readonly consistencyProofs: readonly { i: number; j: number; iRoot: string; jRoot: string; proof: readonly string[]; verifies: boolean }[];
}

const v = loadVector<AhtreeVectors>('ahtree.json');
const hexOf = (xs: readonly Buffer[]): string[] => xs.map((x) => x.toString('hex'));
const flip = (b: Uint8Array, at = 0): Buffer => {
  const c = Buffer.from(b);
  c[at] = (c[at] as number) ^ 0x80;
  return c;
};
/** Every single-term corruption, every truncation by one, and one extension of a proof. */
function mutants(proof: readonly Buffer[]): Buffer[][] {
  const out: Buffer[][] = proof.map((_, k) => proof.map((x, i) => (i === k ? flip(x) : x)));
  if (proof.length > 0) out.push(proof.slice(1), proof.slice(0, -1));
  if (proof.length > 1) out.push([...proof].reverse());
  return out;
}

function buildTree(n: number): MemoryAhtree {
  const t = new MemoryAhtree();
  for (let i = 1; i <= n; i++) t.append(sha256(u64(i)));
  return t;
}

/** Reference MTH straight from RFC 6962, recomputed from the leaves every time. */
function naiveMth(leaves: readonly Buffer[], lo: number, hi: number): Buffer {
  if (hi - lo === 1) return leaves[lo] as Buffer;
  const k = splitPoint(hi - lo);
  return nodeHash(naiveMth(leaves, lo, lo + k), naiveMth(leaves, lo + k, hi));
}

const tree = buildTree(16);
const leafOf = (i: number): Buffer => hexBuf(v.leaves[i - 1]?.leafHash as string);
const rootOf = (i: number): Buffer => hexBuf(v.leaves[i - 1]?.rootAt_i as string);

describe('ahtree leaves and roots (ahtree.json)', () => {
  it('has 16 leaves', () => expect(v.leaves.map((l) => l.i)).toEqual(Array.from({ length: 16 }, (_, k) => k + 1)));

  for (const l of v.leaves) {
    it(`leaf ${l.i}: data, leaf hash, root at size ${l.i}`, () => {
      expect(sha256(u64(l.i)).toString('hex')).toBe(l.data);
      expect(leafHash(hexBuf(l.data)).toString('hex')).toBe(l.leafHash);
      expect(tree.mth(l.i - 1, l.i).toString('hex')).toBe(l.leafHash);
      expect(tree.root(l.i).toString('hex')).toBe(l.rootAt_i);
      const grown = buildTree(l.i);
      expect(grown.size).toBe(l.i);
      expect(grown.root().toString('hex')).toBe(l.rootAt_i);
    });
  }
});

describe('ahtree inclusion proofs (ahtree.json)', () => {
  it('has 51 of them', () => expect(v.inclusionProofs).toHaveLength(51));

  for (const p of v.inclusionProofs) {
    it(`inclusion ${p.i} in ${p.j}`, () => {
      const proof = hexList(p.proof);
      expect(hexOf(ahtInclusionProof(tree, p.i, p.j))).toEqual(p.proof);
      expect(verifyAhtInclusion(proof, p.i, p.j, leafOf(p.i), rootOf(p.j))).toBe(p.verifiesInclusion);
      expect(p.verifiesInclusion).toBe(true);
      // last-inclusion holds exactly when i == j
      expect(verifyAhtLastInclusion(proof, p.i, leafOf(p.i), rootOf(p.j))).toBe(p.verifiesLastInclusion_if_i_eq_j);
      expect(p.verifiesLastInclusion_if_i_eq_j).toBe(p.i === p.j);
      if (p.i === p.j) expect(hexOf(ahtLastInclusionProof(tree, p.i))).toEqual(p.proof);

      for (const m of mutants(proof)) expect(verifyAhtInclusion(m, p.i, p.j, leafOf(p.i), rootOf(p.j))).toBe(false);
      expect(verifyAhtInclusion(proof, p.i, p.j, flip(leafOf(p.i)), rootOf(p.j))).toBe(false);
      expect(verifyAhtInclusion(proof, p.i, p.j, leafOf(p.i), flip(rootOf(p.j), 31))).toBe(false);
      expect(verifyAhtInclusion(proof, 0, p.j, leafOf(p.i), rootOf(p.j))).toBe(false);
      expect(verifyAhtInclusion(proof, p.j + 1, p.j, leafOf(p.i), rootOf(p.j))).toBe(false);
      if (p.i === p.j) {
        for (const m of mutants(proof)) expect(verifyAhtLastInclusion(m, p.i, leafOf(p.i), rootOf(p.j))).toBe(false);
        expect(verifyAhtLastInclusion(proof, 0, leafOf(p.i), rootOf(p.j))).toBe(false);
      }
    });
  }
});

describe('ahtree consistency proofs (ahtree.json)', () => {
  it('has 51 of them', () => expect(v.consistencyProofs).toHaveLength(51));

  for (const p of v.consistencyProofs) {
    it(`consistency ${p.i} -> ${p.j}`, () => {
      const proof = hexList(p.proof);
      const iRoot = hexBuf(p.iRoot);
      const jRoot = hexBuf(p.jRoot);
      expect(p.iRoot).toBe(rootOf(p.i).toString('hex'));
      expect(p.jRoot).toBe(rootOf(p.j).toString('hex'));
      expect(hexOf(ahtConsistencyProof(tree, p.i, p.j))).toEqual(p.proof);
      expect(verifyAhtConsistency(proof, p.i, p.j, iRoot, jRoot)).toBe(p.verifies);
      expect(p.verifies).toBe(true);

      for (const m of mutants(proof)) expect(verifyAhtConsistency(m, p.i, p.j, iRoot, jRoot)).toBe(false);
      expect(verifyAhtConsistency(proof, p.i, p.j, flip(iRoot), jRoot)).toBe(false);
      expect(verifyAhtConsistency(proof, p.i, p.j, iRoot, flip(jRoot))).toBe(false);
      expect(verifyAhtConsistency(proof, 0, p.j, iRoot, jRoot)).toBe(false);
      expect(verifyAhtConsistency(proof, p.j + 1, p.j, iRoot, jRoot)).toBe(false);
    });
  }

  it('anchor: consistency 3 -> 7 from the spec', () => {
    const p = ahtConsistencyProof(tree, 3, 7);
    expect(p.map((x) => x.toString('hex').slice(0, 8))).toEqual(['7d243575', '1dd18a67', 'f19275f5', 'dba44368']);
  });
});

describe('MemoryAhtree against a naive RFC 6962 tree', () => {
  const n = 70;
  const t = buildTree(n);
  const leaves = Array.from({ length: n }, (_, k) => leafHash(sha256(u64(k + 1))));

  it('mth(lo, hi) for every range, aligned or not', () => {
    for (let lo = 0; lo < n; lo++) {
      for (let hi = lo + 1; hi <= n; hi++) expect(t.mth(lo, hi).equals(naiveMth(leaves, lo, hi))).toBe(true);
    }
  });

  it('every generated inclusion, last-inclusion and consistency proof verifies (sizes 1..70)', () => {
    for (let j = 1; j <= n; j++) {
      const jRoot = t.root(j);
      for (let i = 1; i <= j; i++) {
        expect(verifyAhtInclusion(ahtInclusionProof(t, i, j), i, j, leaves[i - 1] as Buffer, jRoot)).toBe(true);
        expect(verifyAhtConsistency(ahtConsistencyProof(t, i, j), i, j, t.root(i), jRoot)).toBe(true);
      }
      expect(verifyAhtLastInclusion(ahtLastInclusionProof(t, j), j, leaves[j - 1] as Buffer, jRoot)).toBe(true);
    }
  });

  it('a consistency proof does not prove a different old root', () => {
    for (let j = 2; j <= 20; j++) {
      for (let i = 1; i < j; i++) {
        const p = ahtConsistencyProof(t, i, j);
        expect(verifyAhtConsistency(p, i, j, t.root(i === 1 ? 2 : i - 1), t.root(j))).toBe(false);
      }
    }
  });

  it('proof generation only asks for aligned subtrees and right-edge ranges (see MerkleNodeSource)', () => {
    const pow2AtLeast = (w: number): number => {
      let p = 1;
      while (p < w) p *= 2;
      return p;
    };
    for (let j = 1; j <= 64; j++) {
      const asked: [number, number][] = [];
      const spy: MerkleNodeSource = {
        size: t.size,
        mth: (lo, hi) => {
          asked.push([lo, hi]);
          return t.mth(lo, hi);
        },
      };
      for (let i = 1; i <= j; i++) {
        ahtInclusionProof(spy, i, j);
        ahtConsistencyProof(spy, i, j);
      }
      for (const [lo, hi] of asked) {
        const w = hi - lo;
        const aligned = pow2AtLeast(w) === w && lo % w === 0;
        const rightEdge = hi === j && lo % pow2AtLeast(w) === 0;
        expect(aligned || rightEdge, `[${lo}, ${hi}) in size ${j}`).toBe(true);
      }
    }
  });

  it('returned hashes are copies: mutating them does not corrupt the tree', () => {
    const r = t.root(8);
    const before = Buffer.from(r);
    r.fill(0);
    expect(t.root(8).equals(before)).toBe(true);
  });

  it('rejects bad sizes and bad leaves', () => {
    expect(() => t.root(0)).toThrow();
    expect(() => t.root(n + 1)).toThrow();
    expect(() => t.mth(3, 3)).toThrow();
    expect(() => ahtInclusionProof(t, 0, 3)).toThrow();
    expect(() => ahtInclusionProof(t, 4, 3)).toThrow();
    expect(() => ahtConsistencyProof(t, 2, n + 1)).toThrow();
    expect(() => new MemoryAhtree().append(Buffer.alloc(31))).toThrow();
  });

  it('scales: 100k appends, proofs read O(log n) nodes', () => {
    const big = new MemoryAhtree();
    const alh = Buffer.alloc(32);
    for (let i = 1; i <= 100_000; i++) {
      alh.writeUInt32BE(i, 0);
      big.append(alh);
    }
    let calls = 0;
    const counting: MerkleNodeSource = {
      size: big.size,
      mth: (lo, hi) => {
        calls++;
        return big.mth(lo, hi);
      },
    };
    const p = ahtConsistencyProof(counting, 77_777, 100_000);
    expect(calls).toBe(p.length);
    expect(p.length).toBeLessThanOrEqual(2 * 17 + 1);
    expect(verifyAhtConsistency(p, 77_777, 100_000, big.root(77_777), big.root())).toBe(true);
  });
});

describe('ahtree verifiers are total', () => {
  const leaf = leafOf(1);
  const root = rootOf(2);
  const good = hexList(v.inclusionProofs[1]?.proof as readonly string[]);
  const junk: unknown[] = [undefined, null, 'x', [1, 2], [Buffer.alloc(31)], [undefined], {}, [new Uint8Array(33)]];
  const badNums = [NaN, -1, 1.5, Infinity, 2 ** 60];

  it('never throws on malformed input', () => {
    for (const j of junk) {
      const pr = j as readonly Uint8Array[];
      expect(verifyAhtInclusion(pr, 1, 2, leaf, root)).toBe(false);
      expect(verifyAhtConsistency(pr, 1, 2, leaf, root)).toBe(false);
      expect(verifyAhtLastInclusion(pr, 2, leaf, root)).toBe(false);
      expect(verifyAhtInclusion(good, 1, 2, j as Uint8Array, root)).toBe(false);
      expect(verifyAhtInclusion(good, 1, 2, leaf, j as Uint8Array)).toBe(false);
    }
    for (const x of badNums) {
      expect(verifyAhtInclusion(good, x, 2, leaf, root)).toBe(false);
      expect(verifyAhtInclusion(good, 1, x, leaf, root)).toBe(false);
      expect(verifyAhtConsistency(good, x, 2, leaf, root)).toBe(false);
      expect(verifyAhtLastInclusion(good, x, leaf, root)).toBe(false);
    }
    expect(verifyAhtInclusion(good, 1, 2, leaf, root)).toBe(true);
  });
});
