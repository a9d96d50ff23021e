// The bytes the client rebuilds for verified calls equal immudb's (golden entry-digest vectors) and the
// server's own encoder (src/database/encoding.ts), so the client's expectation and the store agree.
import { describe, expect, it } from 'vitest';
import { encodeKey, encodePlainValue, encodeReferenceValue, encodeZAddKey } from '../database/encoding.js';
import { entryDigestV1, sha256 } from '../proof/index.js';
import { hexBuf, loadVector } from '../proof/test-vectors.js';
import { plainValue, referenceValue, storeKey, zAddKey } from './kv-encoding.js';

interface DigestVector {
  readonly name: string;
  readonly key: string;
  readonly value: string;
  readonly md: string;
  readonly digestV1: string;
}

const vectors = loadVector<{ entries: DigestVector[] }>('entry_digests.json').entries;

function vector(name: string): DigestVector {
  const v = vectors.find((x) => x.name === name);
  if (v === undefined) throw new Error(`no vector ${name}`);
  return v;
}

describe('kv-encoding', () => {
  it('plain set key1=value1', () => {
    const v = vector('plain set key1=value1 (db-encoded)');
    expect(storeKey(Buffer.from('key1')).toString('hex')).toBe(v.key);
    expect(plainValue(Buffer.from('value1')).toString('hex')).toBe(v.value);
    expect(entryDigestV1(storeKey(Buffer.from('key1')), Buffer.alloc(0), sha256(plainValue(Buffer.from('value1')))).toString('hex')).toBe(v.digestV1);
  });

  it('references, bound and unbound', () => {
    expect(referenceValue(Buffer.from('key1'), 0).toString('hex')).toBe(vector('reference ref1 -> key1 unbound (atTx=0)').value);
    expect(referenceValue(Buffer.from('key1'), 1).toString('hex')).toBe(vector('reference ref1 -> key1 bound at tx 1').value);
  });

  it('zadd keys, positive and negative scores', () => {
    expect(zAddKey(Buffer.from('set1'), 1.5, Buffer.from('key1'), 0).toString('hex')).toBe(vector('zadd set1 score=1.5 key1 atTx=0').key);
    expect(zAddKey(Buffer.from('set1'), -2, Buffer.from('key1'), 3).toString('hex')).toBe(vector('zadd set1 score=-2 key1 atTx=3').key);
  });

  it('agrees with the server encoder on odd inputs', () => {
    for (const key of [Buffer.alloc(0), Buffer.from([0, 1, 255]), hexBuf('ff'.repeat(40))]) {
      expect(storeKey(key).equals(encodeKey(key))).toBe(true);
      expect(plainValue(key).equals(encodePlainValue(key))).toBe(true);
      expect(referenceValue(key, 2 ** 40).equals(encodeReferenceValue(key, 2 ** 40))).toBe(true);
      expect(zAddKey(key, -0.25, key, 7).equals(encodeZAddKey(key, -0.25, key, 7))).toBe(true);
    }
  });
});
