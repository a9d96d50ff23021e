// TEST SUPPORT ONLY: encodes a message with the server's own protobufjs codec and decodes it again, so
// conversion tests see exactly what travels (absent vs empty fields, Long for 64-bit numbers, Buffers).
import protobuf, { type Long } from 'protobufjs';
import { loadProtos } from '../../proto-loader.js';

/** init -> bytes -> decoded message of `typeName` (e.g. 'immudb.schema.TxHeader'). */
export function throughWire<Msg>(typeName: string, init: object): Msg {
  const type = loadProtos().messageType(typeName);
  return type.decode(type.encode(init).finish()) as unknown as Msg;
}

/** The encoded bytes, for checks on which fields are present. */
export function encoded(typeName: string, init: object): Buffer {
  return Buffer.from(loadProtos().messageType(typeName).encode(init).finish());
}

/** Top-level field numbers present in encoded bytes, in order. */
export function fieldNumbers(bytes: Uint8Array): number[] {
  const reader = protobuf.Reader.create(bytes);
  const out: number[] = [];
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    out.push(tag >>> 3);
    reader.skipType(tag & 7);
  }
  return out;
}

/** A 64-bit wire value as protobufjs takes and gives it (two's complement words), e.g. 2^53 + 1. */
export function long(value: bigint, unsigned = true): Long {
  const bits = BigInt.asUintN(64, value);
  return { low: Number(bits & 0xffffffffn) | 0, high: Number(bits >> 32n) | 0, unsigned };
}
