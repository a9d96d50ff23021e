// Tx header hashing and export bytes against tx_headers.json: innerPreimage, innerHash, Alh, export
// encode/decode, and the decoder's rejections.
import { describe, expect, it } from 'vitest';
import { isImmuError } from '../common/errors.js';
import { EMPTY_HASH } from './hash.js';
import { encodeTxMetadata } from './metadata.js';
import { headerFromVector, hexBuf, loadVector, type HeaderVector } from './test-vectors.js';
import { alhFrom, decodeTxHeaderExport, encodeTxHeaderExport, innerHash, innerPreimage, txAlh } from './tx-header.js';

const { headers } = loadVector<{ headers: readonly HeaderVector[] }>('tx_headers.json');

function rejects(bytes: Buffer, code: 'CORRUPTED_DATA' | 'METADATA_INVALID' = 'CORRUPTED_DATA'): void {
  let caught: unknown;
  try {
    decodeTxHeaderExport(bytes);
  } catch (err) {
    caught = err;
  }
  expect(isImmuError(caught, code), String(caught)).toBe(true);
}

describe('tx headers (tx_headers.json)', () => {
  it('has 5 headers', () => expect(headers).toHaveLength(5));

  for (const v of headers) {
    describe(v.name ?? `tx ${v.id}`, () => {
      const h = headerFromVector(v);

      it('innerPreimage and its length', () => {
        const pre = innerPreimage(h);
        expect(pre.toString('hex')).toBe(v.innerPreimage);
        const mdLen = encodeTxMetadata(h.metadata).length;
        expect(pre.length).toBe(h.version === 0 ? 84 : 88 + mdLen);
      });

      it('innerHash', () => expect(innerHash(h).toString('hex')).toBe(v.innerHash));

      it('Alh', () => {
        expect(txAlh(h).toString('hex')).toBe(v.alh);
        expect(alhFrom(h.id, h.prevAlh, hexBuf(v.innerHash)).toString('hex')).toBe(v.alh);
      });

      it('export bytes encode', () => expect(encodeTxHeaderExport(h).toString('hex')).toBe(v.headerBytes_export));

      it('export bytes decode to the same header', () => {
        const d = decodeTxHeaderExport(hexBuf(v.headerBytes_export));
        expect(d).toEqual(h);
        expect(txAlh(d).toString('hex')).toBe(v.alh);
      });

      it('decode rejects truncated and extended bytes', () => {
        const b = hexBuf(v.headerBytes_export);
        rejects(b.subarray(0, b.length - 1));
        rejects(b.subarray(0, 49));
        rejects(Buffer.alloc(0));
        rejects(Buffer.concat([b, Buffer.from([0])]));
      });

      it('decode rejects id 0, blTxId >= id, nEntries 0, unknown version', () => {
        const b = hexBuf(v.headerBytes_export);
        const id0 = Buffer.from(b);
        id0.writeBigUInt64BE(0n, 0);
        rejects(id0);
        const blOff = b.length - 40;
        const bl = Buffer.from(b);
        bl.writeBigUInt64BE(BigInt(v.id), blOff);
        rejects(bl);
        const ver = Buffer.from(b);
        ver.writeUInt16BE(2, 48);
        rejects(ver);
        const n0 = Buffer.from(b);
        if (v.version === 0) n0.writeUInt16BE(0, 50);
        else n0.writeUInt32BE(0, 52 + encodeTxMetadata(h.metadata).length);
        rejects(n0);
      });
    });
  }

  it('decode rejects oversize and malformed tx metadata', () => {
    const v1 = headers.find((x) => x.version === 1 && (x.txMetadata ?? '') === '') as HeaderVector;
    const b = hexBuf(v1.headerBytes_export);
    const big = Buffer.concat([b.subarray(0, 50), Buffer.from([0x01, 0x0d]), b.subarray(52)]); // md len 269
    rejects(big);
    const unknownAttr = Buffer.concat([b.subarray(0, 50), Buffer.from([0x00, 0x01, 0x07]), b.subarray(52)]);
    rejects(unknownAttr, 'METADATA_INVALID');
  });

  it('v0 headers cannot carry metadata', () => {
    const v0 = headerFromVector(headers.find((x) => x.version === 0) as HeaderVector);
    expect(() => innerPreimage({ ...v0, metadata: { extra: Buffer.from('x') } })).toThrow();
  });

  it('tx 1 of a fresh history chains onto EMPTY', () => {
    expect(EMPTY_HASH.toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(headerFromVector(headers[0] as HeaderVector).prevAlh.equals(EMPTY_HASH)).toBe(true);
  });
});
