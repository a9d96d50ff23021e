// The transaction header and its hashes: innerHash, Alh (the hash chain link), and the export byte
// layout used by replication. Versions 0 (immudb <= 1.1) and 1 (default). Pure; see core spec 1.2, 1.8.
import { assert } from '../common/assert.js';
import { writeI64BE, writeU16BE, writeU32BE, writeU64BE } from '../common/bytes.js';
import { ImmuError } from '../common/errors.js';
import { txMetadataBytesMax } from '../common/limits.js';
import { DIGEST_BYTES, sha256 } from './hash.js';
import { decodeTxMetadata, encodeTxMetadata, type TxMetadata } from './metadata.js';

export type TxHeaderVersion = 0 | 1;
export const TX_HEADER_VERSION_MAX: TxHeaderVersion = 1;

export interface TxHeader {
  readonly id: number;
  /** Unix seconds (signed). */
  readonly ts: number;
  readonly blTxId: number;
  readonly blRoot: Buffer;
  readonly prevAlh: Buffer;
  readonly version: TxHeaderVersion;
  readonly metadata: TxMetadata | undefined;
  readonly nEntries: number;
  readonly eh: Buffer;
}

/**
 * What every header layout (innerHash's preimage, the tx-log record prefix, the export bytes) writes
 * after the version: v0 `u16 nEntries`, v1 `u16 mdLen ‖ md ‖ u32 nEntries`. Returns the offset after it.
 */
export function writeEntryCount(b: Uint8Array, o: number, version: TxHeaderVersion, txMd: Uint8Array, nEntries: number): number {
  if (version === 0) {
    assert(txMd.length === 0, 'a v0 header carries no tx metadata');
    writeU16BE(b, o, nEntries);
    return o + 2;
  }
  writeU16BE(b, o, txMd.length);
  b.set(txMd, o + 2);
  o += 2 + txMd.length;
  writeU32BE(b, o, nEntries);
  return o + 4;
}

/** Bytes writeEntryCount writes for this version and `mdLen` bytes of tx metadata. */
export function entryCountBytes(version: TxHeaderVersion, mdLen: number): number {
  return version === 0 ? 2 : 2 + mdLen + 4;
}

/** Bytes of innerHash's preimage for a header of this version with `mdLen` bytes of tx metadata. */
export function innerPreimageBytes(version: TxHeaderVersion, mdLen: number): number {
  return 8 + 2 + entryCountBytes(version, mdLen) + DIGEST_BYTES + 8 + DIGEST_BYTES;
}

/**
 * innerHash's preimage (core spec 1.2) at b[o, ...): `i64 ts ‖ u16 version ‖ entry count ‖ Eh ‖ u64 blTxId
 * ‖ blRoot`, `txMd` being the header's encoded metadata. Returns the offset after it.
 */
export function writeInnerPreimage(
  h: Pick<TxHeader, 'ts' | 'version' | 'nEntries' | 'blTxId'> & { readonly eh: Uint8Array; readonly blRoot: Uint8Array },
  txMd: Uint8Array,
  b: Uint8Array,
  o: number,
): number {
  writeI64BE(b, o, h.ts);
  writeU16BE(b, o + 8, h.version);
  o = writeEntryCount(b, o + 10, h.version, txMd, h.nEntries);
  b.set(h.eh, o);
  writeU64BE(b, o + DIGEST_BYTES, h.blTxId);
  b.set(h.blRoot, o + DIGEST_BYTES + 8);
  return o + 2 * DIGEST_BYTES + 8;
}

/** The bytes hashed into innerHash (core spec 1.2). */
export function innerPreimage(h: TxHeader): Buffer {
  const md = encodeTxMetadata(h.metadata);
  if (h.version === 0 && md.length > 0) throw new ImmuError('METADATA_INVALID', 'tx header version 0 cannot carry metadata');
  const b = Buffer.allocUnsafe(innerPreimageBytes(h.version, md.length)); // the spec says 86; the vectors say 8+2+2+md+4+32+8+32
  assert(writeInnerPreimage(h, md, b, 0) === b.length, 'inner preimage length');
  return b;
}

