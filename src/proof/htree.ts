// The per-transaction Merkle tree (htree) over entry digests: root (Eh), inclusion proofs and their
// verification, exactly as immudb (RFC 6962 shape; the odd last node is promoted). Pure.
import { EMPTY_HASH, leafHash, nodeHash, splitPoint } from './hash.js';

export interface InclusionProof {
  /** 0-based entry index. */
  readonly leaf: number;
  /** Number of entries in the tree. */
  readonly width: number;
  /** Sibling hashes, bottom-up. */
  readonly terms: readonly Buffer[];
}

/** Eh: root over entry digests in entry order; EMPTY for zero entries. Built level by level. */
export function htreeRoot(digests: readonly Uint8Array[]): Buffer {
  if (digests.length === 0) return EMPTY_HASH;
  let level: Buffer[] = digests.map((d) => leafHash(d));
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHash(level[i] as Buffer, level[i + 1] as Buffer));
    if (level.length % 2 === 1) next.push(level[level.length - 1] as Buffer);
    level = next;
  }
  return level[0] as Buffer;
}

function mth(leaves: readonly Buffer[], lo: number, hi: number): Buffer {
  if (hi - lo === 1) return leaves[lo] as Buffer;
  const k = splitPoint(hi - lo);
  return nodeHash(mth(leaves, lo, lo + k), mth(leaves, lo + k, hi));
}

/** RFC 6962 audit path of entry `index` among `digests`, bottom-up. */
export function htreeInclusionProof(digests: readonly Uint8Array[], index: number): InclusionProof {
  if (!Number.isInteger(index) || index < 0 || index >= digests.length) {
    throw new RangeError(`entry index ${index} outside 0..${digests.length - 1}`);
  }
  const leaves = digests.map((d) => leafHash(d));
  const terms: Buffer[] = [];
  const path = (m: number, lo: number, hi: number): void => {
    if (hi - lo <= 1) return;
    const k = splitPoint(hi - lo);
    if (m < lo + k) {
      path(m, lo, lo + k);
      terms.push(mth(leaves, lo + k, hi));
    } else {
      path(m, lo + k, hi);
      terms.push(mth(leaves, lo, lo + k));
    }
  };
  path(index, 0, leaves.length);
  return { leaf: index, width: digests.length, terms };
}

/** immudb's htree verification (core spec 2.3), reproduced exactly. */
export function verifyEntryInclusion(proof: InclusionProof | undefined, digest: Uint8Array, root: Uint8Array): boolean {
  if (proof === undefined) return false;
  if (!Number.isInteger(proof.leaf) || !Number.isInteger(proof.width) || proof.leaf < 0 || proof.width < 1) return false;
  let c = leafHash(digest);
  let i = proof.leaf;
  let r = proof.width - 1;
  for (const t of proof.terms) {
    if (t.length !== 32) return false;
    c = i % 2 === 0 && i !== r ? nodeHash(c, t) : nodeHash(t, c);
    i = Math.floor(i / 2);
    r = Math.floor(r / 2);
  }
  return i === r && Buffer.compare(c, root) === 0;
}
