// The lmdb environment behind the key index: a dupSort database `versions` (store key -> one dup per
// version, see entry-codec.ts) and a small `meta` database (format, indexedTxId, its Alh). This file
// owns every lmdb call, so the rest of the index never sees lmdb-js quirks (encoders, default
// iteration bounds, shared read buffers). It decides nothing about what gets indexed.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type DatabaseOptions, type RangeOptions, type RootDatabase } from 'lmdb';
import { assert } from '../../common/assert.js';
import { ImmuError } from '../../common/errors.js';
import { keySizeBytesMax } from '../../common/limits.js';
import { txIdBound } from './entry-codec.js';
import { clearUnsyncedMarker, writeUnsyncedMarker } from './unsynced-marker.js';
import type { VersionBatch } from './index-batch.js';

/** Bumped whenever the layout of `versions` or `meta` changes; a mismatch rebuilds the index. */
export const INDEX_FORMAT_VERSION = 1;
const LMDB_FILE = 'index.mdb';
const META_FORMAT = 'format';
const META_INDEXED_TX = 'indexedTxId';
const META_INDEXED_ALH = 'indexedAlh';
/** Store keys are a database prefix byte plus at most keySizeBytesMax bytes. */
export const storeKeyBytesMax = keySizeBytesMax + 1;
const EMPTY = Buffer.alloc(0);
const ALH_BYTES = 32;
/** The value of META_FORMAT; lmdb copies it at commit and nothing writes into it. */
const FORMAT_RECORD = Buffer.alloc(4);
FORMAT_RECORD.writeUInt32BE(INDEX_FORMAT_VERSION, 0);

export interface IndexMeta {
  readonly formatVersion: number;
  readonly indexedTxId: number;
  readonly indexedAlh: Buffer;
}

/** One write given on its own (tests, tools); batches from the indexer come as a `VersionBatch`. */
export interface VersionWrite {
  readonly key: Buffer;
  readonly version: Buffer;
}

/** Copies separate writes into the slab form writeBatch hands to lmdb. */
export function versionBatchOf(writes: readonly VersionWrite[]): VersionBatch {
  let bytes = 0;
  for (const w of writes) bytes += w.version.length;
  const slab = Buffer.allocUnsafeSlow(Math.max(1, bytes));
  const lengths = new Uint8Array(writes.length);
  let o = 0;
  writes.forEach((w, i) => {
    assert(w.version.length < SLAB_SPAN, `version of ${w.version.length} bytes`);
    w.version.copy(slab, o);
    lengths[i] = w.version.length;
    o += w.version.length;
  });
  return { keys: writes.map((w) => w.key), slab, lengths };
}

/**
 * lmdb-js with `encoding: 'binary'` has no encoder, and then refuses start/end bounds on dup values.
 * This identity encoder restores them (raw bytes via writeKey) and copies every value out of lmdb's
 * shared read buffer in decode, so callers may keep what they get.
 * Writes of a batch pass a number instead of a Buffer: `start * 128 + length` inside the batch's slab.
 * encode then answers with the slab itself and `start`/`end` set, which lmdb-js reads at once and
 * turns into an address inside the slab (its own ArrayBuffer, kept alive by the batch until commit),
 * so no Buffer view is made per version.
 */
class RawValueEncoder {
  #slab: (Buffer & { start?: number; end?: number }) | undefined;

  /** The slab that numeric values of the writes being queued refer to (undefined outside writeBatch). */
  useSlab(slab: Buffer | undefined): void {
    this.#slab = slab;
  }

  encode(value: Buffer | number): Buffer {
    if (typeof value !== 'number') return value;
    const slab = this.#slab;
    assert(slab !== undefined, 'a slab write outside writeBatch');
    const start = Math.floor(value / SLAB_SPAN);
    slab.start = start;
    slab.end = start + (value % SLAB_SPAN);
    return slab;
  }

  decode(bytes: Uint8Array, size?: unknown): Buffer {
    return Buffer.from(bytes.subarray(0, typeof size === 'number' ? size : bytes.length));
  }

