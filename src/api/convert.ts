// Validated conversions between wire values and the JS values the layers below use. Every 64-bit
// protobuf field arrives as a protobufjs Long (never a silently rounded number); it becomes a JS number
// only through these helpers, which throw INVALID_ARGUMENT naming the field when the value is beyond
// Number.MAX_SAFE_INTEGER (or negative where that makes no sense). There is no unchecked path.
// This file does not know which RPC it serves; callers pass the field name for the error message.
import type { Long } from 'protobufjs';
import { ImmuError } from '../common/errors.js';

const twoPow32 = 0x1_0000_0000;
const safeHighMax = 0x1f_ffff; // high word of Number.MAX_SAFE_INTEGER (2^53 - 1)

function invalid(field: string, why: string): ImmuError {
  return new ImmuError('INVALID_ARGUMENT', `${field}: ${why}`, { field });
}

function isLong(value: unknown): value is Long {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { low?: unknown }).low === 'number' &&
    typeof (value as { high?: unknown }).high === 'number' &&
    typeof (value as { unsigned?: unknown }).unsigned === 'boolean'
  );
}

function longToSafeNumber(value: Long, field: string): number {
  const lo = value.low >>> 0;
  if (value.unsigned || value.high >= 0) {
    const hi = value.high >>> 0;
    if (hi > safeHighMax) throw invalid(field, 'value is beyond 2^53 - 1');
    return hi * twoPow32 + lo;
  }
  // signed negative: two's complement of the 64-bit value
  const hi = ~value.high >>> 0;
  const magnitudeLo = (~value.low >>> 0) + 1;
  const magnitude = hi * twoPow32 + magnitudeLo;
  if (hi > safeHighMax || !Number.isSafeInteger(magnitude)) throw invalid(field, 'value is below -(2^53 - 1)');
  return -magnitude;
}

/** Any 64-bit wire value (or a number/string/bigint) to a safe JS integer; throws if it is not one. */
export function toSafeInteger(value: unknown, field: string): number {
  if (value === null || value === undefined) return 0; // proto3: absent scalar = 0
  if (isLong(value)) return longToSafeNumber(value, field);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw invalid(field, 'not a safe integer');
    return value;
  }
  if (typeof value === 'bigint') {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw invalid(field, 'value is beyond 2^53 - 1');
    }
    return Number(value);
  }
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return toSafeInteger(BigInt(value), field);
  throw invalid(field, 'not an integer');
}

/** A non-negative safe integer (uint64 fields that are counts, offsets, limits). */
export function toUint(value: unknown, field: string): number {
  const n = toSafeInteger(value, field);
  if (n < 0) throw invalid(field, 'must not be negative');
  return n;
}

/** A transaction id: 0 means "none/latest" where the RPC allows it; beyond 2^53 - 1 is refused. */
export function toTxId(value: unknown, field: string): number {
  return toUint(value, field);
}

/** A unix timestamp or duration held in an int64 (may be negative only if the caller allows it). */
export function toInt64(value: unknown, field: string): number {
  return toSafeInteger(value, field);
}

/** A 32-bit field that the schema declares uint32 but the layers treat as a count. */
export function toUint32(value: unknown, field: string): number {
  if (value === null || value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw invalid(field, 'not a uint32');
  }
  return value;
}

/** Bytes fields: protobufjs may hand out a shared empty array for an absent field; always a Buffer. */
export function toBuffer(value: unknown, field: string): Buffer {
  if (value === null || value === undefined) return Buffer.alloc(0);
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value) && value.length === 0) return Buffer.alloc(0);
  throw invalid(field, 'not bytes');
}

/** UTF-8 text carried in a bytes field (user names, passwords). */
export function toUtf8(value: unknown, field: string): string {
  return toBuffer(value, field).toString('utf8');
}

/** 8-byte big-endian encoding of a safe non-negative integer (stream metadata `*-bin` values). */
export function u64Bin(value: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0) throw invalid('u64', 'not a safe non-negative integer');
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt(value));
  return out;
}

/** Reads an 8-byte big-endian metadata value; throws INVALID_ARGUMENT on a wrong length or overflow. */
export function readU64Bin(value: Uint8Array, field: string): number {
  if (value.byteLength !== 8) throw invalid(field, `expected 8 bytes, got ${value.byteLength}`);
  return toUint(Buffer.from(value.buffer, value.byteOffset, 8).readBigUInt64BE(0), field);
}
