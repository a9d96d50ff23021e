// The 64-bit helpers never round: safe values convert exactly, anything beyond 2^53 - 1 is refused.
import type { Long } from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { isImmuError } from '../common/errors.js';
import { readU64Bin, toInt64, toSafeInteger, toTxId, toUint32, u64Bin } from './convert.js';

/** A Long-shaped value as protobufjs decodes it (two's complement words). */
function long(value: bigint, unsigned: boolean): Long {
  const bits = BigInt.asUintN(64, value);
  return { low: Number(bits & 0xffffffffn) | 0, high: Number(bits >> 32n) | 0, unsigned };
}

describe('convert', () => {
  it('converts safe uint64 and int64 Longs exactly', () => {
    expect(toTxId(long(9007199254740991n, true), 'tx')).toBe(Number.MAX_SAFE_INTEGER);
    expect(toTxId(long(4294967296n, true), 'tx')).toBe(4294967296);
    expect(toInt64(long(-9007199254740991n, false), 'ts')).toBe(-Number.MAX_SAFE_INTEGER);
    expect(toInt64(long(-1n, false), 'ts')).toBe(-1);
    expect(toTxId(undefined, 'tx')).toBe(0);
  });

  it('refuses values beyond 2^53 - 1 with INVALID_ARGUMENT naming the field', () => {
    const cases: unknown[] = [
      long(9007199254740992n, true),
      long(18446744073709551615n, true),
      long(-9007199254740992n, false),
      '9007199254740993',
      2 ** 53,
      1.5,
    ];
    for (const value of cases) {
      expect(() => toSafeInteger(value, 'atTx')).toThrow(/atTx/);
      try {
        toSafeInteger(value, 'atTx');
      } catch (err) {
        expect(isImmuError(err, 'INVALID_ARGUMENT')).toBe(true);
      }
    }
    expect(() => toTxId(long(-1n, false), 'tx')).toThrow(/negative/);
    expect(() => toUint32(-1, 'limit')).toThrow(/limit/);
  });

  it('round-trips 8-byte big-endian metadata values', () => {
    expect(readU64Bin(u64Bin(123456789012), 'x')).toBe(123456789012);
    expect(() => readU64Bin(Buffer.alloc(7), 'x')).toThrow(/8 bytes/);
  });
});
