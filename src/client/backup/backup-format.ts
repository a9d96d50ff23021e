// The byte layout of an immudb-ts backup file (docs/backup-format.md): a file header naming the format
// and header versions, the database and the source server, sealed by a SHA-256; then one record per
// transaction, each a 52-byte record header (magic, tx id, payload length, the tx's Alh, a 4-byte check
// of those fields) followed by the tx exactly as ExportTx produces it. Pure encode/decode; no I/O and no
// chain verification (backup-chain.ts does that).
import { ImmuError } from '../../common/errors.js';
import { DIGEST_BYTES, sha256 } from '../../proof/hash.js';

/** `IMMUTSBK`: the first 8 bytes of every file in this format. */
export const backupFileMagic: Buffer = Buffer.from('IMMUTSBK', 'ascii');
/** immudb's own hot-backup files start with this (a different format, not read here). */
const immudbBackupMagic: Buffer = Buffer.from('IMMUBACKUP', 'ascii');

/** Record layout version: what follows the file header. */
export const backupFormatVersion = 1;
/** File-header layout version: which fields the header body holds. */
export const backupHeaderVersion = 1;

/** magic(8) ‖ formatVersion u16 ‖ headerVersion u16 ‖ bodyLength u32. */
export const fileHeaderPrefixBytes = 16;
export const fileHeaderBodyBytesMax = 4096;
export const databaseNameBytesMax = 255;
export const serverUuidBytesMax = 64;

/** `IMTX`: the first 4 bytes of every record. */
export const recordMagic: Buffer = Buffer.from('IMTX', 'ascii');
/** magic(4) ‖ txId u64 ‖ payloadLength u32 ‖ Alh(32) ‖ check(4). */
export const recordHeaderBytes = 4 + 8 + 4 + DIGEST_BYTES + 4;
const recordCheckedBytes = recordHeaderBytes - 4;
/** Largest exported tx a record may carry (the server's replicateTx limit). */
export const recordPayloadBytesMax = 1024 * 1024 * 1024;

export interface BackupFileHeader {
  readonly formatVersion: number;
  readonly headerVersion: number;
  /** When the file was created, Unix milliseconds. */
  readonly createdAtMs: number;
  readonly database: string;
  /** The `immudb-uuid` of the server the first backup was taken from ('' when it sent none). */
  readonly sourceServerUuid: string;
}

export interface RecordHeader {
  readonly txId: number;
  readonly payloadBytes: number;
  readonly alh: Buffer;
}

function badInput(message: string): ImmuError {
  return new ImmuError('INVALID_ARGUMENT', message);
}

function lengthPrefixed(text: string, max: number, what: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > max) throw badInput(`${what} is longer than ${max} bytes`);
  const b = Buffer.allocUnsafe(2 + bytes.length);
  b.writeUInt16BE(bytes.length, 0);
  bytes.copy(b, 2);
  return b;
}

/** The whole file header, digest included. */
export function encodeFileHeader(h: Omit<BackupFileHeader, 'formatVersion' | 'headerVersion'>): Buffer {
  if (h.database === '') throw badInput('the database name must not be empty');
  const created = Buffer.allocUnsafe(8);
  created.writeBigUInt64BE(BigInt(h.createdAtMs), 0);
  const body = Buffer.concat([created, lengthPrefixed(h.database, databaseNameBytesMax, 'database name'), lengthPrefixed(h.sourceServerUuid, serverUuidBytesMax, 'server UUID')]);
  const prefix = Buffer.allocUnsafe(fileHeaderPrefixBytes);
  backupFileMagic.copy(prefix, 0);
  prefix.writeUInt16BE(backupFormatVersion, 8);
  prefix.writeUInt16BE(backupHeaderVersion, 10);
  prefix.writeUInt32BE(body.length, 12);
  const sealed = Buffer.concat([prefix, body]);
  return Buffer.concat([sealed, sha256(sealed)]);
}

/**
 * Checks the 16-byte prefix and returns the total header length (prefix, body, digest). Not this
 * format or a version this tool does not read: INVALID_ARGUMENT. Fewer than 16 bytes: CORRUPTED_DATA.
 */
export function fileHeaderLength(prefix: Buffer): number {
  if (prefix.length >= immudbBackupMagic.length && prefix.subarray(0, immudbBackupMagic.length).equals(immudbBackupMagic)) {
    throw badInput("this is immudb's own hot-backup format, which immudb-ts does not read");
  }
  if (prefix.length < backupFileMagic.length || !prefix.subarray(0, backupFileMagic.length).equals(backupFileMagic)) {
    throw badInput('not an immudb-ts backup file (bad magic)');
  }
  if (prefix.length < fileHeaderPrefixBytes) throw new ImmuError('CORRUPTED_DATA', 'the backup file header is truncated');
  const formatVersion = prefix.readUInt16BE(8);
  const headerVersion = prefix.readUInt16BE(10);
  if (formatVersion !== backupFormatVersion) throw badInput(`unsupported backup format version ${formatVersion} (this tool reads ${backupFormatVersion})`);
  if (headerVersion !== backupHeaderVersion) throw badInput(`unsupported backup header version ${headerVersion} (this tool reads ${backupHeaderVersion})`);
  const bodyBytes = prefix.readUInt32BE(12);
  if (bodyBytes > fileHeaderBodyBytesMax) throw new ImmuError('CORRUPTED_DATA', `backup file header body of ${bodyBytes} bytes exceeds ${fileHeaderBodyBytesMax}`);
  return fileHeaderPrefixBytes + bodyBytes + DIGEST_BYTES;
}