export function innerHash(h: TxHeader): Buffer {
  return sha256(innerPreimage(h));
}

/** Alh = H(u64(id) ‖ prevAlh ‖ innerHash): the accumulated linear hash of the history up to this tx. */
export function alhFrom(id: number, prevAlh: Uint8Array, inner: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(8 + 2 * DIGEST_BYTES);
  writeU64BE(b, 0, id);
  b.set(prevAlh, 8);
  b.set(inner, 8 + DIGEST_BYTES);
  return sha256(b);
}

export function txAlh(h: TxHeader): Buffer {
  return alhFrom(h.id, h.prevAlh, innerHash(h));
}

/** TxHeader.Bytes() of immudb: the header as exported for replication (core spec 1.8). */
export function encodeTxHeaderExport(h: TxHeader): Buffer {
  const md = h.version === 1 ? encodeTxMetadata(h.metadata) : Buffer.alloc(0);
  const b = Buffer.allocUnsafe(8 + 32 + 8 + 2 + entryCountBytes(h.version, md.length) + 32 + 8 + 32);
  let o = 0;
  writeU64BE(b, o, h.id);
  o += 8;
  b.set(h.prevAlh, o);
  o += 32;
  writeI64BE(b, o, h.ts);
  o += 8;
  writeU16BE(b, o, h.version);
  o = writeEntryCount(b, o + 2, h.version, md, h.nEntries);
  b.set(h.eh, o);
  o += 32;
  writeU64BE(b, o, h.blTxId);
  o += 8;
  b.set(h.blRoot, o);
  o += 32;
  assert(o === b.length, 'export header length');
  return b;
}

/** Parses TxHeader.Bytes(); rejects id < 1, nEntries < 1, blTxId >= id, unknown versions, oversize metadata. */
export function decodeTxHeaderExport(bytes: Uint8Array): TxHeader {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (n: number, o: number): void => {
    if (o + n > b.length) throw new ImmuError('CORRUPTED_DATA', 'tx header bytes are truncated');
  };
  let o = 0;
  need(50, o);
  const id = readSafeU64(b, o);
  o += 8;
  const prevAlh = Buffer.from(b.subarray(o, o + 32));
  o += 32;
  const ts = Number(b.readBigInt64BE(o));
  o += 8;
  const version = b.readUInt16BE(o);
  o += 2;
  let nEntries: number;
  let metadata: TxMetadata | undefined;
  if (version === 0) {
    need(2, o);
    nEntries = b.readUInt16BE(o);
    o += 2;
  } else if (version === 1) {
    need(2, o);
    const mdLen = b.readUInt16BE(o);
    o += 2;
    if (mdLen > txMetadataBytesMax) throw new ImmuError('CORRUPTED_DATA', `tx metadata length ${mdLen} too large`);
    need(mdLen + 4, o);
    metadata = decodeTxMetadata(b.subarray(o, o + mdLen));
    o += mdLen;
    nEntries = b.readUInt32BE(o);
    o += 4;
  } else {
    throw new ImmuError('CORRUPTED_DATA', `unknown tx header version ${version}`);
  }
  need(72, o);
  const eh = Buffer.from(b.subarray(o, o + 32));
  o += 32;
  const blTxId = readSafeU64(b, o);
  o += 8;
  const blRoot = Buffer.from(b.subarray(o, o + 32));
  o += 32;
  if (o !== b.length) throw new ImmuError('CORRUPTED_DATA', 'tx header bytes have trailing data');
  if (id < 1) throw new ImmuError('CORRUPTED_DATA', 'tx header id must be >= 1');
  if (nEntries < 1) throw new ImmuError('CORRUPTED_DATA', 'tx header must have at least one entry');
  if (blTxId >= id) throw new ImmuError('CORRUPTED_DATA', 'tx header blTxId must be < id');
  return { id, ts, blTxId, blRoot, prevAlh, version, metadata, nEntries, eh };
}

export function readSafeU64(b: Buffer, offset: number): number {
  const v = b.readBigUInt64BE(offset);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ImmuError('CORRUPTED_DATA', `u64 ${v} exceeds the safe range`);
  return Number(v);
}
