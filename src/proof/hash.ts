// SHA-256 primitives and the two Merkle node shapes immudb uses (leaf 0x00, node 0x01). Pure; no I/O.
// Messages up to smallMessageBytesMax go through the WASM SHA-256 (sha256-wasm.ts): proofs and their
// verification hash thousands of 33- and 65-byte nodes and ~90-byte headers, and a node:crypto one-shot
// call costs ~1 us of overhead on our VM whatever the size, ~3x the WASM call. Larger messages (values)
// go to node:crypto, which streams them. sha256-wasm.test.ts checks the WASM hash against node:crypto
// for every length up to 260; the golden vectors check everything built on top.
import { hash as oneShotHash } from 'node:crypto';
import { sha256Scratch, sha256WasmDataBase, type Sha256Scratch } from './sha256-wasm.js';

export const DIGEST_BYTES = 32;
const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** Messages hashed in WASM memory; longer ones go to node:crypto. */
const smallMessageBytesMax = 1024;
const IN = sha256WasmDataBase;
const OUT = IN + smallMessageBytesMax;

let scratch: Sha256Scratch | undefined;
let outView: Uint8Array = new Uint8Array(0);

function wasmSha256(data: Uint8Array): Buffer {
  if (scratch === undefined) {
    scratch = sha256Scratch(OUT + DIGEST_BYTES);
    outView = scratch.mem.subarray(OUT, OUT + DIGEST_BYTES);
  }
  scratch.mem.set(data, IN);
  scratch.wasm.hash(IN, data.length, OUT);
  const out = Buffer.allocUnsafe(DIGEST_BYTES);
  out.set(outView);
  return out;
}

export function sha256(data: Uint8Array): Buffer {
  if (data.length <= smallMessageBytesMax) return wasmSha256(data);
  return oneShotHash('sha256', data, 'buffer') as unknown as Buffer;
}

/** SHA-256 over the concatenation of parts, without building the concatenation twice. */
export function sha256Concat(parts: readonly Uint8Array[]): Buffer {
  return sha256(Buffer.concat(parts));
}

/** H("") — the Alh of the empty history and the htree root of zero entries (node:crypto: importing this
 * module must not build the WASM module, ~20 ms, before anything is hashed). */
export const EMPTY_HASH: Buffer = oneShotHash('sha256', Buffer.alloc(0), 'buffer') as unknown as Buffer;

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
