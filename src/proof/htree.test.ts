// The per-tx Merkle tree against htree.json: every root, every inclusion proof regenerated, verified,
// and mutated copies rejected.
import { describe, expect, it } from 'vitest';
import { EMPTY_HASH } from './hash.js';
import { htreeInclusionProof, htreeRoot, verifyEntryInclusion, type InclusionProof } from './htree.js';
import { hexBuf, hexList, loadVector } from './test-vectors.js';

interface TreeVector {
  readonly n: number;
  readonly digests: readonly string[];
  readonly root: string;
  readonly inclusionProofs: readonly { leaf: number; width: number; terms: readonly string[]; verifies: boolean }[] | null;
}

const { trees } = loadVector<{ trees: readonly TreeVector[] }>('htree.json');
const flip = (b: Buffer, at = 0): Buffer => {
  const c = Buffer.from(b);
  c[at] = (c[at] as number) ^ 0x01;
  return c;
};

describe('htree (htree.json)', () => {
  it('covers n = 0..9', () => expect(trees.map((t) => t.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));

  for (const t of trees) {
    describe(`n = ${t.n}`, () => {
      const digests = hexList(t.digests);

      it('root', () => {
        expect(htreeRoot(digests).toString('hex')).toBe(t.root);
        if (t.n === 0) expect(htreeRoot(digests).equals(EMPTY_HASH)).toBe(true);
      });

      const proofs = t.inclusionProofs ?? [];
      it(`has ${t.n} inclusion proofs`, () => expect(proofs).toHaveLength(t.n));

      for (const p of proofs) {
        it(`inclusion proof of leaf ${p.leaf}`, () => {
          const root = hexBuf(t.root);
          const digest = digests[p.leaf] as Buffer;
          const gen = htreeInclusionProof(digests, p.leaf);
          expect(gen.leaf).toBe(p.leaf);
          expect(gen.width).toBe(p.width);
          expect(gen.terms.map((x) => x.toString('hex'))).toEqual(p.terms);

          const proof: InclusionProof = { leaf: p.leaf, width: p.width, terms: hexList(p.terms) };
          expect(verifyEntryInclusion(proof, digest, root)).toBe(p.verifies);
          expect(p.verifies).toBe(true);

          // mutations
          expect(verifyEntryInclusion(proof, flip(digest), root)).toBe(false);
          expect(verifyEntryInclusion(proof, digest, flip(root, 31))).toBe(false);
          for (let k = 0; k < proof.terms.length; k++) {
            const terms = proof.terms.map((x, i) => (i === k ? flip(x) : x));
            expect(verifyEntryInclusion({ ...proof, terms }, digest, root)).toBe(false);
          }
          if (proof.terms.length > 0) {
            expect(verifyEntryInclusion({ ...proof, terms: proof.terms.slice(1) }, digest, root)).toBe(false);
            expect(verifyEntryInclusion({ ...proof, terms: proof.terms.slice(0, -1) }, digest, root)).toBe(false);
          }
          expect(verifyEntryInclusion({ ...proof, terms: [...proof.terms, root] }, digest, root)).toBe(false);
          if (t.n > 1) {
            const other = (p.leaf + 1) % t.n;
            expect(verifyEntryInclusion({ ...proof, leaf: other }, digest, root)).toBe(false);
            expect(verifyEntryInclusion(proof, digests[other] as Buffer, root)).toBe(false);
          }
          expect(verifyEntryInclusion(undefined, digest, root)).toBe(false);
        });
      }
    });
  }
});