function readLengthPrefixed(b: Buffer, o: number, max: number, what: string): { text: string; next: number } {
  if (o + 2 > b.length) throw new ImmuError('CORRUPTED_DATA', `backup file header: ${what} is truncated`);
  const n = b.readUInt16BE(o);
  if (n > max || o + 2 + n > b.length) throw new ImmuError('CORRUPTED_DATA', `backup file header: bad ${what} length ${n}`);
  return { text: b.subarray(o + 2, o + 2 + n).toString('utf8'), next: o + 2 + n };
}

/** Decodes a whole header (as long as fileHeaderLength said); CORRUPTED_DATA when the digest fails. */
export function decodeFileHeader(bytes: Buffer): BackupFileHeader {
  const total = fileHeaderLength(bytes);
  if (bytes.length < total) throw new ImmuError('CORRUPTED_DATA', 'the backup file header is truncated');
  const sealedEnd = total - DIGEST_BYTES;
  if (!sha256(bytes.subarray(0, sealedEnd)).equals(bytes.subarray(sealedEnd, total))) {
    throw new ImmuError('CORRUPTED_DATA', 'the backup file header digest does not match its contents');
  }
  const body = bytes.subarray(fileHeaderPrefixBytes, sealedEnd);
  if (body.length < 8) throw new ImmuError('CORRUPTED_DATA', 'backup file header body is too short');
  const createdAtMs = Number(body.readBigUInt64BE(0));
  const db = readLengthPrefixed(body, 8, databaseNameBytesMax, 'database name');
  const uuid = readLengthPrefixed(body, db.next, serverUuidBytesMax, 'server UUID');
  if (uuid.next !== body.length) throw new ImmuError('CORRUPTED_DATA', 'backup file header body has trailing bytes');
  return { formatVersion: backupFormatVersion, headerVersion: backupHeaderVersion, createdAtMs, database: db.text, sourceServerUuid: uuid.text };
}

function recordCheck(fields: Buffer): Buffer {
  return sha256(fields).subarray(0, 4);
}

export function encodeRecordHeader(r: RecordHeader): Buffer {
  if (!Number.isSafeInteger(r.txId) || r.txId < 1) throw badInput(`bad tx id ${r.txId}`);
  if (!Number.isSafeInteger(r.payloadBytes) || r.payloadBytes < 1 || r.payloadBytes > recordPayloadBytesMax) throw badInput(`bad payload length ${r.payloadBytes}`);
  if (r.alh.length !== DIGEST_BYTES) throw badInput('an Alh is 32 bytes');
  const b = Buffer.allocUnsafe(recordHeaderBytes);
  recordMagic.copy(b, 0);
  b.writeBigUInt64BE(BigInt(r.txId), 4);
  b.writeUInt32BE(r.payloadBytes, 12);
  r.alh.copy(b, 16);
  recordCheck(b.subarray(0, recordCheckedBytes)).copy(b, recordCheckedBytes);
  return b;
}

export type RecordHeaderDecode = { readonly kind: 'ok'; readonly header: RecordHeader } | { readonly kind: 'corrupt'; readonly reason: string };

/** Decodes exactly `recordHeaderBytes` bytes; never throws. */
export function decodeRecordHeader(b: Buffer): RecordHeaderDecode {
  const corrupt = (reason: string): RecordHeaderDecode => ({ kind: 'corrupt', reason });
  if (b.length !== recordHeaderBytes) return corrupt(`record header is ${b.length} bytes, not ${recordHeaderBytes}`);
  if (!b.subarray(0, 4).equals(recordMagic)) return corrupt('bad record magic');
  if (!recordCheck(b.subarray(0, recordCheckedBytes)).equals(b.subarray(recordCheckedBytes))) return corrupt('record header check does not match');
  const txId = b.readBigUInt64BE(4);
  if (txId < 1n || txId > BigInt(Number.MAX_SAFE_INTEGER)) return corrupt(`bad tx id ${txId}`);
  const payloadBytes = b.readUInt32BE(12);
  if (payloadBytes < 1 || payloadBytes > recordPayloadBytesMax) return corrupt(`bad payload length ${payloadBytes}`);
  return { kind: 'ok', header: { txId: Number(txId), payloadBytes, alh: Buffer.from(b.subarray(16, 16 + DIGEST_BYTES)) } };
}
