// One chunked append-only log (core spec 6.2): a directory of `%08d.<ext>` chunk files, chunk c holding
// logical bytes [c*fileSize, (c+1)*fileSize) after its own metadata header. Appends are buffered in
// memory and written with writev by flush(); sync() makes flushed bytes durable with fdatasync.
// Logical offsets never include headers. This file knows nothing about what the bytes mean.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { assert } from '../common/assert.js';
import { ImmuError } from '../common/errors.js';

const fdatasync = promisify(fs.fdatasync);
const fsyncAsync = promisify(fs.fsync);
const chunkHeaderBytesMax = 64 * 1024; // a header is a few hundred bytes; bounds a corrupt length

export interface AppendLogOptions {
  readonly dir: string;
  readonly ext: string;
  readonly fileSizeBytes: number;
  /** Full header for new chunk files: u32 L ‖ metadata. */
  readonly header: Buffer;
  /** When the directory holds no chunk yet: create chunk 0 (true) or leave the log empty. */
  readonly create: boolean;
  /**
   * Open without changing anything on disk (recovery): a torn last chunk header is only noted, chunk 0
   * and the directory are not created, truncate() only moves the logical end and flush() keeps bytes in
   * memory. applyStaged() then carries all of it out; abandon() leaves the files as they were.
   */
  readonly staged?: boolean;
}

interface Chunk {
  readonly index: number;
  readonly file: string;
  readonly fd: number;
  readonly headerBytes: number;
  /** The metadata bytes (without the u32 length). */
  readonly metadata: Buffer;
}

/** What open() found that the caller may want to log: a torn chunk header that was (or, staged, will be) removed. */
export interface OpenNote {
  readonly file: string;
  readonly fileBytes: number;
}

export class AppendLog {
  readonly dir: string;
  readonly #ext: string;
  readonly #fileSize: number;
  readonly #header: Buffer;
  readonly #chunks: Chunk[] = [];
  #flushedSize = 0;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  readonly #dirtyFds = new Set<number>();
  #dirDirty = false;
  #closed = false;
  /** Number of fdatasync/fsync calls issued (group-commit accounting). */
  syncCount = 0;
  readonly notes: OpenNote[] = [];
  #staged = false;
  /** Staged: create chunk 0 (and the directory) when applied. */
  #stagedCreate = false;
  /** Staged: bytes of the log on disk (flushedSize may only move below it until applied). */
  #diskSize = 0;

  private constructor(opts: AppendLogOptions) {
    this.dir = opts.dir;
    this.#ext = opts.ext;
    this.#fileSize = opts.fileSizeBytes;
    this.#header = opts.header;
  }

