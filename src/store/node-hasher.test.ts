import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { leafHash, nodeHash } from '../proof/hash.js';
import { wasmLeafHash, wasmNodeHash } from './node-hasher.js';

describe('node-hasher', () => {
  it('matches proof/hash.ts leafHash and nodeHash byte for byte', () => {
    for (let i = 0; i < 500; i++) {
      const a = randomBytes(32);
      const b = randomBytes(32);
      expect(wasmLeafHash(a).equals(leafHash(a))).toBe(true);
      expect(wasmNodeHash(a, b).equals(nodeHash(a, b))).toBe(true);
    }
    // results are fresh buffers, not views of the WASM memory
    const x = wasmNodeHash(Buffer.alloc(32, 1), Buffer.alloc(32, 2));
    const copy = Buffer.from(x);
    wasmNodeHash(Buffer.alloc(32, 3), Buffer.alloc(32, 4));
    expect(x.equals(copy)).toBe(true);
  });
});