  writeKey(key: Uint8Array, target: Uint8Array, position: number): number {
    target.set(key, position);
    return position + key.length;
  }
}
/** A version is at most 67 bytes; slab writes are encoded as start * SLAB_SPAN + length. */
const SLAB_SPAN = 128;

function first<T>(it: Iterable<T>): T | undefined {
  for (const v of it) return v;
  return undefined;
}

export class IndexDb {
  readonly #env: RootDatabase<Buffer, string>;
  readonly #versions: Database<Buffer, Buffer>;
  readonly #meta: Database<Buffer, string>;
  readonly #encoder: RawValueEncoder;
  /** Set when lmdb runs without fsync: the directory whose unsynced marker a clean close removes. */
  readonly #unsyncedDir: string | undefined;
  /** A writeBatch of this handle has committed, and with it the (constant) format record. */
  #formatCommitted = false;

  private constructor(
    env: RootDatabase<Buffer, string>,
    versions: Database<Buffer, Buffer>,
    meta: Database<Buffer, string>,
    encoder: RawValueEncoder,
    unsyncedDir: string | undefined,
  ) {
    this.#env = env;
    this.#unsyncedDir = unsyncedDir;
    this.#versions = versions;
    this.#meta = meta;
    this.#encoder = encoder;
  }

  /**
   * Opens or creates the environment in `dir` (which must exist). Throws CORRUPTED_DATA when the
   * data file's meta pages are not lmdb's (lmdb would crash the process on them), else what lmdb throws.
   * `unsyncedBootId`: run lmdb without fsync (noSync); the caller has checked any earlier marker, and
   * this writes the marker for boot `unsyncedBootId` before lmdb can write (unsynced-marker.ts).
   * Undefined: lmdb fsyncs its commits itself (overlappingSync).
   */
  static open(dir: string, unsyncedBootId: string | undefined): IndexDb {
    const durable = unsyncedBootId === undefined;
    const problem = lmdbHeaderProblem(join(dir, LMDB_FILE));
    if (problem !== undefined) throw new ImmuError('CORRUPTED_DATA', `index file ${LMDB_FILE}: ${problem}`);
    const env = open<Buffer, string>({
      path: join(dir, LMDB_FILE),
      maxDbs: 4,
      encoding: 'binary',
      ...(durable ? {} : { noSync: true, overlappingSync: false }),
    });
    try {
      if (unsyncedBootId !== undefined) writeUnsyncedMarker(dir, unsyncedBootId);
      const encoder = new RawValueEncoder();
      const versionsOptions: DatabaseOptions & { name: string; encoder: RawValueEncoder } = {
        name: 'versions',
        dupSort: true,
        keyEncoding: 'binary',
        encoding: 'binary',
        encoder,
      };
      const versions = env.openDB<Buffer, Buffer>(versionsOptions);
      const meta = env.openDB<Buffer, string>({ name: 'meta', encoding: 'binary' });
      const maxKeySize = (versions as unknown as { maxKeySize?: unknown }).maxKeySize;
      assert(typeof maxKeySize === 'number' && maxKeySize >= storeKeyBytesMax, `lmdb max key size ${String(maxKeySize)} < ${storeKeyBytesMax}`);
      return new IndexDb(env, versions, meta, encoder, durable ? undefined : dir);
    } catch (err) {
      void env.close();
      throw err;
    }
  }

  /** Undefined for a fresh database; CORRUPTED_DATA when meta exists but is malformed. */
  readMeta(): IndexMeta | undefined {
    const format = this.#meta.get(META_FORMAT);
    const txId = this.#meta.get(META_INDEXED_TX);
    const alh = this.#meta.get(META_INDEXED_ALH);
    if (format === undefined && txId === undefined && alh === undefined) return undefined;
    if (format?.length !== 4 || txId?.length !== 8 || alh?.length !== ALH_BYTES) {
      throw new ImmuError('CORRUPTED_DATA', 'index meta is malformed');
    }
    const indexedTxId = Number(txId.readBigUInt64BE(0));
    if (!Number.isSafeInteger(indexedTxId)) throw new ImmuError('CORRUPTED_DATA', 'index meta indexedTxId is out of range');
    return { formatVersion: format.readUInt32BE(0), indexedTxId, indexedAlh: Buffer.from(alh) };
  }

