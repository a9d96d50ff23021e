// The database-layer encodings against immudb's own bytes (shared/vectors/entry_digests.json).
import { describe, expect, it } from 'vitest';
import { isImmuError } from '../common/errors.js';
import { loadVector } from './test-vectors.js';
import {
  decodeValue,
  decodeZAddKey,
  encodeKey,
  encodePlainValue,
  encodeReferenceValue,
  encodeZAddKey,
  trimPrefix,
} from './kv-encoding.js';

interface DigestVectors {
  readonly entries: readonly { readonly name: string; readonly key: string; readonly value: string }[];
}

const vectors = loadVector<DigestVectors>('entry_digests.json').entries;
const byName = (part: string): { key: Buffer; value: Buffer } => {
  const v = vectors.find((e) => e.name.includes(part));
  if (v === undefined) throw new Error(`no vector named ${part}`);
  return { key: Buffer.from(v.key, 'hex'), value: Buffer.from(v.value, 'hex') };
};
const b = (s: string): Buffer => Buffer.from(s);

describe('database-layer encodings (core spec 1.7)', () => {
  it('plain set: 0x00 key prefix and 0x00 value prefix', () => {
    const v = byName('plain set key1=value1');
    expect(encodeKey(b('key1'))).toEqual(v.key);
    expect(encodePlainValue(b('value1'))).toEqual(v.value);
  });

  it('references, unbound and bound', () => {
    const unbound = byName('unbound (atTx=0)');
    expect(encodeKey(b('ref1'))).toEqual(unbound.key);
    expect(encodeReferenceValue(b('key1'), 0)).toEqual(unbound.value);
    const bound = byName('bound at tx 1');
    expect(encodeReferenceValue(b('key1'), 1)).toEqual(bound.value);
    expect(decodeValue(bound.value)).toEqual({ kind: 'reference', atTx: 1, referencedKey: b('key1') });
  });

  it('zAdd keys, including a negative score and a bound member', () => {
    expect(encodeZAddKey(b('set1'), 1.5, b('key1'), 0)).toEqual(byName('score=1.5').key);
    const neg = byName('score=-2');
    expect(encodeZAddKey(b('set1'), -2, b('key1'), 3)).toEqual(neg.key);
    expect(decodeZAddKey(neg.key)).toEqual({ set: b('set1'), score: -2, key: b('key1'), atTx: 3 });
  });

  it('decodes plain values, tombstones and trims prefixes', () => {
    expect(decodeValue(encodePlainValue(b('v')))).toEqual({ kind: 'plain', value: b('v') });
    expect(decodeValue(Buffer.alloc(0))).toEqual({ kind: 'empty' });
    expect(trimPrefix(encodeKey(b('abc')))).toEqual(b('abc'));
  });

  it('refuses malformed store bytes as CORRUPTED_DATA', () => {
    const corrupt = (f: () => unknown): boolean => {
      try {
        f();
        return false;
      } catch (err) {
        return isImmuError(err, 'CORRUPTED_DATA');
      }
    };
    expect(corrupt(() => decodeValue(Buffer.from([0x07, 1])))).toBe(true);
    expect(corrupt(() => decodeValue(Buffer.from([0x01, 0, 0])))).toBe(true);
    const z = encodeZAddKey(b('s'), 1, b('k'), 0);
    expect(corrupt(() => decodeZAddKey(z.subarray(0, z.length - 1)))).toBe(true);
    expect(corrupt(() => decodeZAddKey(Buffer.concat([z, Buffer.from([0])])))).toBe(true);
  });
});
