// The byte layout of one indexed version, stored as a duplicate value under its key in the lmdb
// dupSort database. The txId comes first, big-endian, so lmdb's bytewise dup order is tx order and a
// key's history is its dups in order. Pure; knows nothing of lmdb or of how values are read.
//
//   0..8   txId     u64
//   8..12  vLogId   u32
//  12..20  offset   u64
//  20..24  length   u32
//  24..56  hVal     32 bytes
//  56..    kvmd     canonical KV metadata (0..11 bytes; never nonIndexable, those are not indexed)
import { assert } from '../../common/assert.js';
import { kvMetadataBytesMax } from '../../common/limits.js';
import { decodeKvMetadata } from '../../proof/metadata.js';
import type { IndexedValue } from '../types.js';

export const VERSION_FIXED_BYTES = 56;
export const VERSION_BYTES_MAX = VERSION_FIXED_BYTES + kvMetadataBytesMax;
const HVAL_OFFSET = 24;
const HVAL_BYTES = 32;
const TWO_POW_32 = 0x1_0000_0000;
const KV_DELETED_CODE = 0x00;

function writeU64(b: Buffer, n: number, o: number): void {
  b.writeUInt32BE(Math.floor(n / TWO_POW_32), o);
  b.writeUInt32BE(n >>> 0, o + 4);
}

function readU64(b: Uint8Array, o: number): number {
  const v = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const n = v.readUInt32BE(o) * TWO_POW_32 + v.readUInt32BE(o + 4);
  assert(Number.isSafeInteger(n), `index u64 at ${o} exceeds 2^53`);
  return n;
}

/** The 8-byte big-endian tx id, used as a dup bound: every version of tx < n sorts before txIdBound(n). */
export function txIdBound(txId: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  writeU64(b, txId, 0);
  return b;
}

/**
 * Writes one version into `slab` at `o` and returns the bytes written. `mdBytes` is the canonical
 * encoding of the entry's KV metadata. Field ranges are asserted: the store validated them already.
 */
export function writeVersion(
  slab: Buffer,
  o: number,
  txId: number,
  vLogId: number,
  offset: number,
  length: number,
  hVal: Buffer,
  mdBytes: Buffer,
): number {
  // checked per entry: the messages are built only on failure
  if (!(vLogId >= 0 && vLogId <= 0xffff_ffff)) assert(false, `vLogId ${vLogId} out of range`);
  if (!(length >= 0 && length <= 0xffff_ffff)) assert(false, `value length ${length} out of range`);
  if (!(Number.isSafeInteger(offset) && offset >= 0)) assert(false, `value offset ${offset} out of range`);
  if (hVal.length !== HVAL_BYTES) assert(false, `hVal is ${hVal.length} bytes`);
  writeU64(slab, txId, o);
  slab.writeUInt32BE(vLogId, o + 8);
  writeU64(slab, offset, o + 12);
  slab.writeUInt32BE(length, o + 20);
  hVal.copy(slab, o + HVAL_OFFSET);
  if (mdBytes.length > 0) mdBytes.copy(slab, o + VERSION_FIXED_BYTES);
  return VERSION_FIXED_BYTES + mdBytes.length;
}

export function versionTxId(bytes: Uint8Array): number {
  return readU64(bytes, 0);
}

/** Canonical metadata puts `deleted` (code 0x00) first, so a tombstone is recognised without decoding. */
export function versionIsTombstone(bytes: Uint8Array): boolean {
  return bytes.length > VERSION_FIXED_BYTES && bytes[VERSION_FIXED_BYTES] === KV_DELETED_CODE;
}

/** expiresAt in unix seconds, or undefined; decodes only when the version carries metadata. */
export function versionExpiresAt(bytes: Uint8Array): number | undefined {
  if (bytes.length <= VERSION_FIXED_BYTES) return undefined;
  return decodeKvMetadata(bytes.subarray(VERSION_FIXED_BYTES))?.expiresAt;
}

export function decodeVersion(key: Buffer, bytes: Uint8Array, revision: number): IndexedValue {
  assert(bytes.length >= VERSION_FIXED_BYTES && bytes.length <= VERSION_BYTES_MAX, `index version is ${bytes.length} bytes`);
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    key,
    txId: readU64(b, 0),
    metadata: b.length > VERSION_FIXED_BYTES ? decodeKvMetadata(b.subarray(VERSION_FIXED_BYTES)) : undefined,
    value: { vLogId: b.readUInt32BE(8), offset: readU64(b, 12), length: b.readUInt32BE(20) },
    hVal: Buffer.from(b.subarray(HVAL_OFFSET, HVAL_OFFSET + HVAL_BYTES)),
    revision,
  };
}
