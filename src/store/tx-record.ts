// Byte layout of a tx-log record (core spec 6.3) and of a commit-log entry (6.5). A record does not
// carry Eh: readers recompute it from the entries and check the stored Alh. vOff is
// (vLogId << 56) | offset, which exceeds 2^53, so it is kept as two numbers in memory. Pure.
import { assert } from '../common/assert.js';
import { writeI64BE, writeU64BE } from '../common/bytes.js';
import { ImmuError } from '../common/errors.js';
import { txMetadataBytesMax } from '../common/limits.js';
import { DIGEST_BYTES } from '../proof/hash.js';
import { decodeKvMetadata, decodeTxMetadata, encodeKvMetadata, encodeTxMetadata, type KvMetadata, type TxMetadata } from '../proof/metadata.js';
import { entryCountBytes, writeEntryCount, type TxHeaderVersion } from '../proof/tx-header.js';
import type { StoredEntry, ValueRef } from './types.js';

const FIXED_PREFIX_BYTES = 8 + 8 + 8 + 32 + 32 + 2; // id, ts, blTxId, blRoot, prevAlh, version
const kvMetadataWireBytesMax = 0xffff;

/** A record's header fields as stored (no Eh) plus its entries and stored Alh. */
export interface TxRecord {
  readonly id: number;
  readonly ts: number;
  readonly blTxId: number;
  readonly blRoot: Buffer;
  readonly prevAlh: Buffer;
  readonly version: TxHeaderVersion;
  readonly metadata: TxMetadata | undefined;
  readonly entries: readonly RecordEntry[];
  readonly alh: Buffer;
}

export interface RecordEntry extends StoredEntry {
  /** Canonical metadata bytes (what the digest hashes). */
  readonly mdBytes: Buffer;
}

export interface RecordLimits {
  readonly maxTxEntries: number;
  readonly maxKeyLen: number;
  readonly maxValueLen: number;
}

export function encodeRecordEntry(key: Buffer, mdBytes: Buffer, value: ValueRef, hVal: Buffer, b: Buffer, o: number): number {
  b.writeUInt16BE(mdBytes.length, o);
  o += 2;
  mdBytes.copy(b, o);
  o += mdBytes.length;
  b.writeUInt16BE(key.length, o);
  o += 2;
  key.copy(b, o);
  o += key.length;
  b.writeUInt32BE(value.length, o);
  o += 4;
  writeVOff(b, o, value.vLogId, value.offset);
  o += 8;
  hVal.copy(b, o, 0, DIGEST_BYTES);
  return o + DIGEST_BYTES;
}

export function recordEntryBytes(keyLen: number, mdLen: number): number {
  return 2 + mdLen + 2 + keyLen + 4 + 8 + DIGEST_BYTES;
}

export function recordHeaderBytes(version: TxHeaderVersion, txMdLen: number): number {
  return FIXED_PREFIX_BYTES + entryCountBytes(version, txMdLen);
}

/** Writes the record prefix (everything before the entries); returns the offset after it. */
export function encodeRecordPrefix(
  h: { id: number; ts: number; blTxId: number; blRoot: Buffer; prevAlh: Buffer; version: TxHeaderVersion; nEntries: number },
  txMd: Buffer,
  b: Buffer,
): number {
  let o = 0;
  writeU64BE(b, o, h.id);
  o += 8;
  writeI64BE(b, o, h.ts);
  o += 8;
  writeU64BE(b, o, h.blTxId);
  o += 8;
  h.blRoot.copy(b, o);
  o += 32;
  h.prevAlh.copy(b, o);
  o += 32;
  b.writeUInt16BE(h.version, o);
  return writeEntryCount(b, o + 2, h.version, txMd, h.nEntries);
}

export function writeVOff(b: Buffer, o: number, vLogId: number, offset: number): void {
  assert(vLogId >= 0 && vLogId < 128 && Number.isSafeInteger(offset) && offset >= 0 && offset < 2 ** 56, 'vOff range');
  b.writeUInt32BE(vLogId * 2 ** 24 + Math.floor(offset / 2 ** 32), o);
  b.writeUInt32BE(offset % 2 ** 32, o + 4);
}

export type DecodeResult =
  | { readonly kind: 'ok'; readonly record: TxRecord; readonly size: number }
  | { readonly kind: 'short' };

class Short extends Error {}

/**
 * Parses one record at the start of `b`. Returns 'short' when `b` ends before the record does;
 * throws CORRUPTED_DATA (message prefixed with `where`) when the bytes cannot be a record.
 */
export function decodeTxRecord(b: Buffer, limits: RecordLimits, where: string): DecodeResult {
  try {
    return decodeOrThrow(b, limits, where);
  } catch (err) {
    if (err instanceof Short) return { kind: 'short' };
    throw err;
  }
}

