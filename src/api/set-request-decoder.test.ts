// The columnar Set decoder against protobufjs on the same bytes: every request it accepts must decode
// to the KVs and noWait protobufjs finds, and every request off its fast path must be left to protobufjs
// (undefined), including malformed ones, so the server's answer to them does not change.
import { describe, expect, it } from 'vitest';
import { plainSetEntries, plainSetEntriesFromColumns } from '../database/writes.js';
import { ImmuError } from '../common/errors.js';
import { loadProtos } from './proto-loader.js';
import type { SetRequestMsg } from './proto-types.js';
import { decodeSetRequestColumns, withColumnarSetDecoder } from './set-request-decoder.js';

const protos = loadProtos();
const SetRequest = protos.messageType('immudb.schema.SetRequest');

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function bytesOf(rand: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

function encode(msg: object): Buffer {
  return Buffer.from(SetRequest.encode(msg).finish());
}

function columnsAsKvs(bytes: Buffer): { kvs: { key: Buffer; value: Buffer }[]; noWait: boolean } | undefined {
  const d = decodeSetRequestColumns(bytes);
  if (d === undefined) return undefined;
  const { spans, count } = d.columns;
  const kvs = Array.from({ length: count }, (_, i) => ({
    key: bytes.subarray(spans[4 * i] as number, (spans[4 * i] as number) + (spans[4 * i + 1] as number)),
    value: bytes.subarray(spans[4 * i + 2] as number, (spans[4 * i + 2] as number) + (spans[4 * i + 3] as number)),
  }));
  return { kvs, noWait: d.noWait };
}

describe('decodeSetRequestColumns', () => {
  it('agrees with protobufjs on 300 random requests (sizes across varint boundaries, empty keys and values, noWait)', () => {
    const rand = rng(7);
    const sizes = [0, 1, 2, 127, 128, 129, 300, 16_383, 16_384, 70_000];
    for (let t = 0; t < 300; t++) {
      const n = 1 + Math.floor(rand() * 40);
      const KVs = Array.from({ length: n }, () => ({
        key: bytesOf(rand, sizes[Math.floor(rand() * 6)] as number),
        value: bytesOf(rand, sizes[Math.floor(rand() * sizes.length)] as number),
      }));
      const noWait = rand() < 0.3 ? { noWait: rand() < 0.5 } : {};
      const bytes = encode({ KVs, ...noWait });
      const ours = columnsAsKvs(bytes);
      const theirs = SetRequest.decode(bytes) as unknown as SetRequestMsg;
      expect(ours).toBeDefined();
      expect(ours?.noWait).toBe(theirs.noWait);
      expect(ours?.kvs.length).toBe(theirs.KVs.length);
      ours?.kvs.forEach((kv, i) => {
        expect(kv.key.equals(theirs.KVs[i]?.key as Buffer)).toBe(true);
        expect(kv.value.equals(theirs.KVs[i]?.value as Buffer)).toBe(true);
      });
    }
  });

  it('leaves metadata, preconditions, unknown and repeated fields, odd wire types and truncation to protobufjs', () => {
    const kv = { key: Buffer.from('k'), value: Buffer.from('v') };
    const offPath: Buffer[] = [
      encode({ KVs: [{ ...kv, metadata: { nonIndexable: true } }] }),
      encode({ KVs: [kv], preconditions: [{ keyMustExist: { key: Buffer.from('k') } }] }),
      Buffer.concat([encode({ KVs: [kv] }), Buffer.from([0x28, 0x01])]), // unknown field 5
      Buffer.from([0x0a, 0x06, 0x0a, 0x01, 0x61, 0x0a, 0x01, 0x62]), // key twice in one KV
      Buffer.from([0x0a, 0x03, 0x22, 0x01, 0x61]), // KeyValue field 4
      Buffer.from([0x08, 0x01]), // KVs with varint wire type
      Buffer.from([0x10, 0x01, 0x10, 0x00]), // noWait twice
      Buffer.from([0x10, 0x81, 0x01]), // noWait as a two-byte varint
      encode({ KVs: [kv] }).subarray(0, 4), // truncated
      Buffer.from([0x0a, 0x05, 0x0a, 0x09, 0x61]), // key length beyond its KV
    ];
    for (const bytes of offPath) expect(decodeSetRequestColumns(bytes)).toBeUndefined();
  });

  it('as the server installs it: malformed bytes still fail in protobufjs, well-formed ones decode to columns', () => {
    const def = withColumnarSetDecoder(protos.immuService)['Set'];
    expect(() => def?.requestDeserialize(Buffer.from([0x0a, 0x05, 0x0a]))).toThrow();
    const msg = def?.requestDeserialize(encode({ KVs: [{ key: Buffer.from('a'), value: Buffer.from('b') }] })) as { columns?: unknown };
    expect(msg.columns).toBeDefined();
    const withMd = def?.requestDeserialize(encode({ KVs: [{ key: Buffer.from('a'), value: Buffer.from('b'), metadata: { nonIndexable: true } }] })) as SetRequestMsg;
    expect(withMd.KVs[0]?.metadata?.nonIndexable).toBe(true);
  });
});

describe('plainSetEntriesFromColumns', () => {
  it('builds the same store entries as plainSetEntries', () => {
    const rand = rng(11);
    const KVs = Array.from({ length: 50 }, (_, i) => ({ key: bytesOf(rand, 1 + (i % 40)), value: bytesOf(rand, i * 7) }));
    const bytes = encode({ KVs });
    const d = decodeSetRequestColumns(bytes);
    if (d === undefined) throw new Error('expected the fast path');
    const ours = plainSetEntriesFromColumns(d.columns);
    const theirs = plainSetEntries(KVs, 1);
    expect(ours.length).toBe(theirs.length);
    ours.forEach((e, i) => {
      expect(e.key.equals(theirs[i]?.key as Buffer)).toBe(true);
      expect(e.value.equals(theirs[i]?.value as Buffer)).toBe(true);
      expect(e.metadata).toBeUndefined();
    });
  });

  it('KVs without a value field, or with an empty one, get the one-byte prefixed empty value', () => {
    const bytes = Buffer.from([0x0a, 0x03, 0x0a, 0x01, 0x61, 0x0a, 0x05, 0x0a, 0x01, 0x62, 0x12, 0x00]);
    const theirs = plainSetEntries((SetRequest.decode(bytes) as unknown as SetRequestMsg).KVs.map((kv) => ({ key: kv.key, value: kv.value })), 1);
    const d = decodeSetRequestColumns(Buffer.from(bytes));
    if (d === undefined) throw new Error('expected the fast path');
    const ours = plainSetEntriesFromColumns(d.columns);
    expect(ours.map((e) => [e.key.toString('hex'), e.value.toString('hex')])).toEqual(theirs.map((e) => [e.key.toString('hex'), e.value.toString('hex')]));
    expect(ours.map((e) => e.value.toString('hex'))).toEqual(['00', '00']);
  });

  it('refuses an empty key and an empty list with the errors of the object path', () => {
    const bytes = encode({ KVs: [{ key: Buffer.from('a'), value: Buffer.from('1') }, { key: Buffer.alloc(0), value: Buffer.from('2') }] });
    const d = decodeSetRequestColumns(bytes);
    if (d === undefined) throw new Error('expected the fast path');
    const err = (f: () => unknown): ImmuError => {
      try {
        f();
      } catch (e) {
        return e as ImmuError;
      }
      throw new Error('expected a throw');
    };
    const ours = err(() => plainSetEntriesFromColumns(d.columns));
    const theirs = err(() => plainSetEntries([{ key: Buffer.from('a'), value: Buffer.from('1') }, { key: Buffer.alloc(0), value: Buffer.from('2') }], 1));
    expect([ours.code, ours.message]).toEqual([theirs.code, theirs.message]);
    expect(err(() => plainSetEntriesFromColumns({ bytes: Buffer.alloc(0), spans: new Uint32Array(0), count: 0 })).code).toBe('NO_ENTRIES');
  });
});
