// SHA-256 (FIPS 180-4) as a tiny WebAssembly module, emitted from this file (no toolchain, no
// dependency). Why: node:crypto's one-shot hash costs ~0.8 us per call on this machine whatever the
// input size (OpenSSL 3 digest fetch per call), and a tx needs ~4 hashes of <= 129 bytes per entry, so
// the call overhead, not the compression, bounded commit throughput. One WASM call per message costs
// tens of ns. Tests compare every output against node:crypto (tx-hashing.test.ts).
// Exports: memory (1 page to start; grow it), hash(ptr, len, out) -> writes H(mem[ptr, ptr+len)) at out,
// and hash4(p0, p1, p2, p3, len, o0, o1, o2, o3): four messages of the same length at once, one per
// lane of 128-bit SIMD (multi-buffer SHA-256: ~2.8x fewer instructions per block than the scalar code).
// hash4 reads all four messages before it writes any output, so outputs may overlap inputs.
// Reserved low memory: [256, 288) state, [288, 416) padding scratch, [512, 640) the four-lane state,
// [640, 1152) four padding blocks (round constants are inline). Callers use memory from
// `sha256WasmDataBase` on. This file does not know about entries or txs.

export const sha256WasmDataBase = 2048;

const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
  0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
  0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
  0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
  0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
  0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];
const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
const STATE = 256;
const PAD = 288;
const STATE4 = 512;
const PAD4 = 640;

// opcodes
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const LOCAL_TEE = 0x22;
const I32_LOAD = 0x28;
const I32_STORE = 0x36;
const I32_STORE8 = 0x3a;
const I32_CONST = 0x41;
const I32_ADD = 0x6a;
const I32_SUB = 0x6b;
const I32_MUL = 0x6c;
const I32_AND = 0x71;
const I32_OR = 0x72;
const I32_XOR = 0x73;
const I32_SHL = 0x74;
const I32_SHR_U = 0x76;
const I32_ROTL = 0x77;
const I32_ROTR = 0x78;
const I32_GE_U = 0x4f;
const CALL = 0x10;
const BLOCK = 0x02;
const LOOP = 0x03;
const IF = 0x04;
const END = 0x0b;
const BR = 0x0c;
const BR_IF = 0x0d;
const VOID = 0x40;
const FC = 0xfc; // bulk memory prefix: 10 = memory.copy, 11 = memory.fill
const I32_STORE_OP = I32_STORE;
// SIMD (prefix 0xfd, then the opcode as uleb)
const SIMD = 0xfd;
const V128_LOAD = 0x00;
const V128_STORE = 0x0b;
const V128_CONST = 0x0c;
const I8X16_SWIZZLE = 0x0e;
const I32X4_SPLAT = 0x11;
const I32X4_EXTRACT_LANE = 0x1b;
const I32X4_REPLACE_LANE = 0x1c;
const V128_OR = 0x50;
const V128_XOR = 0x51;
const V128_BITSELECT = 0x52;
const I32X4_SHL = 0xab;
const I32X4_SHR_U = 0xad;
const I32X4_ADD = 0xae;
const I32 = 0x7f;
const V128 = 0x7b;
/** Byte indices that reverse each 32-bit lane (i8x16.swizzle). */
const BSWAP_LANES = [3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12];

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  n |= 0;
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

class Code {
  readonly b: number[] = [];
  op(...bytes: number[]): this {
    this.b.push(...bytes);
    return this;
  }
  get(l: number): this {
    return this.op(LOCAL_GET, ...uleb(l));
  }
  set(l: number): this {
    return this.op(LOCAL_SET, ...uleb(l));
  }
  tee(l: number): this {
    return this.op(LOCAL_TEE, ...uleb(l));
  }
  c(v: number): this {
    return this.op(I32_CONST, ...sleb(v));
  }
  load(offset: number): this {
    return this.op(I32_LOAD, 2, ...uleb(offset));
  }
  store(offset: number): this {
    return this.op(I32_STORE, 2, ...uleb(offset));
  }
  /** Pushes bswap(top of stack); uses local t as scratch. */
  bswap(t: number): this {
    this.tee(t).c(0xff00ff00).op(I32_AND).c(8).op(I32_ROTL);
    return this.get(t).c(0x00ff00ff).op(I32_AND).c(8).op(I32_ROTR).op(I32_OR);
  }
  simd(op: number, ...imm: number[]): this {
    return this.op(SIMD, ...uleb(op), ...imm);
  }
  /** v128.const of four equal 32-bit lanes. */
  splat4(v: number): this {
    const b = Buffer.alloc(16);
    for (let k = 0; k < 4; k++) b.writeUInt32LE(v >>> 0, 4 * k);
    return this.simd(V128_CONST, ...b);
  }
  /** Pushes each lane of local x rotated right by n. */
  rotr4(x: number, n: number): this {
    this.get(x).c(n).simd(I32X4_SHR_U).get(x).c(32 - n).simd(I32X4_SHL);
    return this.simd(V128_OR);
  }
  /** Four-lane sigma: rotr(x,a) ^ rotr(x,b) ^ (shr ? x>>>c : rotr(x,c)). */
  sigma4(x: number, a: number, b: number, c: number, shr: boolean): this {
    this.rotr4(x, a).rotr4(x, b).simd(V128_XOR);
    if (shr) this.get(x).c(c).simd(I32X4_SHR_U);
    else this.rotr4(x, c);
    return this.simd(V128_XOR);
  }
  /** Pushes rotr(x,a) ^ rotr(x,b) ^ (shr ? x>>>c : rotr(x,c)). */
  sigma(x: number, a: number, b: number, c: number, shr: boolean): this {
    this.get(x).c(a).op(I32_ROTR).get(x).c(b).op(I32_ROTR).op(I32_XOR);
    return this.get(x).c(c).op(shr ? I32_SHR_U : I32_ROTR).op(I32_XOR);
  }
}

