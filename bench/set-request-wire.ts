// The server benchmark's request encoder: SetRequest and VerifiableSetRequest written straight to bytes
// (proto/schema.proto: SetRequest.KVs = 1, KeyValue.key = 1, KeyValue.value = 2,
// VerifiableSetRequest.setRequest = 1, .proveSinceTx = 2). The echo floor's driver does no codec work
// at all; with protobufjs building and encoding 1000 message objects per call, the driver would spend
// about 2 us per KV of the two cores the server is being measured on. These are the same bytes
// protobufjs produces (checkAgainstProtobufjs runs at the start of every benchmark), so the server
// decodes exactly what any client would send it.
import type protobuf from 'protobufjs';

export interface BenchKv {
  readonly key: Buffer;
  readonly value: Buffer;
}

function varintBytes(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

function writeVarint(buf: Buffer, at: number, n: number): number {
  while (n >= 0x80) {
    buf[at++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[at++] = n;
  return at;
}

function kvBodyBytes(kv: BenchKv): number {
  return 1 + varintBytes(kv.key.length) + kv.key.length + 1 + varintBytes(kv.value.length) + kv.value.length;
}

function setRequestBodyBytes(kvs: readonly BenchKv[]): number {
  let n = 0;
  for (const kv of kvs) {
    const body = kvBodyBytes(kv);
    n += 1 + varintBytes(body) + body;
  }
  return n;
}

function writeSetRequestBody(buf: Buffer, at: number, kvs: readonly BenchKv[]): number {
  for (const kv of kvs) {
    buf[at++] = 0x0a; // KVs, length-delimited
    at = writeVarint(buf, at, kvBodyBytes(kv));
    buf[at++] = 0x0a; // key
    at = writeVarint(buf, at, kv.key.length);
    at += kv.key.copy(buf, at);
    buf[at++] = 0x12; // value
    at = writeVarint(buf, at, kv.value.length);
    at += kv.value.copy(buf, at);
  }
  return at;
}

/** `SetRequest { KVs }` as protobuf bytes. */
export function encodeSetRequest(kvs: readonly BenchKv[]): Buffer {
  const buf = Buffer.allocUnsafe(setRequestBodyBytes(kvs));
  const end = writeSetRequestBody(buf, 0, kvs);
  return end === buf.length ? buf : buf.subarray(0, end);
}

/** `VerifiableSetRequest { setRequest: { KVs }, proveSinceTx }` as protobuf bytes. */
export function encodeVerifiableSetRequest(kvs: readonly BenchKv[], proveSinceTx: number): Buffer {
  const body = setRequestBodyBytes(kvs);
  const size = 1 + varintBytes(body) + body + 1 + varintBytes(proveSinceTx);
  const buf = Buffer.allocUnsafe(size);
  buf[0] = 0x0a;
  let at = writeVarint(buf, 1, body);
  at = writeSetRequestBody(buf, at, kvs);
  buf[at++] = 0x10; // proveSinceTx, varint (written even when 0, as protobufjs does for a set field)
  at = writeVarint(buf, at, proveSinceTx);
  return buf.subarray(0, at);
}

/** Throws unless both encoders produce protobufjs's bytes for sample requests. */
export function checkAgainstProtobufjs(setRequest: protobuf.Type, verifiableSetRequest: protobuf.Type, sample: readonly BenchKv[]): void {
  const same = (a: Uint8Array, b: Buffer, what: string): void => {
    if (!Buffer.from(a).equals(b)) throw new Error(`bench encoder differs from protobufjs for ${what}`);
  };
  same(setRequest.encode({ KVs: sample }).finish(), encodeSetRequest(sample), 'SetRequest');
  for (const since of [0, 1, 300, 2 ** 40]) {
    same(verifiableSetRequest.encode({ setRequest: { KVs: sample }, proveSinceTx: since }).finish(), encodeVerifiableSetRequest(sample, since), `VerifiableSetRequest(${since})`);
  }
}

/**
 * A SetRequest of `n` KVs whose keys end in a 12-digit decimal counter: the bytes are laid out once, and
 * each request copies them and writes its counters in place (the 1000-KV phase would otherwise spend
 * more driver time building keys than encoding them). Keys are `keyBytes` long: 'a' ‖ counter.
 */
export function setRequestTemplate(n: number, keyBytes: number, value: Buffer): (firstCounter: number) => Buffer {
  const digits = 12;
  const key = Buffer.alloc(keyBytes, 0x61);
  const template = encodeSetRequest(Array.from({ length: n }, () => ({ key, value })));
  const kvBytes = template.length / n;
  const keyAt = 1 + varintBytes(kvBodyBytes({ key, value })) + 1 + varintBytes(keyBytes); // within one KV
  return (first) => {
    const buf = Buffer.from(template);
    // the counter's decimal digits written in place, last digit first (no string per key)
    for (let i = 0; i < n; i++) {
      let v = first + i;
      const last = i * kvBytes + keyAt + keyBytes - 1;
      for (let d = 0; d < digits; d++) {
        buf[last - d] = 0x30 + (v % 10);
        v = Math.floor(v / 10);
      }
    }
    return buf;
  };
}
