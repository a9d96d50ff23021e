// The main thread's small-message hashes on the WASM SHA-256 instead of node:crypto: the aht's leaf and
// node hashes (0x00 ‖ d, 0x01 ‖ l ‖ r: proof/hash.ts leafHash and nodeHash, the same bytes) and a tx's
// innerHash and Alh (proof/tx-header.ts, the same bytes). The precommit path hashes ~3 + popcount(size)
// such messages per tx; a one-shot node:crypto call costs ~1.2 us against ~0.4 us here (65-byte nodes).
// The `...Into` forms write the digest into caller memory and allocate nothing (copies go through
// TypedArray.set from fixed views of the WASM memory: a 32-byte JS byte loop costs ~3x more), so a tx's
// aht digests land straight in the tree log's record. src/proof/hash.ts allocates a Buffer per digest
// (the proofs keep them); node-hasher.test.ts compares the two.
import { assert } from '../common/assert.js';
import { writeU64BE } from '../common/bytes.js';
import { ImmuError } from '../common/errors.js';
import { DIGEST_BYTES } from '../proof/hash.js';
import { writeInnerPreimage } from '../proof/tx-header.js';
import { sha256Scratch, sha256WasmDataBase, type Sha256Wasm } from '../proof/sha256-wasm.js';

// WASM memory from sha256WasmDataBase: leaf and node messages (<= 65 bytes) | the last digest produced |
// the Alh message (u64 id ‖ prevAlh ‖ innerHash, 72 bytes) | the inner preimage (88 bytes + tx metadata).
const IN = sha256WasmDataBase;
const OUT = IN + 128;
const ALH_IN = OUT + 64;
const MSG = ALH_IN + 128;
const MSG_BYTES_MAX = 88 + 0xffff;

let w: Sha256Wasm | undefined;
let mem: Uint8Array = new Uint8Array(0);
/** The 32 bytes at OUT (the last digest produced), kept as a view so copying it out allocates nothing. */
let outView: Uint8Array = mem;
let produced = false;

/** The instance (created on first use; `mem` and `outView` view its memory). */
function wasm(): Sha256Wasm {
  if (w === undefined) {
    const scratch = sha256Scratch(MSG + MSG_BYTES_MAX);
    w = scratch.wasm;
    mem = scratch.mem;
    outView = mem.subarray(OUT, OUT + DIGEST_BYTES);
  }
  return w;
}

/** Copies the last digest produced here (by any function of this file) to out[outOff, +32). */
export function lastDigestInto(out: Uint8Array, outOff: number): void {
  assert(produced, 'a digest was produced');
  out.set(outView, outOff);
}

/** H(0x00 ‖ digest) (a 32-byte digest) into out[outOff, +32). */
export function leafHashInto(digest: Uint8Array, out: Uint8Array, outOff: number): void {
  assert(digest.length === DIGEST_BYTES, 'leaf hash of a 32-byte digest');
  const h = wasm();
  mem[IN] = 0x00;
  mem.set(digest, IN + 1);
  h.hash(IN, 1 + DIGEST_BYTES, OUT);
  produced = true;
  out.set(outView, outOff);
}

/** H(0x01 ‖ left ‖ right) (32-byte digests) into out[outOff, +32). */
export function nodeHashInto(left: Uint8Array, right: Uint8Array, out: Uint8Array, outOff: number): void {
  assert(left.length === DIGEST_BYTES && right.length === DIGEST_BYTES, 'node hash of two 32-byte digests');
  const h = wasm();
  mem[IN] = 0x01;
  mem.set(left, IN + 1);
  mem.set(right, IN + 1 + DIGEST_BYTES);
  h.hash(IN, 1 + 2 * DIGEST_BYTES, OUT);
  produced = true;
  out.set(outView, outOff);
}

/**
 * H(0x01 ‖ left ‖ last) where `last` is the last digest produced here, into out[outOff, +32) (and it
 * becomes the new last). For hash chains (an aht append) without copying each link back in.
 */
export function nodeHashChainInto(left: Uint8Array, out: Uint8Array, outOff: number): void {
  assert(left.length === DIGEST_BYTES && produced, 'node hash chained onto a produced digest');
  const h = wasm();
  mem[IN] = 0x01;
  mem.set(left, IN + 1);
  mem.copyWithin(IN + 1 + DIGEST_BYTES, OUT, OUT + DIGEST_BYTES);
  h.hash(IN, 1 + 2 * DIGEST_BYTES, OUT);
  out.set(outView, outOff);
}

/** H(0x00 ‖ digest), as proof/hash.ts leafHash (a fresh buffer). */
export function wasmLeafHash(digest: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(DIGEST_BYTES);
  leafHashInto(digest, out, 0);
  return out;
}

/** H(0x01 ‖ left ‖ right), as proof/hash.ts nodeHash (a fresh buffer). */
export function wasmNodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(DIGEST_BYTES);
  nodeHashInto(left, right, out, 0);
  return out;
}

/** The header fields innerHash and Alh cover (proof/tx-header.ts TxHeader, metadata already encoded). */
export interface AlhInput {
  readonly id: number;
  readonly ts: number;
  readonly blTxId: number;
  readonly blRoot: Uint8Array;
  readonly prevAlh: Uint8Array;
  readonly version: 0 | 1;
  readonly nEntries: number;
  readonly eh: Uint8Array;
}

/**
 * Alh = H(u64 id ‖ prevAlh ‖ innerHash) with innerHash = H(innerPreimage) (core spec 1.2), as
 * proof/tx-header.ts txAlh of the same header whose metadata encodes to `txMd`. A fresh buffer.
 */
export function wasmTxAlh(h: AlhInput, txMd: Uint8Array): Buffer {
  if (h.version === 0 && txMd.length > 0) throw new ImmuError('METADATA_INVALID', 'tx header version 0 cannot carry metadata');
  assert(txMd.length <= 0xffff && h.blRoot.length === DIGEST_BYTES && h.prevAlh.length === DIGEST_BYTES && h.eh.length === DIGEST_BYTES, 'alh input sizes');
  const x = wasm();
  const m = mem;
  const o = writeInnerPreimage(h, txMd, m, MSG);
  writeU64BE(m, ALH_IN, h.id);
  m.set(h.prevAlh, ALH_IN + 8);
  x.hash(MSG, o - MSG, ALH_IN + 8 + DIGEST_BYTES);
  x.hash(ALH_IN, 8 + 2 * DIGEST_BYTES, OUT);
  produced = true;
  const out = Buffer.allocUnsafe(DIGEST_BYTES);
  out.set(outView, 0);
  return out;
}


