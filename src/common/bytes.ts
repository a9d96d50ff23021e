// Big-endian integer encoding and small byte helpers shared by hashing and storage. Every integer in a
// hashed or stored immudb structure is big-endian; tx ids and offsets are bigint where they may pass 2^53.
import { assert } from './assert.js';

export function u16(n: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(n, 0);
  return b;
}

export function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n, 0);
  return b;
}

/** u64 big-endian from a number (must be a safe non-negative integer) or a bigint. */
export function u64(n: number | bigint): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64BE(BigInt.asUintN(64, BigInt(n)), 0);
  return b;
}

/** Signed int64 written as its two's-complement u64 (timestamps). */
export function i64(n: number | bigint): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigInt64BE(BigInt(n), 0);
  return b;
}

/**
 * writeBigUInt64BE(BigInt(n)) at b[o, o+8), same bytes and same errors, without a BigInt when n is a
 * safe non-negative integer (hot paths: ids, offsets).
 */
export function writeU64BE(b: Uint8Array, o: number, n: number): void {
  if (Number.isSafeInteger(n) && n >= 0 && o >= 0 && o + 8 <= b.length) writeU32Pair(b, o, Math.floor(n / 2 ** 32), n >>> 0);
  else toBuffer(b).writeBigUInt64BE(BigInt(n), o);
}

/** writeBigInt64BE(BigInt(n)) at b[o, o+8), same bytes and same errors, without a BigInt when n is a safe integer. */
export function writeI64BE(b: Uint8Array, o: number, n: number): void {
  if (Number.isSafeInteger(n) && o >= 0 && o + 8 <= b.length) writeU32Pair(b, o, Math.floor(n / 2 ** 32), n >>> 0);
  else toBuffer(b).writeBigInt64BE(BigInt(n), o);
}

function writeU32Pair(b: Uint8Array, o: number, hi: number, lo: number): void {
  b[o] = hi >>> 24;
  b[o + 1] = (hi >>> 16) & 0xff;
  b[o + 2] = (hi >>> 8) & 0xff;
  b[o + 3] = hi & 0xff;
  b[o + 4] = lo >>> 24;
  b[o + 5] = (lo >>> 16) & 0xff;
  b[o + 6] = (lo >>> 8) & 0xff;
  b[o + 7] = lo & 0xff;
}

/** Big-endian u16 at b[o, o+2) (any Uint8Array, e.g. WASM memory). */
export function writeU16BE(b: Uint8Array, o: number, n: number): void {
  assert(Number.isInteger(n) && n >= 0 && n <= 0xffff, 'u16 range');
  b[o] = n >>> 8;
  b[o + 1] = n & 0xff;
}

/** Big-endian u32 at b[o, o+4) (any Uint8Array, e.g. WASM memory). */
export function writeU32BE(b: Uint8Array, o: number, n: number): void {
  assert(Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff, 'u32 range');
  b[o] = n >>> 24;
  b[o + 1] = (n >>> 16) & 0xff;
  b[o + 2] = (n >>> 8) & 0xff;
  b[o + 3] = n & 0xff;
}

/** dst[dOff, +n) = src[sOff, +n) for a few bytes (a digest), without the view Buffer.copy makes for an offset source. */
export function copyBytes(src: Uint8Array, sOff: number, dst: Uint8Array, dOff: number, n: number): void {
  for (let i = 0; i < n; i++) dst[dOff + i] = src[sOff + i] as number;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function fromHex(s: string): Buffer {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) {
    throw new TypeError(`not a hex string: ${s.slice(0, 32)}`);
  }
  return Buffer.from(s, 'hex');
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

export function toBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

export const ZERO32: Buffer = Buffer.alloc(32);
