// Index arithmetic and the append step of immudb's on-disk ahtree node log (core spec 3.6): leaf n (1-based) appends
// 1 + popcount(n-1) digests: its leaf hash, then MTH(s, n) for every set bit b of n-1 (ascending),
// s = ((n-1) >> (b+1)) << (b+1). Pure functions; the file I/O lives in aht-log.ts.
import { assert } from '../common/assert.js';

/** Sum of popcount(x) for x in [0, m). */
export function popcountSum(m: number): number {
  let total = 0;
  for (let bit = 1, b = 0; bit <= m; bit *= 2, b++) {
    const cycle = bit * 2;
    const full = Math.floor(m / cycle);
    total += full * bit + Math.max(0, (m % cycle) - bit);
  }
  return total;
}

export function popcount(x: number): number {
  let c = 0;
  while (x > 0) {
    c += x % 2;
    x = Math.floor(x / 2);
  }
  return c;
}

/** Number of digests stored before leaf n's first digest (n >= 1). */
export function nodesUntil(n: number): number {
  return n <= 1 ? 0 : n - 1 + popcountSum(n - 1);
}

/** Number of digests stored for leaves 1..n. */
export function nodesUpTo(n: number): number {
  return nodesUntil(n + 1);
}

/** Largest n with nodesUpTo(n) <= digests: the whole leaves a tree log of `digests` digests holds. */
export function leavesInDigests(digests: number): number {
  let lo = 0;
  let hi = Math.max(1, digests);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (nodesUpTo(mid) <= digests) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Where MTH over 0-based leaves [lo, hi) is stored, if it is: at leaf hi, position p (0 = leaf hash).
 * Returns undefined for ranges immudb never stores (the caller then splits the range).
 */
export function storedNodePosition(lo: number, hi: number): number | undefined {
  if (hi - lo === 1) return 0;
  const m = hi - 1;
  let pos = 1;
  for (let b = 0, bit = 1; bit <= m; b++, bit *= 2) {
    if (Math.floor(m / bit) % 2 === 1) {
      const s = Math.floor(m / (bit * 2)) * bit * 2;
      if (s === lo) return pos;
      pos++;
    }
  }
  return undefined;
}

/**
 * Appends one leaf to a tree of `size` leaves described by its frontier (frontier[b] = root of the
 * complete subtree of 2^b leaves when bit b of size is set). Mutates the frontier; returns the digests
 * immudb stores for the new leaf (leaf hash first, root last).
 */
export function frontierAppend(
  frontier: Array<Buffer | undefined>,
  size: number,
  leaf: Buffer,
  nodeHash: (l: Buffer, r: Buffer) => Buffer,
): Buffer[] {
  let carry = leaf;
  const digests: Buffer[] = [carry];
  let level = 0;
  let trailing = true;
  for (let b = 0, bit = 1; bit <= size; b++, bit *= 2) {
    if (Math.floor(size / bit) % 2 === 1) {
      const left = frontier[b];
      assert(left !== undefined, `aht frontier missing level ${b} at size ${size}`);
      carry = nodeHash(left, carry);
      digests.push(carry);
      if (trailing) {
        frontier[b] = undefined;
        level = b + 1;
      }
    } else trailing = false;
  }
  frontier[level] = digests[level] as Buffer;
  return digests;
}
