// Appends records to a backup file and makes them durable: a new file gets its header and an fsync of
// the file and its directory before any record; records are fsynced every `fsyncIntervalBytes` or
// `fsyncIntervalMs` and at `sync()`. An appender opens at the end of the last complete record (dropping
// a torn tail the reader reported) and can roll back to where it started. Verifies nothing itself.
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ImmuError } from '../../common/errors.js';
import { encodeFileHeader, encodeRecordHeader, type BackupFileHeader } from './backup-format.js';

export const fsyncIntervalBytesDefault = 64 * 1024 * 1024;
export const fsyncIntervalMsDefault = 5_000;

export interface WriterOptions {
  /** Clock for the periodic fsync (milliseconds). */
  readonly nowMs: () => number;
  readonly fsyncIntervalBytes?: number;
  readonly fsyncIntervalMs?: number;
}

function ioError(what: string, path: string, err: unknown): ImmuError {
  return new ImmuError('IO_ERROR', `${what} ${path}: ${(err as Error).message}`, { path });
}

async function fsyncDirectory(path: string): Promise<void> {
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

export class BackupWriter {
  readonly #fh: FileHandle;
  readonly #path: string;
  readonly #opts: Required<WriterOptions>;
  /** Where this writer started appending (rollback point). */
  readonly startBytes: number;
  #position: number;
  #unsyncedBytes = 0;
  #lastSyncMs: number;

  private constructor(fh: FileHandle, path: string, position: number, opts: WriterOptions) {
    this.#fh = fh;
    this.#path = path;
    this.startBytes = position;
    this.#position = position;
    this.#opts = { fsyncIntervalBytes: fsyncIntervalBytesDefault, fsyncIntervalMs: fsyncIntervalMsDefault, ...opts };
    this.#lastSyncMs = opts.nowMs();
  }

  /** Creates a new file holding only the header, durably. It must not exist, or be empty with `replaceEmpty`. */
  static async create(path: string, header: Omit<BackupFileHeader, 'formatVersion' | 'headerVersion'>, opts: WriterOptions, replaceEmpty = false): Promise<BackupWriter> {
    const bytes = encodeFileHeader(header);
    let fh: FileHandle;
    try {
      fh = await open(path, replaceEmpty ? 'r+' : 'wx');
      if (replaceEmpty && (await fh.stat()).size !== 0) {
        await fh.close();
        throw new Error('the file is no longer empty');
      }
    } catch (err) {
      throw ioError('cannot create backup file', path, err);
    }
    try {
      await fh.write(bytes, 0, bytes.length, 0);
      await fh.sync();
      await fsyncDirectory(path);
    } catch (err) {
      await fh.close();
      throw ioError('cannot write backup file', path, err);
    }
    return new BackupWriter(fh, path, bytes.length, opts);
  }

  /** Opens an existing file to append at `completeBytes`, truncating whatever follows (a torn tail). */
  static async openAppend(path: string, completeBytes: number, opts: WriterOptions): Promise<BackupWriter> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r+');
    } catch (err) {
      throw ioError('cannot open backup file', path, err);
    }
    try {
      if ((await fh.stat()).size !== completeBytes) {
        await fh.truncate(completeBytes);
        await fh.sync();
      }
    } catch (err) {
      await fh.close();
      throw ioError('cannot truncate the torn tail of', path, err);
    }
    return new BackupWriter(fh, path, completeBytes, opts);
  }

  get positionBytes(): number {
    return this.#position;
  }

  /** Writes one record; fsyncs when the byte or time interval has passed. */
  async append(txId: number, alh: Buffer, payload: Buffer): Promise<void> {
    const head = encodeRecordHeader({ txId, alh, payloadBytes: payload.length });
    try {
      const record = Buffer.concat([head, payload]);
      let done = 0;
      while (done < record.length) done += (await this.#fh.write(record, done, record.length - done, this.#position + done)).bytesWritten;
    } catch (err) {
      throw ioError('cannot write to backup file', this.#path, err);
    }
    this.#position += head.length + payload.length;
    this.#unsyncedBytes += head.length + payload.length;
    if (this.#unsyncedBytes >= this.#opts.fsyncIntervalBytes || this.#opts.nowMs() - this.#lastSyncMs >= this.#opts.fsyncIntervalMs) await this.sync();
  }

  async sync(): Promise<void> {
    try {
      await this.#fh.sync();
    } catch (err) {
      throw ioError('cannot fsync backup file', this.#path, err);
    }
    this.#unsyncedBytes = 0;
    this.#lastSyncMs = this.#opts.nowMs();
  }

  /** Drops everything this writer appended (records that failed the final proof). */
  async rollback(): Promise<void> {
    try {
      await this.#fh.truncate(this.startBytes);
      await this.#fh.sync();
    } catch (err) {
      throw ioError('cannot roll back backup file', this.#path, err);
    }
    this.#position = this.startBytes;
    this.#unsyncedBytes = 0;
  }

  async close(): Promise<void> {
    await this.#fh.close();
  }
}
