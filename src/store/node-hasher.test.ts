import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { leafHash, nodeHash } from '../proof/hash.js';
import { encodeTxMetadata, type TxMetadata } from '../proof/metadata.js';
import { txAlh, type TxHeader } from '../proof/tx-header.js';
import { lastDigestInto, leafHashInto, nodeHashChainInto, nodeHashInto, wasmLeafHash, wasmNodeHash, wasmTxAlh } from './node-hasher.js';

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

  it('the Into forms write at an offset; a chain hashes onto the last digest produced', () => {
    const a = randomBytes(32);
    const b = randomBytes(32);
    const c = randomBytes(32);
    const out = Buffer.alloc(200);
    leafHashInto(a, out, 7);
    expect(out.subarray(7, 39).equals(leafHash(a))).toBe(true);
    nodeHashChainInto(b, out, 50); // H(0x01 ‖ b ‖ leafHash(a))
    expect(out.subarray(50, 82).equals(nodeHash(b, leafHash(a)))).toBe(true);
    nodeHashInto(a, c, out, 100);
    expect(out.subarray(100, 132).equals(nodeHash(a, c))).toBe(true);
    nodeHashChainInto(b, out, 150);
    expect(out.subarray(150, 182).equals(nodeHash(b, nodeHash(a, c)))).toBe(true);
    const last = Buffer.alloc(32);
    lastDigestInto(last, 0);
    expect(last.equals(out.subarray(150, 182))).toBe(true);
  });

  it('wasmTxAlh equals proof/tx-header.ts txAlh (v0 and v1, metadata, negative and large fields)', () => {
    const metas: Array<TxMetadata | undefined> = [undefined, { truncatedUptoTx: 5 }, { extra: Buffer.alloc(256, 9) }, { truncatedUptoTx: 2 ** 40, extra: Buffer.from('x') }];
    for (const version of [0, 1] as const) {
      for (const metadata of version === 0 ? [undefined] : metas) {
        for (const [id, ts, blTxId, nEntries] of [
          [1, 0, 0, 1],
          [2, -1, 1, 65_535],
          [2 ** 40 + 3, 1_700_000_000, 2 ** 40 + 2, 7],
          [Number.MAX_SAFE_INTEGER, -(2 ** 52), 2 ** 32, version === 0 ? 2 : 2 ** 31 + 5],
          [9, 2 ** 60, 3, 1], // an unsafe ts (a decoded damaged record): same bytes as the BigInt path
        ] as const) {
          const h: TxHeader = {
            id,
            ts,
            blTxId,
            blRoot: randomBytes(32),
            prevAlh: randomBytes(32),
            version,
            metadata,
            nEntries,
            eh: randomBytes(32),
          };
          expect(wasmTxAlh(h, encodeTxMetadata(metadata)).equals(txAlh(h)), `v${version} id ${id} ts ${ts}`).toBe(true);
        }
      }
    }
  });
});
