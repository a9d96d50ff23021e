// The database-layer byte encodings of core spec 1.7 (shared by the database, which writes them, and by
// clients and replicas, which rebuild them to verify proofs): which store key and store value a Set, a
// reference and a ZAdd write, and the decoders that turn store bytes back into user keys. These bytes are
// hashed into every entry digest, so they must match immudb exactly. Pure; no validation of limits here.
import { ImmuError } from '../common/errors.js';

/** First byte of a store key: the keyspace. */
export const SET_KEY_PREFIX = 0x00;
export const SORTED_SET_KEY_PREFIX = 0x01;
export const SQL_KEY_PREFIX = 0x02;
export const DOCUMENT_KEY_PREFIX = 0x03;

/** First byte of a store value in the plain keyspace. */
export const PLAIN_VALUE_PREFIX = 0x00;
export const REFERENCE_VALUE_PREFIX = 0x01;

const U64_BYTES = 8;

export function encodeKey(userKey: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([SET_KEY_PREFIX]), userKey]);
}

export function encodePlainValue(userValue: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([PLAIN_VALUE_PREFIX]), userValue]);
}

/** Store value of a reference: 0x01 ‖ u64(atTx) ‖ 0x00 ‖ referencedKey. */
export function encodeReferenceValue(referencedUserKey: Uint8Array, atTx: number): Buffer {
  const b = Buffer.allocUnsafe(1 + U64_BYTES + 1 + referencedUserKey.length);
  b[0] = REFERENCE_VALUE_PREFIX;
  b.writeBigUInt64BE(BigInt(atTx), 1);
  b[1 + U64_BYTES] = SET_KEY_PREFIX;
  b.set(referencedUserKey, 2 + U64_BYTES);
  return b;
}

/** Removes the one-byte keyspace prefix of a store key. */
export function trimPrefix(storeBytes: Uint8Array): Buffer {
  const b = Buffer.from(storeBytes.buffer, storeBytes.byteOffset, storeBytes.byteLength);
  return b.length === 0 ? b : b.subarray(1);
}

export type DecodedValue =
  | { readonly kind: 'plain'; readonly value: Buffer }
  | { readonly kind: 'reference'; readonly referencedKey: Buffer; readonly atTx: number }
  /** A tombstone (or any empty store value): no prefix byte at all. */
  | { readonly kind: 'empty' };

/** Decodes a plain-keyspace store value. Unknown prefixes are corrupt data, never guessed at. */
export function decodeValue(storeValue: Buffer): DecodedValue {
  if (storeValue.length === 0) return { kind: 'empty' };
  const prefix = storeValue[0];
  if (prefix === PLAIN_VALUE_PREFIX) return { kind: 'plain', value: storeValue.subarray(1) };
  if (prefix === REFERENCE_VALUE_PREFIX) {
    if (storeValue.length < 2 + U64_BYTES || storeValue[1 + U64_BYTES] !== SET_KEY_PREFIX) {
      throw new ImmuError('CORRUPTED_DATA', 'malformed reference value');
    }
    const atTx = storeValue.readBigUInt64BE(1);
    if (atTx > BigInt(Number.MAX_SAFE_INTEGER)) throw new ImmuError('CORRUPTED_DATA', 'reference atTx out of range');
    return { kind: 'reference', atTx: Number(atTx), referencedKey: storeValue.subarray(2 + U64_BYTES) };
  }
  throw new ImmuError('CORRUPTED_DATA', `unknown value prefix ${String(prefix)}`);
}

/** A sorted-set member as encoded in its store key. */
export interface ZMember {
  readonly set: Buffer;
  readonly score: number;
  /** The member's user key (without the 0x00 prefix). */
  readonly key: Buffer;
  readonly atTx: number;
}

/** Prefix of every member key of one set: 0x01 ‖ u64(len(set)) ‖ set. */
export function encodeZSetPrefix(set: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(1 + U64_BYTES + set.length);
  b[0] = SORTED_SET_KEY_PREFIX;
  b.writeBigUInt64BE(BigInt(set.length), 1);
  b.set(set, 1 + U64_BYTES);
  return b;
}

/** 0x01 ‖ u64(len(set)) ‖ set ‖ u64(float64bits(score)) ‖ u64(len(0x00‖key)) ‖ 0x00 ‖ key ‖ u64(atTx). */
export function encodeZAddKey(set: Uint8Array, score: number, userKey: Uint8Array, atTx: number): Buffer {
  const storeKey = encodeKey(userKey);
  const tail = Buffer.allocUnsafe(U64_BYTES + U64_BYTES + storeKey.length + U64_BYTES);
  let o = 0;
  tail.writeDoubleBE(score, o);
  o += U64_BYTES;
  tail.writeBigUInt64BE(BigInt(storeKey.length), o);
  o += U64_BYTES;
  storeKey.copy(tail, o);
  o += storeKey.length;
  tail.writeBigUInt64BE(BigInt(atTx), o);
  return Buffer.concat([encodeZSetPrefix(set), tail]);
}

/** Inverse of encodeZAddKey; CORRUPTED_DATA when the lengths do not add up. */
export function decodeZAddKey(storeKey: Buffer): ZMember {
  const bad = (): ImmuError => new ImmuError('CORRUPTED_DATA', 'malformed sorted-set key');
  if (storeKey.length < 1 + U64_BYTES || storeKey[0] !== SORTED_SET_KEY_PREFIX) throw bad();
  const setLen = readLength(storeKey, 1, bad);
  let o = 1 + U64_BYTES;
  if (o + setLen + 2 * U64_BYTES > storeKey.length) throw bad();
  const set = storeKey.subarray(o, o + setLen);
  o += setLen;
  const score = storeKey.readDoubleBE(o);
  o += U64_BYTES;
  const keyLen = readLength(storeKey, o, bad);
  o += U64_BYTES;
  if (keyLen < 1 || o + keyLen + U64_BYTES !== storeKey.length || storeKey[o] !== SET_KEY_PREFIX) throw bad();
  const key = storeKey.subarray(o + 1, o + keyLen);
  o += keyLen;
  const atTx = readLength(storeKey, o, bad);
  return { set, score, key, atTx };
}

function readLength(b: Buffer, offset: number, bad: () => ImmuError): number {
  const v = b.readBigUInt64BE(offset);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw bad();
  return Number(v);
}
