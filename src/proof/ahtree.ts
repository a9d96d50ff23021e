// The accumulated hash tree (ahtree): the tx-level Merkle tree over leafHash(Alh_1..Alh_n) that every
// header's BlRoot commits to. Proof generation works over any MerkleNodeSource (the store's on-disk tree
// or MemoryAhtree below); verification is immudb's exactly (core spec 3.3-3.5) and never throws.
// This file knows nothing of tx headers or files.
import { ImmuError } from '../common/errors.js';
import { DIGEST_BYTES, leafHash, nodeHash, splitPoint } from './hash.js';

/**
 * A source of Merkle subtree hashes over leafHash(Alh_1..Alh_n): mth(lo, hi) = RFC 6962 MTH over 0-based leaves [lo, hi). Synchronous.
 * Proof generation for a tree of size j only asks for (a) complete aligned subtrees (hi - lo = 2^m, lo % 2^m = 0) and
 * (b) right-edge ranges [lo, j) with lo a multiple of a power of two >= j - lo, i.e. the nodes immudb's tree log
 * stores for leaf j (core spec 3.6); so an on-disk source can answer every request with one read.
 */
export interface MerkleNodeSource {
  readonly size: number;
  mth(lo: number, hi: number): Buffer;
}

/** Power-of-two exponent of w, or -1 when w is not a power of two. Exact for every safe integer. */
function log2Exact(w: number): number {
  let p = 1;
  let e = 0;
  while (p < w) {
    p *= 2;
    e++;
  }
  return p === w ? e : -1;
}

/** Append-only array of 32-byte digests in one growable buffer (no per-node objects). */
class DigestArray {
  #buf: Buffer = Buffer.allocUnsafe(DIGEST_BYTES * 16);
  #count = 0;

  get count(): number {
    return this.#count;
  }