  static open(opts: AppendLogOptions): AppendLog {
    assert(opts.fileSizeBytes > 0 && Number.isSafeInteger(opts.fileSizeBytes), 'file size');
    const log = new AppendLog(opts);
    log.#staged = opts.staged === true;
    if (!log.#staged) fs.mkdirSync(opts.dir, { recursive: true });
    log.#load(opts.create);
    log.#diskSize = log.#flushedSize;
    return log;
  }

  get size(): number {
    return this.#flushedSize + this.#pendingBytes;
  }

  get flushedSize(): number {
    return this.#flushedSize;
  }

  get fileSizeBytes(): number {
    return this.#fileSize;
  }

  /** Metadata bytes of every chunk, in order (chunk 0 first). */
  chunkMetadata(): ReadonlyArray<{ readonly file: string; readonly metadata: Buffer }> {
    return this.#chunks.map((c) => ({ file: c.file, metadata: c.metadata }));
  }

  fileName(index: number): string {
    return path.join(this.dir, `${String(index).padStart(8, '0')}.${this.#ext}`);
  }

  #load(create: boolean): void {
    const re = new RegExp(`^(\\d{8})\\.${this.#ext}$`);
    const names = this.#staged && !fs.existsSync(this.dir) ? [] : fs.readdirSync(this.dir);
    const indexes = names
      .map((n) => re.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    indexes.forEach((ix, i) => {
      if (ix !== i) {
        throw new ImmuError('CORRUPTED_DATA', `${this.dir}: chunk files are not contiguous (missing ${this.fileName(i)})`, {
          file: this.fileName(i),
          offset: 0,
        });
      }
    });
    for (const ix of indexes) {
      const file = this.fileName(ix);
      const fd = fs.openSync(file, 'r+');
      const fileBytes = fs.fstatSync(fd).size;
      const last = ix === indexes.length - 1;
      const head = readHeader(fd, fileBytes);
      if (head === undefined && !(last && isPrefixOf(readAll(fd, fileBytes), this.#header))) {
        fs.closeSync(fd);
        throw new ImmuError('CORRUPTED_DATA', `${file}: chunk header length exceeds the file`, { file, offset: 0 });
      }
      if (head === undefined) {
        // A torn header can only come from a crash while creating the last chunk: nothing in it was acked.
        fs.closeSync(fd);
        if (!last) throw new ImmuError('CORRUPTED_DATA', `${file}: chunk header is incomplete`, { file, offset: 0 });
        if (!this.#staged) {
          fs.unlinkSync(file);
          this.#dirDirty = true;
        }
        this.notes.push({ file, fileBytes });
        break;
      }
      const dataBytes = fileBytes - head.headerBytes;
      if (dataBytes > this.#fileSize || (!last && dataBytes !== this.#fileSize)) {
        fs.closeSync(fd);
        throw new ImmuError('CORRUPTED_DATA', `${file}: chunk holds ${dataBytes} bytes, chunk size is ${this.#fileSize}`, {
          file,
          offset: fileBytes,
        });
      }
      this.#chunks.push({ index: ix, file, fd, headerBytes: head.headerBytes, metadata: head.metadata });
      this.#flushedSize = ix * this.#fileSize + dataBytes;
    }
    if (this.#chunks.length === 0 && create) {
      if (this.#staged) this.#stagedCreate = true;
      else this.#createChunk(0, true);
    }
  }

  /** True while opened staged and not yet applied (nothing has been written). */
  get staged(): boolean {
    return this.#staged;
  }

  /**
   * Carries out what a staged open deferred, in order: removes the noted torn chunk header, creates
   * chunk 0, cuts the files to the logical end reached by truncate(), then writes the buffered bytes.
   */
  applyStaged(): void {
    if (!this.#staged) return;
    this.#staged = false;
    fs.mkdirSync(this.dir, { recursive: true });
    for (const n of this.notes) {
      fs.unlinkSync(n.file);
      this.#dirDirty = true;
    }
    if (this.#stagedCreate && this.#chunks.length === 0) this.#createChunk(0, true);
    this.#stagedCreate = false;
    if (this.#flushedSize < this.#diskSize) this.#truncateFiles(this.#flushedSize);
    this.#diskSize = this.#flushedSize;
    this.flush();
  }

  #createChunk(index: number, writeNow: boolean): Chunk {
    const file = this.fileName(index);
    const fd = fs.openSync(file, 'w+');
    const chunk: Chunk = {
      index,
      file,
      fd,
      headerBytes: this.#header.length,
      metadata: this.#header.subarray(4),
    };
    if (writeNow) writeFully(fd, [this.#header], 0);
    this.#chunks.push(chunk);
    this.#dirtyFds.add(fd);
    this.#dirDirty = true;
    return chunk;
  }

  /** Appends bytes (not copied: the caller must not change them) and returns their logical offset. */
  append(data: Buffer): number {
    assert(!this.#closed, 'append on a closed log');
    const at = this.size;
    if (data.length > 0) {
      this.#pending.push(data);
      this.#pendingBytes += data.length;
    }
    return at;
  }

  /** Writes all buffered bytes to the chunk files (no fsync). */
  flush(): void {
    if (this.#pendingBytes === 0 || this.#staged) return;
    const bufs = this.#pending;
    this.#pending = [];
    let pos = this.#flushedSize;
    let batch: Buffer[] = [];
    let batchChunk = -1;
    let batchStart = 0;
    const writeBatch = (): void => {
      if (batch.length === 0) return;
      const chunk = this.#chunkFor(batchChunk);
      writeFully(chunk.fd, batch, chunk.headerBytes + (batchStart - batchChunk * this.#fileSize));
      this.#dirtyFds.add(chunk.fd);
      batch = [];
    };
    for (let buf of bufs) {
      while (buf.length > 0) {
        const c = Math.floor(pos / this.#fileSize);
        const room = (c + 1) * this.#fileSize - pos;
        const part = buf.length <= room ? buf : buf.subarray(0, room);
        if (c !== batchChunk) {
          writeBatch();
          batchChunk = c;
          batchStart = pos;
        }
        batch.push(part);
        pos += part.length;
        if (part === buf) break; // the whole buffer fit (no empty view per buffer)
        buf = buf.subarray(part.length);
      }
    }
    writeBatch();
    this.#flushedSize = pos;
    this.#pendingBytes = 0;
  }

  #chunkFor(index: number): Chunk {
    const existing = this.#chunks[index];
    if (existing !== undefined) return existing;
    assert(index === this.#chunks.length, `chunk ${index} created out of order`);
    return this.#createChunk(index, true);
  }

  /** fdatasync every chunk written since the last sync (and the directory when chunks were created). */
  async sync(): Promise<void> {
    const fds = [...this.#dirtyFds];
    this.#dirtyFds.clear();
    const dirDirty = this.#dirDirty;
    this.#dirDirty = false;
    for (const fd of fds) {
      this.syncCount++;
      await fdatasync(fd);
    }
    if (dirDirty) await this.#syncDir();
  }

  async #syncDir(): Promise<void> {
    const dfd = fs.openSync(this.dir, 'r');
    try {
      await fsyncAsync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  }

  syncNow(): void {
    for (const fd of this.#dirtyFds) fs.fdatasyncSync(fd);
    this.#dirtyFds.clear();
    if (this.#dirDirty) {
      const dfd = fs.openSync(this.dir, 'r');
      fs.fsyncSync(dfd);
      fs.closeSync(dfd);
      this.#dirDirty = false;
    }
  }

  /** Reads logical bytes [pos, pos+len), from the files and from the unflushed buffer. */
  readAt(pos: number, len: number): Buffer {
    if (pos < 0 || len < 0 || pos + len > this.size) {
      throw new ImmuError('CORRUPTED_DATA', `${this.dir}: read [${pos}, ${pos + len}) beyond log size ${this.size}`, {
        file: this.dir,
        offset: pos,
      });
    }
    const out = Buffer.allocUnsafe(len);
    let done = 0;
    while (done < len && pos + done < this.#flushedSize) {
      const p = pos + done;
      const c = Math.floor(p / this.#fileSize);
      const chunk = this.#chunks[c];
      assert(chunk !== undefined, `chunk ${c} missing for offset ${p}`);
      const n = Math.min(len - done, (c + 1) * this.#fileSize - p, this.#flushedSize - p);
      const got = fs.readSync(chunk.fd, out, done, n, chunk.headerBytes + (p - c * this.#fileSize));
      if (got !== n) throw new ImmuError('IO_ERROR', `${chunk.file}: short read at ${p}`, { file: chunk.file, offset: p });
      done += n;
    }
    if (done < len) {
      let at = this.#flushedSize;
      for (const b of this.#pending) {
        const p = pos + done;
        if (at + b.length > p) {
          const from = p - at;
          const n = Math.min(b.length - from, len - done);
          b.copy(out, done, from, from + n);
          done += n;
          if (done === len) break;
        }
        at += b.length;
      }
    }
    assert(done === len, 'readAt filled the buffer');
    return out;
  }

  /** Where logical offset `pos` lives on disk (for error messages). */
  locate(pos: number): { readonly file: string; readonly offset: number } {
    const c = Math.floor(pos / this.#fileSize);
    const chunk = this.#chunks[c];
    if (chunk === undefined) return { file: this.fileName(c), offset: pos - c * this.#fileSize };
    return { file: chunk.file, offset: chunk.headerBytes + (pos - c * this.#fileSize) };
  }

  /** Cuts the log back to `newSize` bytes (durably, for the flushed part). */
  truncate(newSize: number): void {
    assert(newSize >= 0 && newSize <= this.size, `truncate to ${newSize} of ${this.size}`);
    if (newSize >= this.#flushedSize) {
      let keep = newSize - this.#flushedSize;
      const kept: Buffer[] = [];
      for (const b of this.#pending) {
        if (keep === 0) break;
        const part = b.length <= keep ? b : b.subarray(0, keep);
        kept.push(part);
        keep -= part.length;
      }
      this.#pending = kept;
      this.#pendingBytes = newSize - this.#flushedSize;
      return;
    }
    this.#pending = [];
    this.#pendingBytes = 0;
    if (this.#staged) {
      this.#flushedSize = newSize; // the bytes below newSize are unchanged on disk; applyStaged() cuts the files
      return;
    }
    this.#truncateFiles(newSize);
  }

  #truncateFiles(newSize: number): void {
    const lastChunk = newSize === 0 ? 0 : Math.floor((newSize - 1) / this.#fileSize);
    while (this.#chunks.length > lastChunk + 1) {
      const c = this.#chunks.pop() as Chunk;
      this.#dirtyFds.delete(c.fd);
      fs.closeSync(c.fd);
      fs.unlinkSync(c.file);
      this.#dirDirty = true;
    }
    const chunk = this.#chunks[lastChunk];
    if (chunk !== undefined) {
      fs.ftruncateSync(chunk.fd, chunk.headerBytes + (newSize - lastChunk * this.#fileSize));
      fs.fdatasyncSync(chunk.fd);
    }
    this.#flushedSize = newSize;
    this.syncNow();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.flush();
    await this.sync();
    this.#closed = true;
    for (const c of this.#chunks) fs.closeSync(c.fd);
  }

  /** Closes without flushing (for crash simulation in tests and after fatal errors). */
  abandon(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending = [];
    for (const c of this.#chunks) fs.closeSync(c.fd);
  }
}

function readHeader(fd: number, fileBytes: number): { headerBytes: number; metadata: Buffer } | undefined {
  if (fileBytes < 4) return undefined;
  const lb = Buffer.alloc(4);
  fs.readSync(fd, lb, 0, 4, 0);
  const l = lb.readUInt32BE(0);
  if (l > chunkHeaderBytesMax) return { headerBytes: 4, metadata: Buffer.alloc(0) }; // parse fails later
  if (fileBytes < 4 + l) return undefined;
  const md = Buffer.alloc(l);
  fs.readSync(fd, md, 0, l, 4);
  return { headerBytes: 4 + l, metadata: md };
}

function readAll(fd: number, n: number): Buffer {
  const b = Buffer.alloc(n);
  if (n > 0) fs.readSync(fd, b, 0, n, 0);
  return b;
}

function isPrefixOf(a: Buffer, b: Buffer): boolean {
  return a.length <= b.length && a.equals(b.subarray(0, a.length));
}

function writeFully(fd: number, bufs: Buffer[], position: number): void {
  let total = 0;
  for (const b of bufs) total += b.length;
  let written = fs.writevSync(fd, bufs, position);
  if (written === total) return;
  // Rare partial write: finish the rest buffer by buffer.
  let pos = position + written;
  for (const b of bufs) {
    if (written >= b.length) {
      written -= b.length;
      continue;
    }
    let part = b.subarray(written);
    written = 0;
    while (part.length > 0) {
      const n = fs.writeSync(fd, part, 0, part.length, pos);
      pos += n;
      part = part.subarray(n);
    }
  }
}