  /** True when the versions database holds no key at all. */
  isEmpty(): boolean {
    return first(this.#versions.getKeys({ limit: 1 })) === undefined;
  }

  /**
   * Queues the versions and then the meta record. lmdb-js commits every write queued in one event turn
   * in one transaction, in order, so the promise resolves when entries and indexedTxId are committed
   * together; even if a batch were split, meta is queued last and can never commit ahead of entries.
   * lmdb reads the version bytes from `batch.slab` when it commits: the caller keeps the batch (and
   * leaves it unchanged) until the promise settles.
   */
  writeBatch(batch: VersionBatch | readonly VersionWrite[], indexedTxId: number, indexedAlh: Buffer): Promise<boolean> {
    return this.#queueBatch(batch, indexedTxId, indexedAlh);
  }

  /**
   * writeBatch as one lmdb write transaction on the calling thread, committed when this returns. For
   * small batches when no asynchronous batch is in flight (the caller's rule: lmdb-js commits queued
   * async writes on its own thread, and a sync transaction must not overtake them): a few puts cost
   * less than handing them to lmdb's write thread and waiting for its callback.
   */
  writeBatchSync(batch: VersionBatch | readonly VersionWrite[], indexedTxId: number, indexedAlh: Buffer): void {
    assert(this.syncWritesAreCheap, 'synchronous index writes only without fsync (they would block the main thread on the disk)');
    this.#env.transactionSync(() => {
      void this.#queueBatch(batch, indexedTxId, indexedAlh);
    });
    this.#formatCommitted = true;
  }

  #queueBatch(batch: VersionBatch | readonly VersionWrite[], indexedTxId: number, indexedAlh: Buffer): Promise<boolean> {
    assert(indexedAlh.length === ALH_BYTES, 'indexedAlh must be 32 bytes');
    const b = 'slab' in batch ? batch : versionBatchOf(batch);
    const { keys, slab, lengths } = b;
    assert(slab.byteOffset === 0 && slab.byteLength === slab.buffer.byteLength, 'the slab is a whole ArrayBuffer');
    assert(slab.length * SLAB_SPAN <= Number.MAX_SAFE_INTEGER, 'slab offsets fit the write encoding');
    const versions = this.#versions as unknown as { put(key: Buffer, value: number): Promise<boolean> };
    this.#encoder.useSlab(slab);
    try {
      let o = 0;
      for (let i = 0; i < keys.length; i++) {
        const n = lengths[i] as number;
        void versions.put(keys[i] as Buffer, o * SLAB_SPAN + n);
        o += n;
      }
    } finally {
      this.#encoder.useSlab(undefined);
    }
    // the format record never changes: once a commit carried it, later batches leave it as it is
    if (!this.#formatCommitted) void this.#meta.put(META_FORMAT, FORMAT_RECORD);
    void this.#meta.put(META_INDEXED_ALH, Buffer.from(indexedAlh));
    const committed = this.#meta.put(META_INDEXED_TX, txIdBound(indexedTxId));
    if (this.#formatCommitted) return committed;
    return committed.then((ok) => {
      this.#formatCommitted = true;
      return ok;
    });
  }

  /** lmdb runs without fsync here, so a synchronous write transaction costs only its page copies. */
  get syncWritesAreCheap(): boolean {
    return this.#unsyncedDir !== undefined;
  }

  /** Number of versions of `key`. */
  versionCount(key: Buffer): number {
    return this.#versions.getValuesCount(key);
  }

  /** Number of versions of `key` with txId <= txId. */
  versionCountUpTo(key: Buffer, txId: number): number {
    return this.#versions.getValuesCount(key, { end: txIdBound(txId + 1) });
  }

  /** The version at 0-based position `index` counted from the oldest, or from the newest if `fromNewest`. */
  versionAt(key: Buffer, index: number, fromNewest: boolean): Buffer | undefined {
    return first(this.#versions.getValues(key, { reverse: fromNewest, offset: index, limit: 1 }));
  }

  /** The newest version with txId <= txId. */
  versionAsOf(key: Buffer, txId: number): Buffer | undefined {
    return first(this.#versions.getValues(key, { reverse: true, start: txIdBound(txId + 1), limit: 1 }));
  }

  versions(key: Buffer, offset: number, limit: number | undefined, reverse: boolean): Buffer[] {
    const opts: RangeOptions = { reverse, offset, ...(limit === undefined ? {} : { limit }) };
    return [...this.#versions.getValues(key, opts)];
  }

  /**
   * Distinct keys from `start` in key order (or reverse). lmdb-js by default starts ascending scans at
   * byte 0x05 and stops descending ones there; explicit empty bounds make it visit every key.
   */
  keys(start: Buffer | undefined, reverse: boolean): Iterable<Buffer> {
    if (reverse) return this.#versions.getKeys(start === undefined ? { reverse, end: EMPTY } : { reverse, start, end: EMPTY });
    return this.#versions.getKeys({ start: start ?? EMPTY });
  }

  /** Closes; an unsynced environment is fsynced first and only then loses its marker. */
  async close(): Promise<void> {
    const dir = this.#unsyncedDir;
    if (dir !== undefined) {
      await this.#env.committed;
      await new Promise<void>((resolve, reject) => {
        (this.#env as unknown as { sync(cb: (err?: unknown) => void): void }).sync((err) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()));
      });
    }
    await this.#env.close();
    if (dir !== undefined) clearUnsyncedMarker(dir);
  }
}

// LMDB (the fork lmdb-js 3 builds) starts its data file with two meta pages. Page header: pgno u64,
// txnid u64, pad u16, flags u16 (P_META = 0x08), lower u16, upper u16; then MDB_meta: magic u32
// (0xBEEFC0DE), version u32 (2), address u64, mapsize u64, and the free DB whose md_pad holds the page
// size. Values are in host order (little-endian here). A test checks a fresh file passes, so a layout
// change in an lmdb upgrade shows up as a failing test rather than a rebuild on every open.
const META_FLAGS_OFFSET = 18;
const META_MAGIC_OFFSET = 24;
const META_VERSION_OFFSET = 28;
const META_PAGE_SIZE_OFFSET = 48;
const P_META = 0x08;
const MDB_MAGIC = 0xbeefc0de;
const MDB_DATA_VERSION = 2;
const META_HEADER_BYTES = 64;

function metaPageProblem(fd: number, at: number): string | undefined {
  const b = Buffer.alloc(META_HEADER_BYTES);
  if (readSync(fd, b, 0, META_HEADER_BYTES, at) !== META_HEADER_BYTES) return `meta page at ${at} is truncated`;
  if ((b.readUInt16LE(META_FLAGS_OFFSET) & P_META) === 0) return `page at ${at} is not a meta page`;
  if (b.readUInt32LE(META_MAGIC_OFFSET) !== MDB_MAGIC) return `bad magic at ${at + META_MAGIC_OFFSET}`;
  if (b.readUInt32LE(META_VERSION_OFFSET) !== MDB_DATA_VERSION) return `unsupported lmdb data version at ${at}`;
  return undefined;
}

/** Undefined when the file is absent (fresh index) or its two meta pages look like lmdb's. */
export function lmdbHeaderProblem(path: string): string | undefined {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return undefined;
  }
  const fd = openSync(path, 'r');
  try {
    const first = metaPageProblem(fd, 0);
    if (first !== undefined) return first;
    const b = Buffer.alloc(4);
    readSync(fd, b, 0, 4, META_PAGE_SIZE_OFFSET);
    const pageSize = b.readUInt32LE(0);
    if (pageSize < 512 || pageSize > 65_536 || (pageSize & (pageSize - 1)) !== 0) return `bad page size ${pageSize}`;
    if (size < 2 * pageSize) return `file of ${size} bytes is shorter than its two meta pages`;
    return metaPageProblem(fd, pageSize);
  } finally {
    closeSync(fd);
  }
}
