// The database-layer bytes a verified call expects to find in a transaction (core spec 1.7): store key
// 0x00‖key, plain value 0x00‖value, reference value 0x01‖u64(atTx)‖0x00‖key, and the ZAdd store key.
// The client rebuilds these itself, from what it asked for, instead of trusting the server's; it must
// not import src/database, so they are written here from the spec. Pure.

const SET_KEY_PREFIX = 0x00;
const SORTED_SET_KEY_PREFIX = 0x01;
const PLAIN_VALUE_PREFIX = 0x00;
const REFERENCE_VALUE_PREFIX = 0x01;
const U64_BYTES = 8;

export function storeKey(userKey: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([SET_KEY_PREFIX]), userKey]);
}

export function plainValue(userValue: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([PLAIN_VALUE_PREFIX]), userValue]);
}

export function referenceValue(referencedUserKey: Uint8Array, atTx: number): Buffer {
  const b = Buffer.allocUnsafe(1 + U64_BYTES + 1 + referencedUserKey.length);
  b[0] = REFERENCE_VALUE_PREFIX;
  b.writeBigUInt64BE(BigInt(atTx), 1);
  b[1 + U64_BYTES] = SET_KEY_PREFIX;
  b.set(referencedUserKey, 2 + U64_BYTES);
  return b;
}

/** 0x01 ‖ u64(len set) ‖ set ‖ f64bits(score) ‖ u64(len(0x00‖key)) ‖ 0x00‖key ‖ u64(atTx). */
export function zAddKey(set: Uint8Array, score: number, userKey: Uint8Array, atTx: number): Buffer {
  const member = storeKey(userKey);
  const b = Buffer.allocUnsafe(1 + U64_BYTES + set.length + 3 * U64_BYTES + member.length);
  let o = 0;
  b[o++] = SORTED_SET_KEY_PREFIX;
  b.writeBigUInt64BE(BigInt(set.length), o);
  o += U64_BYTES;
  b.set(set, o);
  o += set.length;
  b.writeDoubleBE(score, o);
  o += U64_BYTES;
  b.writeBigUInt64BE(BigInt(member.length), o);
  o += U64_BYTES;
  member.copy(b, o);
  o += member.length;
  b.writeBigUInt64BE(BigInt(atTx), o);
  return b;
}
