// The WASM SHA-256 (sha256-wasm.ts) against node:crypto: the scalar and four-lane functions for every
// message length around the block boundaries, and proof/hash.ts's sha256 on both sides of the size at
// which it hands messages to node:crypto instead.
import { hash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256 } from './hash.js';
import { instantiateSha256Wasm } from './sha256-wasm.js';

describe('WASM SHA-256', () => {
  it('the WASM SHA-256 equals node:crypto for every length around block boundaries', () => {
    const wasm = instantiateSha256Wasm();
    wasm.memory.grow(1);
    const mem = new Uint8Array(wasm.memory.buffer);
    for (let len = 0; len <= 260; len++) {
      const m = Buffer.from(Array.from({ length: len }, (_, i) => (i * 131 + len) & 0xff));
      mem.set(m, 3000 + (len % 5));
      wasm.hash(3000 + (len % 5), len, 2100);
      expect(Buffer.from(mem.subarray(2100, 2132)).equals(hash('sha256', m, 'buffer') as unknown as Buffer), `len ${len}`).toBe(true);
    }
  });

  it('the four-lane WASM SHA-256 (hash4) equals node:crypto for four different messages of every length', () => {
    const wasm = instantiateSha256Wasm();
    wasm.memory.grow(1);
    const mem = new Uint8Array(wasm.memory.buffer);
    for (let len = 0; len <= 260; len++) {
      const ms = [0, 1, 2, 3].map((k) => Buffer.from(Array.from({ length: len }, (_, i) => (i * 131 + len * 7 + k * 29) & 0xff)));
      const at = [3000, 3400 + 1, 3800 + 2, 4200 + 3];
      const out = [2100, 2140, 2180, 2220];
      ms.forEach((m, k) => mem.set(m, at[k] as number));
      wasm.hash4(at[0] as number, at[1] as number, at[2] as number, at[3] as number, len, out[0] as number, out[1] as number, out[2] as number, out[3] as number);
      ms.forEach((m, k) => {
        const got = Buffer.from(mem.subarray(out[k] as number, (out[k] as number) + 32));
        expect(got.equals(hash('sha256', m, 'buffer') as unknown as Buffer), `len ${len} lane ${k}`).toBe(true);
      });
    }
  });

  it('proof sha256 equals node:crypto for every length up to 1100 (WASM below 1 KiB, node:crypto above)', () => {
    for (let len = 0; len <= 1100; len++) {
      const m = Buffer.from(Array.from({ length: len }, (_, i) => (i * 37 + len * 11) & 0xff));
      const got = sha256(m.subarray(0));
      expect(got.equals(hash('sha256', m, 'buffer') as unknown as Buffer), `len ${len}`).toBe(true);
    }
    // results are fresh buffers, not views of the WASM memory
    const a = sha256(Buffer.from('a'));
    const copy = Buffer.from(a);
    sha256(Buffer.from('b'));
    expect(a.equals(copy)).toBe(true);
  });
});
