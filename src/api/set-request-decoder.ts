// The Set RPC's request decoder. protobufjs builds a KeyValue object and two Buffer slices per KV, which
// the database then copies into its slabs: on a 1000-KV Set that garbage was a visible share of the
// server's time. This decoder reads the common shape (KVs of key and value, optional noWait) straight
// into KvColumns, spans of the request bytes, and yields to protobufjs for everything else (metadata,
// preconditions, repeated or unknown fields, unexpected wire types, malformed input), so behaviour
// outside the fast path is protobufjs's, byte for byte. proto/schema.proto: SetRequest { KVs = 1,
// noWait = 2, preconditions = 3 }, KeyValue { key = 1, value = 2, metadata = 3 }.
import type { ServiceDefinition } from '@grpc/grpc-js';
import { assert } from '../common/assert.js';
import type { KvColumns } from '../database/types.js';
import type { SetRequestMsg } from './proto-types.js';

/** A SetRequest decoded to columns: KVs stays empty, the KVs are in `columns`. */
export interface ColumnarSetRequestMsg extends SetRequestMsg {
  readonly columns: KvColumns;
}

export function isColumnarSetRequest(msg: SetRequestMsg): msg is ColumnarSetRequestMsg {
  return 'columns' in msg;
}

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const NO_KVS: readonly never[] = Object.freeze([]);

// The varint reader returns the position after the varint and leaves the value here: no object per
// read (this runs a few times per KV). A varint over 31 bits or past `end` is reported as -1.
let varintValue = 0;

function readVarint31(b: Buffer, pos: number, end: number): number {
  let v = 0;
  for (let shift = 0; shift <= 28; shift += 7) {
    if (pos >= end) return -1;
    const byte = b[pos++] as number;
    if (shift === 28 && byte > 0x07) return -1; // beyond 2^31 - 1: no message here is that long
    v |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      varintValue = v;
      return pos;
    }
  }
  return -1;
}

/**
 * Writes KV i's key and value spans (spans[4i..4i+3]) from the KeyValue body [pos, end); returns false
 * when the body is off the fast path (metadata, unknown or repeated fields, odd wire types, overruns).
 */
function readKv(b: Buffer, pos: number, end: number, spans: Uint32Array, i: number): boolean {
  const at = 4 * i;
  let seen = 0; // bit 1: key, bit 2: value
  spans[at] = pos; // an absent key or value is a zero-length span
  spans[at + 1] = 0;
  spans[at + 2] = pos;
  spans[at + 3] = 0;
  while (pos < end) {
    pos = readVarint31(b, pos, end);
    if (pos < 0) return false;
    const tag = varintValue;
    const field = tag >>> 3;
    if ((tag & 7) !== WIRE_LEN || (field !== 1 && field !== 2) || (seen & field) !== 0) return false;
    pos = readVarint31(b, pos, end);
    if (pos < 0 || pos + varintValue > end) return false;
    const slot = at + (field === 1 ? 0 : 2);
    spans[slot] = pos;
    spans[slot + 1] = varintValue;
    pos += varintValue;
    seen |= field;
  }
  return true;
}

/** The request as columns, or undefined to let protobufjs decode it. */
export function decodeSetRequestColumns(bytes: Buffer): ColumnarSetRequestMsg | undefined {
  const end = bytes.length;
  // pass 1: the top-level fields, counting KVs (each skipped over by its length)
  let count = 0;
  let noWait = false;
  let seenNoWait = false;
  let pos = 0;
  while (pos < end) {
    pos = readVarint31(bytes, pos, end);
    if (pos < 0) return undefined;
    const tag = varintValue;
    if (tag === ((1 << 3) | WIRE_LEN)) {
      pos = readVarint31(bytes, pos, end);
      if (pos < 0 || pos + varintValue > end) return undefined;
      pos += varintValue;
      count++;
    } else if (tag === ((2 << 3) | WIRE_VARINT) && !seenNoWait && pos < end && (bytes[pos] as number) < 0x80) {
      noWait = bytes[pos] !== 0; // a bool as encoders write it: one byte; anything longer goes to protobufjs
      pos++;
      seenNoWait = true;
    } else {
      return undefined; // preconditions, unknown fields, odd wire types: protobufjs decides
    }
  }
  // pass 2: each KV's key and value (pass 1 checked every bound and tag at this level)
  const spans = new Uint32Array(4 * count);
  let i = 0;
  pos = 0;
  while (pos < end) {
    pos = readVarint31(bytes, pos, end);
    if (varintValue !== ((1 << 3) | WIRE_LEN)) {
      pos++; // noWait's one byte
      continue;
    }
    pos = readVarint31(bytes, pos, end);
    const kvEnd = pos + varintValue;
    if (!readKv(bytes, pos, kvEnd, spans, i++)) return undefined;
    pos = kvEnd;
  }
  return { KVs: NO_KVS, noWait, preconditions: NO_KVS, columns: { bytes, spans, count } };
}

/** The service definition with Set decoded by decodeSetRequestColumns first (protobufjs otherwise). */
export function withColumnarSetDecoder(service: ServiceDefinition): ServiceDefinition {
  const set = service['Set'];
  assert(set !== undefined, 'the service has a Set method');
  const protobufjsDecode = set.requestDeserialize;
  return { ...service, Set: { ...set, requestDeserialize: (bytes: Buffer): unknown => decodeSetRequestColumns(bytes) ?? protobufjsDecode(bytes) } };
}