  push(d: Uint8Array): void {
    const end = (this.#count + 1) * DIGEST_BYTES;
    if (end > this.#buf.length) {
      const grown = Buffer.allocUnsafe(this.#buf.length * 2);
      this.#buf.copy(grown, 0, 0, this.#count * DIGEST_BYTES);
      this.#buf = grown;
    }
    this.#buf.set(d, this.#count * DIGEST_BYTES);
    this.#count++;
  }

  /** A view; valid forever because stored digests are never overwritten. */
  at(k: number): Buffer {
    return this.#buf.subarray(k * DIGEST_BYTES, (k + 1) * DIGEST_BYTES);
  }
}

/**
 * An in-memory ahtree. Level h holds the roots of the complete, aligned subtrees of 2^h leaves, so
 * append is O(log n) and mth over any range reached by proof generation is O(log n).
 */
export class MemoryAhtree implements MerkleNodeSource {
  readonly #levels: DigestArray[] = [new DigestArray()];

  append(alh: Uint8Array): void {
    if (!(alh instanceof Uint8Array) || alh.length !== DIGEST_BYTES) {
      throw new ImmuError('ILLEGAL_ARGUMENTS', 'an ahtree leaf payload (Alh) must be 32 bytes');
    }
    let node = leafHash(alh);
    let h = 0;
    for (;;) {
      const level = this.#levels[h] as DigestArray;
      level.push(node);
      const idx = level.count - 1;
      if (idx % 2 === 0) return;
      node = nodeHash(level.at(idx - 1), node);
      h++;
      if (this.#levels.length === h) this.#levels.push(new DigestArray());
    }
  }

  get size(): number {
    return (this.#levels[0] as DigestArray).count;
  }

  /** Root over the first n leaves (default: all). There is no root of an empty tree. */
  root(n: number = this.size): Buffer {
    if (!Number.isSafeInteger(n) || n < 1 || n > this.size) {
      throw new ImmuError('ILLEGAL_ARGUMENTS', `no ahtree root for size ${n} (tree size ${this.size})`);
    }
    return this.mth(0, n);
  }

  mth(lo: number, hi: number): Buffer {
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || lo < 0 || hi <= lo || hi > this.size) {
      throw new ImmuError('ILLEGAL_ARGUMENTS', `ahtree range [${lo}, ${hi}) outside [0, ${this.size})`);
    }
    return Buffer.from(this.#mth(lo, hi));
  }

  #mth(lo: number, hi: number): Buffer {
    const w = hi - lo;
    const h = log2Exact(w);
    if (h >= 0 && lo % w === 0) return (this.#levels[h] as DigestArray).at(lo / w);
    const k = splitPoint(w);
    return nodeHash(this.#mth(lo, lo + k), this.#mth(lo + k, hi));
  }
}

function checkSizes(src: MerkleNodeSource, i: number, j: number, what: string): void {
  if (!Number.isSafeInteger(i) || !Number.isSafeInteger(j) || i < 1 || i > j || j > src.size) {
    throw new ImmuError('ILLEGAL_ARGUMENTS', `${what} (${i}, ${j}) needs 1 <= i <= j <= ${src.size}`);
  }
}

/** RFC 6962 audit path of 0-based leaf m in [lo, hi), bottom-up, appended to out. */
function auditPath(src: MerkleNodeSource, m: number, lo: number, hi: number, out: Buffer[]): void {
  if (hi - lo <= 1) return;
  const k = splitPoint(hi - lo);
  if (m < lo + k) {
    auditPath(src, m, lo, lo + k, out);
    out.push(src.mth(lo + k, hi));
  } else {
    auditPath(src, m, lo + k, hi, out);
    out.push(src.mth(lo, lo + k));
  }
}

/** Inclusion proof of leaf i (1-based) in the tree of size j, bottom-up (core spec 3.3). */
export function ahtInclusionProof(src: MerkleNodeSource, i: number, j: number): Buffer[] {
  checkSizes(src, i, j, 'inclusion proof');
  const out: Buffer[] = [];
  auditPath(src, i - 1, 0, j, out);
  return out;
}

/** RFC 6962 SUBPROOF with b = false from the start: the old root is always supplied. */
function subProof(src: MerkleNodeSource, m: number, lo: number, hi: number, out: Buffer[]): void {
  if (m === hi) {
    out.push(src.mth(lo, hi));
    return;
  }
  const k = splitPoint(hi - lo);
  if (m <= lo + k) {
    subProof(src, m, lo, lo + k, out);
    out.push(src.mth(lo + k, hi));
  } else {
    subProof(src, m, lo + k, hi, out);
    out.push(src.mth(lo, lo + k));
  }
}

/** Consistency proof from tree size i to size j (core spec 3.5, including immudb's i == j shape). */
export function ahtConsistencyProof(src: MerkleNodeSource, i: number, j: number): Buffer[] {
  checkSizes(src, i, j, 'consistency proof');
  if (i === j) {
    if (j === 1) return [];
    const k = splitPoint(j);
    return [src.mth(k, j), src.mth(0, k)];
  }
  const out: Buffer[] = [];
  subProof(src, i, 0, j, out);
  return out;
}

/** Proof that leaf i is the last leaf of the tree of size i. */
export function ahtLastInclusionProof(src: MerkleNodeSource, i: number): Buffer[] {
  return ahtInclusionProof(src, i, i);
}

function isDigest(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array && x.length === DIGEST_BYTES;
}

function isProof(x: unknown): x is readonly Uint8Array[] {
  return Array.isArray(x) && x.every(isDigest);
}

function isSize(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

const half = (n: number): number => Math.floor(n / 2);
const isOdd = (n: number): boolean => n % 2 === 1;

/** immudb's ahtree inclusion verification (core spec 3.3); iLeaf is leafHash(Alh_i). */
export function verifyAhtInclusion(
  proof: readonly Uint8Array[],
  i: number,
  j: number,
  iLeaf: Uint8Array,
  jRoot: Uint8Array,
): boolean {
  if (!isProof(proof) || !isSize(i) || !isSize(j) || !isDigest(iLeaf) || !isDigest(jRoot)) return false;
  if (i > j || i === 0 || (i < j && proof.length === 0)) return false;
  let a = i - 1;
  let b = j - 1;
  let c: Buffer = Buffer.from(iLeaf);
  for (const p of proof) {
    c = a % 2 === 0 && a !== b ? nodeHash(c, p) : nodeHash(p, c);
    a = half(a);
    b = half(b);
  }
  return equal(c, jRoot);
}

/** immudb's ahtree consistency verification (core spec 3.5). */
export function verifyAhtConsistency(
  proof: readonly Uint8Array[],
  i: number,
  j: number,
  iRoot: Uint8Array,
  jRoot: Uint8Array,
): boolean {
  if (!isProof(proof) || !isSize(i) || !isSize(j) || !isDigest(iRoot) || !isDigest(jRoot)) return false;
  if (i > j || i === 0 || (i < j && proof.length === 0)) return false;
  if (i === j && proof.length === 0) return equal(iRoot, jRoot);
  let fn = i - 1;
  let sn = j - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let ci: Buffer = Buffer.from(proof[0] as Uint8Array);
  let cj: Buffer = ci;
  for (let k = 1; k < proof.length; k++) {
    const p = proof[k] as Uint8Array;
    if (isOdd(fn) || fn === sn) {
      ci = nodeHash(p, ci);
      cj = nodeHash(p, cj);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      cj = nodeHash(cj, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return equal(ci, iRoot) && equal(cj, jRoot);
}

/** immudb's last-inclusion verification (core spec 3.4); leaf is leafHash(Alh_i). */
export function verifyAhtLastInclusion(proof: readonly Uint8Array[], i: number, leaf: Uint8Array, root: Uint8Array): boolean {
  if (!isProof(proof) || !isSize(i) || !isDigest(leaf) || !isDigest(root)) return false;
  if (i === 0) return false;
  let c: Buffer = Buffer.from(leaf);
  for (const p of proof) c = nodeHash(p, c);
  return equal(c, root);
}