/** compress(block): one 64-byte block at `block` into the state at STATE. Straight-line code. */
function compressBody(): { locals: Array<[number, number]>; code: number[] } {
  // params: 0 block; locals: 1..8 working vars, 9..72 W[0..63], 73 t1, 74 tmp
  const r = (k: number): number => 1 + k;
  const w = (i: number): number => 9 + i;
  const T1 = 73;
  const TMP = 74;
  const c = new Code();
  for (let k = 0; k < 8; k++) c.c(0).load(STATE + 4 * k).set(r(k));
  for (let i = 0; i < 16; i++) c.get(0).load(4 * i).bswap(TMP).set(w(i));
  for (let i = 16; i < 64; i++) {
    c.sigma(w(i - 2), 17, 19, 10, true).get(w(i - 7)).op(I32_ADD);
    c.sigma(w(i - 15), 7, 18, 3, true).op(I32_ADD).get(w(i - 16)).op(I32_ADD).set(w(i));
  }
  for (let i = 0; i < 64; i++) {
    const role = (k: number): number => r((((k - i) % 8) + 8) % 8);
    const [a, b, cc, d, e, f, g, h] = [0, 1, 2, 3, 4, 5, 6, 7].map(role) as [number, number, number, number, number, number, number, number];
    // t1 = h + S1(e) + (g ^ (e & (f ^ g))) + K[i] + W[i]
    c.get(h).sigma(e, 6, 11, 25, false).op(I32_ADD);
    c.get(g).get(e).get(f).get(g).op(I32_XOR).op(I32_AND).op(I32_XOR).op(I32_ADD);
    c.c(K[i] as number).op(I32_ADD).get(w(i)).op(I32_ADD).set(T1);
    // d += t1
    c.get(d).get(T1).op(I32_ADD).set(d);
    // h = t1 + S0(a) + ((a & b) | (c & (a | b)))
    c.get(T1).sigma(a, 2, 13, 22, false).op(I32_ADD);
    c.get(a).get(b).op(I32_AND).get(cc).get(a).get(b).op(I32_OR).op(I32_AND).op(I32_OR).op(I32_ADD).set(h);
  }
  // after 64 rounds (a multiple of 8) roles are back to registers 0..7
  for (let k = 0; k < 8; k++) c.c(0).c(0).load(STATE + 4 * k).get(r(k)).op(I32_ADD).store(STATE + 4 * k);
  return { locals: [[74, I32]], code: c.b };
}