function decodeOrThrow(b: Buffer, limits: RecordLimits, where: string): DecodeResult {
  const bad = (why: string): never => {
    throw new ImmuError('CORRUPTED_DATA', `${where}: tx record is malformed: ${why}`);
  };
  const need = (o: number, n: number): void => {
    if (o + n > b.length) throw new Short();
  };
  need(0, FIXED_PREFIX_BYTES);
  const u64 = (o: number, what: string): number => {
    const v = b.readBigUInt64BE(o);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) bad(`${what} out of range`);
    return Number(v);
  };
  let o = 0;
  const id = u64(o, 'id');
  o += 8;
  const ts = Number(b.readBigInt64BE(o));
  o += 8;
  const blTxId = u64(o, 'blTxId');
  o += 8;
  const blRoot = Buffer.from(b.subarray(o, o + 32));
  o += 32;
  const prevAlh = Buffer.from(b.subarray(o, o + 32));
  o += 32;
  const version = b.readUInt16BE(o);
  o += 2;
  if (id < 1) bad('id 0');
  if (blTxId >= id) bad('blTxId >= id');
  let nEntries: number;
  let metadata: TxMetadata | undefined;
  if (version === 0) {
    need(o, 2);
    nEntries = b.readUInt16BE(o);
    o += 2;
  } else if (version === 1) {
    need(o, 2);
    const mdLen = b.readUInt16BE(o);
    o += 2;
    if (mdLen > txMetadataBytesMax) bad(`tx metadata length ${mdLen}`);
    need(o, mdLen + 4);
    metadata = decodeMetadataOrBad(() => decodeTxMetadata(b.subarray(o, o + mdLen)), bad);
    o += mdLen;
    nEntries = b.readUInt32BE(o);
    o += 4;
  } else {
    return bad(`unknown version ${version}`);
  }
  if (nEntries > limits.maxTxEntries) bad(`${nEntries} entries, max ${limits.maxTxEntries}`);
  const entries: RecordEntry[] = new Array<RecordEntry>(nEntries);
  for (let i = 0; i < nEntries; i++) {
    need(o, 2);
    const mdLen = b.readUInt16BE(o);
    o += 2;
    if (mdLen > kvMetadataWireBytesMax) bad('kv metadata length');
    need(o, mdLen + 2);
    const md: KvMetadata | undefined = decodeMetadataOrBad(() => decodeKvMetadata(b.subarray(o, o + mdLen)), bad);
    if (version === 0 && mdLen > 0) bad('v0 entry with metadata');
    o += mdLen;
    const keyLen = b.readUInt16BE(o);
    o += 2;
    if (keyLen < 1 || keyLen > limits.maxKeyLen) bad(`key length ${keyLen}`);
    need(o, keyLen + 4 + 8 + 32);
    const key = Buffer.from(b.subarray(o, o + keyLen));
    o += keyLen;
    const vLen = b.readUInt32BE(o);
    o += 4;
    if (vLen > limits.maxValueLen) bad(`value length ${vLen}`);
    const hi = b.readUInt32BE(o);
    const lo = b.readUInt32BE(o + 4);
    o += 8;
    const hVal = Buffer.from(b.subarray(o, o + 32));
    o += 32;
    entries[i] = {
      key,
      metadata: md,
      mdBytes: encodeKvMetadata(md),
      value: { vLogId: hi >>> 24, offset: (hi & 0xffffff) * 2 ** 32 + lo, length: vLen },
      hVal,
    };
  }
  need(o, 32);
  const alh = Buffer.from(b.subarray(o, o + 32));
  o += 32;
  const record: TxRecord = { id, ts, blTxId, blRoot, prevAlh, version, metadata, entries, alh };
  return { kind: 'ok', record, size: o };
}

function decodeMetadataOrBad<T>(f: () => T, bad: (why: string) => never): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof ImmuError) return bad(err.message);
    throw err;
  }
}

export function txMetadataBytes(md: TxMetadata | undefined): Buffer {
  return encodeTxMetadata(md);
}

/** A commit-log entry: where tx n's record is, and (store v2) its Alh. */
export interface CommitEntry {
  readonly offset: number;
  readonly size: number;
  readonly alh: Buffer | undefined;
}

export function encodeCommitEntry(offset: number, size: number, alh: Buffer, b: Buffer, o: number): void {
  writeU64BE(b, o, offset);
  b.writeUInt32BE(size, o + 8);
  alh.copy(b, o + 12, 0, 32);
}

export function decodeCommitEntry(b: Buffer, o: number, entryBytes: number): CommitEntry {
  const off = b.readBigUInt64BE(o);
  if (off > BigInt(Number.MAX_SAFE_INTEGER)) throw new ImmuError('CORRUPTED_DATA', 'commit entry offset out of range');
  const size = b.readUInt32BE(o + 8);
  const alh = entryBytes >= 44 ? Buffer.from(b.subarray(o + 12, o + 44)) : undefined;
  return { offset: Number(off), size, alh };
}
