// The aht's leaf and node hashes (0x00 ‖ d, 0x01 ‖ l ‖ r: proof/hash.ts leafHash and nodeHash, the
// same bytes) on the main thread's WASM SHA-256 instead of node:crypto: the precommit path hashes
// ~2 + 2·popcount(size) such messages per tx, and a one-shot node:crypto call costs ~1.2 us against
// ~0.6 us here (measured in a loop of 65-byte nodes). src/proof keeps node:crypto: it stays pure and is
// what the tests compare these against (aht-log.test.ts).
import { instantiateSha256Wasm, sha256WasmDataBase, type Sha256Wasm } from './sha256-wasm.js';

const IN = sha256WasmDataBase;
const OUT = IN + 128;

let w: Sha256Wasm | undefined;
let mem: Uint8Array | undefined;

function hasher(): { w: Sha256Wasm; mem: Uint8Array } {
  if (w === undefined || mem === undefined || mem.buffer !== w.memory.buffer) {
    w ??= instantiateSha256Wasm();
    mem = new Uint8Array(w.memory.buffer);
  }
  return { w, mem };
}

function finish(h: { w: Sha256Wasm; mem: Uint8Array }, len: number): Buffer {
  h.w.hash(IN, len, OUT);
  const out = Buffer.allocUnsafe(32);
  out.set(h.mem.subarray(OUT, OUT + 32));
  return out;
}

/** H(0x00 ‖ digest), as proof/hash.ts leafHash. */
export function wasmLeafHash(digest: Uint8Array): Buffer {
  const h = hasher();
  h.mem[IN] = 0x00;
  h.mem.set(digest, IN + 1);
  return finish(h, 1 + digest.length);
}

/** H(0x01 ‖ left ‖ right), as proof/hash.ts nodeHash (32-byte digests). */
export function wasmNodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  const h = hasher();
  h.mem[IN] = 0x01;
  h.mem.set(left, IN + 1);
  h.mem.set(right, IN + 1 + left.length);
  return finish(h, 1 + left.length + right.length);
}
