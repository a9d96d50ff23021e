// Entry digests (v0 and v1) and KV metadata encodings against entry_digests.json, byte for byte.
import { describe, expect, it } from 'vitest';
import { isImmuError } from '../common/errors.js';
import { entryDigestFor, entryDigestV0, entryDigestV1 } from './entry-digest.js';
import { sha256 } from './hash.js';
import { decodeKvMetadata, encodeKvMetadata } from './metadata.js';
import { hexBuf, loadVector } from './test-vectors.js';

interface DigestVector {
  readonly name: string;
  readonly key: string;
  readonly md: string;
  readonly value: string;
  readonly hValue: string;
  readonly digestV1: string;
  readonly digestV0?: string;
}

const { entries } = loadVector<{ entries: readonly DigestVector[] }>('entry_digests.json');

describe('entry digests (entry_digests.json)', () => {
  it('has all 12 entries', () => expect(entries).toHaveLength(12));

  for (const e of entries) {
    describe(e.name, () => {
      const key = hexBuf(e.key);
      const md = hexBuf(e.md);
      const hVal = sha256(hexBuf(e.value));

      it('hValue = H(value)', () => expect(hVal.toString('hex')).toBe(e.hValue));

      it('v1 digest', () => {
        expect(entryDigestV1(key, md, hVal).toString('hex')).toBe(e.digestV1);
        expect(entryDigestFor(1)(key, md, hVal).toString('hex')).toBe(e.digestV1);
      });

      if (e.digestV0 !== undefined) {
        const v0 = e.digestV0;
        it('v0 digest', () => {
          expect(entryDigestV0(key, md, hVal).toString('hex')).toBe(v0);
          expect(entryDigestFor(0)(key, md, hVal).toString('hex')).toBe(v0);
        });
      } else {
        it('v0 digest is refused because the entry carries metadata', () => {
          expect(md.length).toBeGreaterThan(0);
          let caught: unknown;
          try {
            entryDigestV0(key, md, hVal);
          } catch (err) {
            caught = err;
          }
          expect(isImmuError(caught, 'METADATA_INVALID')).toBe(true);
        });
      }

      it('kv metadata re-encodes canonically', () => {
        expect(encodeKvMetadata(decodeKvMetadata(md)).toString('hex')).toBe(e.md);
      });
    });
  }
});