/** hash(ptr, len, out): full message with padding; function index 1 calls compress (index 0). */
function hashBody(): { locals: Array<[number, number]>; code: number[] } {
  // params 0 ptr, 1 len, 2 out; locals 3 end, 4 rem, 5 tmp
  const [PTR, LEN, OUT, END_, REM, TMP] = [0, 1, 2, 3, 4, 5];
  const c = new Code();
  for (let k = 0; k < 8; k++) c.c(0).c(IV[k] as number).store(STATE + 4 * k);
  // end = ptr + len - (len & 63); while ptr < end: compress(ptr); ptr += 64
  c.get(PTR).get(LEN).op(I32_ADD).get(LEN).c(63).op(I32_AND).tee(REM).op(I32_SUB).set(END_);
  c.op(BLOCK, VOID, LOOP, VOID);
  c.get(PTR).get(END_).op(I32_GE_U).op(BR_IF, 1);
  c.get(PTR).op(CALL, 0);
  c.get(PTR).c(64).op(I32_ADD).set(PTR);
  c.op(BR, 0, END, END);
  // pad: copy rem bytes to PAD, 0x80, zeros to 128, length in bits (big-endian) at the block end
  c.c(PAD).get(PTR).get(REM).op(FC, 10, 0, 0);
  c.c(PAD).get(REM).op(I32_ADD).c(0x80).op(I32_STORE8, 0, 0);
  c.c(PAD + 1).get(REM).op(I32_ADD).c(0).c(127).get(REM).op(I32_SUB).op(FC, 11, 0);
  // last block at PAD (rem < 56) or PAD + 64; write (len * 8) as u64 BE into its last 8 bytes (high word 0)
  c.c(PAD).get(REM).c(56).op(I32_GE_U).c(64).op(I32_MUL).op(I32_ADD).set(TMP);
  c.get(TMP).get(LEN).c(3).op(I32_SHL).bswap(END_).store(60);
  c.get(TMP).get(LEN).c(29).op(I32_SHR_U).bswap(END_).store(56);
  c.c(PAD).op(CALL, 0);
  c.get(REM).c(56).op(I32_GE_U).op(IF, VOID).c(PAD + 64).op(CALL, 0).op(END);
  for (let k = 0; k < 8; k++) c.get(OUT).c(0).load(STATE + 4 * k).bswap(TMP).store(4 * k);
  return { locals: [[3, I32]], code: c.b };
}

/** compress4(p0..p3): one 64-byte block of each of four messages into the lanes of the state at STATE4. */
function compress4Body(): { locals: Array<[number, number]>; code: number[] } {
  // params 0..3 block pointers; v128 locals: 4..11 working vars, 12..75 W[0..63], 76 t1
  const r = (k: number): number => 4 + k;
  const w = (i: number): number => 12 + i;
  const T1 = 76;
  const c = new Code();
  for (let k = 0; k < 8; k++) c.c(0).simd(V128_LOAD, 0, ...uleb(STATE4 + 16 * k)).set(r(k));
  for (let i = 0; i < 16; i++) {
    c.get(0).load(4 * i).simd(I32X4_SPLAT);
    for (let lane = 1; lane < 4; lane++) c.get(lane).load(4 * i).simd(I32X4_REPLACE_LANE, lane);
    c.simd(V128_CONST, ...BSWAP_LANES).simd(I8X16_SWIZZLE).set(w(i));
  }
  for (let i = 16; i < 64; i++) {
    c.sigma4(w(i - 2), 17, 19, 10, true).get(w(i - 7)).simd(I32X4_ADD);
    c.sigma4(w(i - 15), 7, 18, 3, true).simd(I32X4_ADD).get(w(i - 16)).simd(I32X4_ADD).set(w(i));
  }
  for (let i = 0; i < 64; i++) {
    const role = (k: number): number => r((((k - i) % 8) + 8) % 8);
    const [a, b, cc, d, e, f, g, h] = [0, 1, 2, 3, 4, 5, 6, 7].map(role) as [number, number, number, number, number, number, number, number];
    // t1 = h + S1(e) + ch(e, f, g) + K[i] + W[i], ch = bitselect(f, g, e)
    c.get(h).sigma4(e, 6, 11, 25, false).simd(I32X4_ADD);
    c.get(f).get(g).get(e).simd(V128_BITSELECT).simd(I32X4_ADD);
    c.splat4(K[i] as number).simd(I32X4_ADD).get(w(i)).simd(I32X4_ADD).set(T1);
    c.get(d).get(T1).simd(I32X4_ADD).set(d);
    // h = t1 + S0(a) + maj(a, b, c), maj = bitselect(b, a, a ^ c)
    c.get(T1).sigma4(a, 2, 13, 22, false).simd(I32X4_ADD);
    c.get(b).get(a).get(a).get(cc).simd(V128_XOR).simd(V128_BITSELECT).simd(I32X4_ADD).set(h);
  }
  for (let k = 0; k < 8; k++) {
    c.c(0).c(0).simd(V128_LOAD, 0, ...uleb(STATE4 + 16 * k)).get(r(k)).simd(I32X4_ADD).simd(V128_STORE, 0, ...uleb(STATE4 + 16 * k));
  }
  return { locals: [[73, V128]], code: c.b };
}

