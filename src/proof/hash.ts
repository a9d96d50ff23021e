// SHA-256 primitives and the two Merkle node shapes immudb uses (leaf 0x00, node 0x01). Pure; no I/O.
import { hash as oneShotHash } from 'node:crypto';

export const DIGEST_BYTES = 32;
const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

export function sha256(data: Uint8Array): Buffer {
  return oneShotHash('sha256', data, 'buffer') as unknown as Buffer;
}

/** SHA-256 over the concatenation of parts, without building the concatenation twice. */
export function sha256Concat(parts: readonly Uint8Array[]): Buffer {
  return sha256(Buffer.concat(parts));
}

/** H("") — the Alh of the empty history and the htree root of zero entries. */
export const EMPTY_HASH: Buffer = sha256(Buffer.alloc(0));

export function leafHash(digest: Uint8Array): Buffer {
  return sha256(Buffer.concat([LEAF_PREFIX, digest]));
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(1 + 2 * DIGEST_BYTES);
  b[0] = 0x01;
  b.set(left, 1);
  b.set(right, 1 + DIGEST_BYTES);
  return sha256(b);
}

export { LEAF_PREFIX, NODE_PREFIX };

/** Largest power of two strictly less than n (n >= 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
