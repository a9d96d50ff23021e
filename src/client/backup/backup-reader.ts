// Reads a backup file front to back: the header once, then records in order, ending in exactly one
// terminal event: `end` (clean), `torn` (the last record is incomplete: the file was cut or a write
// never finished) or `corrupt` (a record header fails its check, or tx ids are not consecutive). The
// scan is bounded: the file size is fixed at open, every step advances at least one record header, and
// no payload larger than the format's limit is read. It checks structure only; backup-chain.ts verifies.
import { open, type FileHandle } from 'node:fs/promises';
import { ImmuError } from '../../common/errors.js';
import { decodeFileHeader, decodeRecordHeader, fileHeaderLength, fileHeaderPrefixBytes, recordHeaderBytes, type BackupFileHeader } from './backup-format.js';

export interface BackupRecord {
  /** File offset of the record header. */
  readonly offset: number;
  readonly txId: number;
  readonly alh: Buffer;
  readonly payloadBytes: number;
  /** The exported tx; empty when the scan was asked for headers only. */
  readonly payload: Buffer;
}

export type ScanEvent =
  | { readonly kind: 'record'; readonly record: BackupRecord }
  | { readonly kind: 'end'; readonly offset: number }
  /** `txId`: the incomplete record's (the one after the last complete record; undefined if it is the first). */
  | { readonly kind: 'torn'; readonly offset: number; readonly txId: number | undefined; readonly missingBytes: number }
  /** `txId`: the bad record's position (the one after the last good record; undefined if it is the first). */
  | { readonly kind: 'corrupt'; readonly offset: number; readonly txId: number | undefined; readonly reason: string };

export type ScanEnd = Exclude<ScanEvent, { kind: 'record' }>;

async function readExactly(fh: FileHandle, offset: number, length: number): Promise<Buffer> {
  const b = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(b, done, length - done, offset + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? b : b.subarray(0, done);
}

export class BackupReader {
  readonly #fh: FileHandle;
  readonly header: BackupFileHeader;
  /** Offset of the first record. */
  readonly dataOffset: number;
  /** File size when opened; bytes appended later are not read. */
  readonly sizeBytes: number;

  private constructor(fh: FileHandle, header: BackupFileHeader, dataOffset: number, sizeBytes: number) {
    this.#fh = fh;
    this.header = header;
    this.dataOffset = dataOffset;
    this.sizeBytes = sizeBytes;
  }

  /** Opens and checks the header (INVALID_ARGUMENT: not this format or version; CORRUPTED_DATA: damaged). */
  static async open(path: string): Promise<BackupReader> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      throw new ImmuError('IO_ERROR', `cannot open backup file ${path}: ${(err as Error).message}`, { path });
    }
    try {
      const sizeBytes = (await fh.stat()).size;
      const prefix = await readExactly(fh, 0, Math.min(sizeBytes, fileHeaderPrefixBytes));
      const total = fileHeaderLength(prefix);
      if (total > sizeBytes) throw new ImmuError('CORRUPTED_DATA', `the backup file header is truncated (${sizeBytes} of ${total} bytes)`);
      const header = decodeFileHeader(await readExactly(fh, 0, total));
      return new BackupReader(fh, header, total, sizeBytes);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** Records in file order, then one terminal event. `payloads: false` reads record headers only. */
  async *scan(options: { readonly payloads: boolean }): AsyncGenerator<ScanEvent> {
    let offset = this.dataOffset;
    let expectedTxId: number | undefined;
    for (;;) {
      const nextTxId = expectedTxId;
      if (offset === this.sizeBytes) {
        yield { kind: 'end', offset };
        return;
      }
      if (offset + recordHeaderBytes > this.sizeBytes) {
        yield { kind: 'torn', offset, txId: nextTxId, missingBytes: offset + recordHeaderBytes - this.sizeBytes };
        return;
      }
      const decoded = decodeRecordHeader(await readExactly(this.#fh, offset, recordHeaderBytes));
      if (decoded.kind === 'corrupt') {
        yield { kind: 'corrupt', offset, txId: nextTxId, reason: decoded.reason };
        return;
      }
      const h = decoded.header;
      if (expectedTxId !== undefined && h.txId !== expectedTxId) {
        yield { kind: 'corrupt', offset, txId: expectedTxId, reason: `record holds tx ${h.txId} where tx ${expectedTxId} was expected` };
        return;
      }
      const payloadOffset = offset + recordHeaderBytes;
      if (payloadOffset + h.payloadBytes > this.sizeBytes) {
        yield { kind: 'torn', offset, txId: h.txId, missingBytes: payloadOffset + h.payloadBytes - this.sizeBytes };
        return;
      }
      const payload = options.payloads ? await readExactly(this.#fh, payloadOffset, h.payloadBytes) : Buffer.alloc(0);
      if (options.payloads && payload.length !== h.payloadBytes) {
        yield { kind: 'torn', offset, txId: h.txId, missingBytes: h.payloadBytes - payload.length };
        return;
      }
      yield { kind: 'record', record: { offset, txId: h.txId, alh: h.alh, payloadBytes: h.payloadBytes, payload } };
      offset = payloadOffset + h.payloadBytes;
      expectedTxId = h.txId + 1;
    }
  }

  /** One record's payload (for checking the last record without reading the others). */
  async payloadOf(record: BackupRecord): Promise<Buffer> {
    return readExactly(this.#fh, record.offset + recordHeaderBytes, record.payloadBytes);
  }

  async close(): Promise<void> {
    await this.#fh.close();
  }
}

/** What a header-only scan found: the record range, the last record, and how the file ends. */
export interface BackupSummary {
  readonly header: BackupFileHeader;
  readonly records: number;
  readonly first: BackupRecord | undefined;
  readonly last: BackupRecord | undefined;
  /** Offset just past the last complete record. */
  readonly completeBytes: number;
  readonly end: ScanEnd;
}

/** Scans record headers only (no payloads): fast enough to find where an appender continues. */
export async function summarizeBackup(reader: BackupReader): Promise<BackupSummary> {
  let records = 0;
  let first: BackupRecord | undefined;
  let last: BackupRecord | undefined;
  for await (const ev of reader.scan({ payloads: false })) {
    if (ev.kind === 'record') {
      records++;
      first ??= ev.record;
      last = ev.record;
      continue;
    }
    const completeBytes = last === undefined ? reader.dataOffset : last.offset + recordHeaderBytes + last.payloadBytes;
    return { header: reader.header, records, first, last, completeBytes, end: ev };
  }
  throw new ImmuError('INTERNAL', 'backup scan ended without a terminal event');
}