/** hash4(p0..p3, len, o0..o3): four messages of `len` bytes; function index 3 calls compress4 (index 2). */
function hash4Body(): { locals: Array<[number, number]>; code: number[] } {
  // params 0..3 pointers, 4 len, 5..8 outputs; i32 locals 9 end, 10 rem, 11 tmp, 12 scratch; v128 local 13
  const LEN = 4;
  const out = (k: number): number => 5 + k;
  const [END_, REM, TMP, SCR, V] = [9, 10, 11, 12, 13];
  const c = new Code();
  for (let k = 0; k < 8; k++) c.c(0).splat4(IV[k] as number).simd(V128_STORE, 0, ...uleb(STATE4 + 16 * k));
  c.get(0).get(LEN).op(I32_ADD).get(LEN).c(63).op(I32_AND).tee(REM).op(I32_SUB).set(END_);
  c.op(BLOCK, VOID, LOOP, VOID);
  c.get(0).get(END_).op(I32_GE_U).op(BR_IF, 1);
  c.get(0).get(1).get(2).get(3).op(CALL, 2);
  for (let k = 0; k < 4; k++) c.get(k).c(64).op(I32_ADD).set(k);
  c.op(BR, 0, END, END);
  for (let k = 0; k < 4; k++) {
    const pad = PAD4 + 128 * k;
    c.c(pad).get(k).get(REM).op(FC, 10, 0, 0);
    c.c(pad).get(REM).op(I32_ADD).c(0x80).op(I32_STORE8, 0, 0);
    c.c(pad + 1).get(REM).op(I32_ADD).c(0).c(127).get(REM).op(I32_SUB).op(FC, 11, 0);
    c.c(pad).get(REM).c(56).op(I32_GE_U).c(64).op(I32_MUL).op(I32_ADD).set(TMP);
    c.get(TMP).get(LEN).c(3).op(I32_SHL).bswap(SCR).store(60);
    c.get(TMP).get(LEN).c(29).op(I32_SHR_U).bswap(SCR).store(56);
  }
  c.c(PAD4).c(PAD4 + 128).c(PAD4 + 256).c(PAD4 + 384).op(CALL, 2);
  c.get(REM).c(56).op(I32_GE_U).op(IF, VOID).c(PAD4 + 64).c(PAD4 + 192).c(PAD4 + 320).c(PAD4 + 448).op(CALL, 2).op(END);
  for (let j = 0; j < 8; j++) {
    c.c(0).simd(V128_LOAD, 0, ...uleb(STATE4 + 16 * j)).simd(V128_CONST, ...BSWAP_LANES).simd(I8X16_SWIZZLE).set(V);
    for (let k = 0; k < 4; k++) c.get(out(k)).get(V).simd(I32X4_EXTRACT_LANE, k).op(I32_STORE_OP, 2, ...uleb(4 * j));
  }
  return { locals: [[4, I32], [1, V128]], code: c.b };
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function funcBody(locals: Array<[number, number]>, code: number[]): number[] {
  const body = [...uleb(locals.length), ...locals.flatMap(([n, type]) => [...uleb(n), type]), ...code, END];
  return [...uleb(body.length), ...body];
}

let cached: Uint8Array | undefined;

/** The module bytes (built once per process). */
export function sha256WasmBytes(): Uint8Array {
  if (cached !== undefined) return cached;
  const params = (k: number): number[] => [0x60, k, ...Array<number>(k).fill(I32), 0];
  const types = section(1, vec([params(1), params(3), params(4), params(9)]));
  const funcs = section(3, vec([[0], [1], [2], [3]]));
  const memory = section(5, vec([[0x00, 1]])); // min 1 page, no max
  const name = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s, 'utf8')];
  const exports = section(7, vec([[...name('memory'), 2, 0], [...name('hash'), 0, 1], [...name('hash4'), 0, 3]]));
  const bodies = [compressBody(), hashBody(), compress4Body(), hash4Body()];
  const code = section(10, [...uleb(bodies.length), ...bodies.flatMap((b) => funcBody(b.locals, b.code))]);
  cached = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...funcs, ...memory, ...exports, ...code]);
  return cached;
}

/** The slice of WebAssembly.Memory we use (the project's lib settings carry no WebAssembly types). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

export interface Sha256Wasm {
  readonly memory: WasmMemory;
  readonly hash: (ptr: number, len: number, out: number) => void;
  readonly hash4: (p0: number, p1: number, p2: number, p3: number, len: number, o0: number, o1: number, o2: number, o3: number) => void;
}

interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: unknown };
}

export function instantiateSha256Wasm(): Sha256Wasm {
  const wasm = (globalThis as unknown as { readonly WebAssembly: WasmApi }).WebAssembly;
  return new wasm.Instance(new wasm.Module(sha256WasmBytes()), {}).exports as Sha256Wasm;
}

/** An instance for one caller's scratch use: memory grown once to `bytes`, and a view of it. */
export interface Sha256Scratch {
  readonly wasm: Sha256Wasm;
  /** Views the whole memory (valid for good: the memory never grows again). */
  readonly mem: Uint8Array;
}

export function sha256Scratch(bytes: number): Sha256Scratch {
  const wasm = instantiateSha256Wasm();
  const have = wasm.memory.buffer.byteLength;
  if (have < bytes) wasm.memory.grow(Math.ceil((bytes - have) / 65536));
  return { wasm, mem: new Uint8Array(wasm.memory.buffer) };
}
