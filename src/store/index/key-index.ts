// The key index: store key -> every version (txId, value location, hVal, metadata), built
// asynchronously from committed txs and kept in lmdb. It is derived data: indexedTxId is persisted in
// the same lmdb transaction as the entries it covers, a missing, unreadable or foreign index is rebuilt
// from tx 1, and a source read error stalls indexing visibly instead of skipping a tx.
// It does not interpret values (references, expiry policy, sorted sets): that is src/database.
import { mkdir, rm } from 'node:fs/promises';
import { ImmuError, isImmuError, type ErrorCode } from '../../common/errors.js';
import { indexWaitTimeoutMsDefault } from '../../common/limits.js';
import type { Logger } from '../../common/log.js';
import type { HistoryOptions, IndexedValue, ScanOptions, StoredTx } from '../types.js';
import { encodeBatch, type EncodedBatch, type IndexTx, type RecordTxForIndex } from './index-batch.js';
import { INDEX_FORMAT_VERSION, IndexDb } from './index-db.js';
import { readAsOfTx, readAtRevision, readCount, readHistory, readLatest, readScan } from './index-reads.js';
import { IndexWaiters } from './index-waiters.js';
import {
  indexBatchEntriesMax,
  indexBatchTxsMax,
  indexCatchupLogThresholdTxs,
  indexCommitsInFlightMax,
  indexProgressLogIntervalMs,
  indexReadAheadTxsMax,
  indexSyncWriteEntriesMax,
} from './limits.js';
import { TxReadAhead } from './tx-read-ahead.js';
import { currentBootId, readUnsyncedMarker } from './unsynced-marker.js';

export interface IndexSource {
  committedTxId(): number;
  readTxForIndex(txId: number): Promise<StoredTx>;
  /** Fast path: a committed tx still held as its packed record (no per-entry objects), else undefined. */
  readRecordForIndex?(txId: number): RecordTxForIndex | undefined;
}

export interface KeyIndexOptions {
  readonly dir: string;
  readonly logger: Logger;
  readonly source: IndexSource;
  readonly db?: string;
  /**
   * true: lmdb fsyncs its commits. false (the default where the kernel has a boot id): lmdb does not
   * fsync; an index left unsynced by an OS crash is discarded and rebuilt at the next open
   * (unsynced-marker.ts, docs/design/index.md). Without a boot id the index is always synced.
   */
  readonly durable?: boolean;
  /** Reads the kernel's boot id (tests simulate a reboot through it). */
  readonly bootId?: () => string | undefined;
  /** Monotonic milliseconds, for progress rates only. */
  readonly clockMs?: () => number;
}

export interface IndexStall {
  readonly reason: string;
  readonly code: ErrorCode;
  readonly txId: number;
}

export interface IndexStatus {
  readonly indexedTxId: number;
  readonly lagTxs: number;
  readonly stalled?: IndexStall;
}

interface InFlight {
  readonly batch: EncodedBatch;
  readonly commit: Promise<boolean>;
}

interface Progress {
  readonly event: 'index.rebuild_progress' | 'index.catchup_progress';
  readonly startedMs: number;
  lastLogMs: number;
  entries: number;
}

interface OpenedDb {
  readonly db: IndexDb;
  readonly indexedTxId: number;
  readonly rebuilt: boolean;
  readonly stall: ImmuError | undefined;
}

function toImmuError(err: unknown): ImmuError {
  if (isImmuError(err)) return err;
  return new ImmuError('INTERNAL', err instanceof Error ? err.message : String(err));
}

export class KeyIndex {
  readonly #db: IndexDb;
  readonly #source: IndexSource;
  readonly #log: Logger;
  readonly #clockMs: () => number;
  readonly #waiters = new IndexWaiters(() => this.#indexedTxId);
  #indexedTxId: number;
  #targetTxId: number;
  #stall: { readonly error: ImmuError; readonly txId: number } | undefined;
  #closed = false;
  #loop: Promise<void> | undefined;
  #progress: Progress | undefined;

  private constructor(opts: KeyIndexOptions, opened: OpenedDb, log: Logger) {
    this.#db = opened.db;
    this.#source = opts.source;
    this.#log = log;
    this.#clockMs = opts.clockMs ?? (() => performance.now());
    this.#indexedTxId = opened.indexedTxId;
    this.#targetTxId = Math.max(opened.indexedTxId, opts.source.committedTxId());
    if (opened.stall !== undefined) this.#stallWith(opened.stall, opened.indexedTxId + 1);
  }

  /** Creates or opens the index in `dir`; rebuilds from tx 1 when it is missing, unreadable or foreign. */
  static async open(opts: KeyIndexOptions): Promise<KeyIndex> {
    const log = opts.logger.child({ db: opts.db ?? '' });
    const opened = await openOrRebuild(opts, log);
    const index = new KeyIndex(opts, opened, log);
    const lag = index.#targetTxId - index.#indexedTxId;
    if (opened.rebuilt && lag > 0) index.#startProgress('index.rebuild_progress');
    else if (lag >= indexCatchupLogThresholdTxs) index.#startProgress('index.catchup_progress');
    index.#kick();
    return index;
  }

  /** Deletes the index; the next open rebuilds it from the log. */
  static async destroy(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
  }

  indexedTxId(): number {
    return this.#indexedTxId;
  }

  status(): IndexStatus {
    const target = Math.max(this.#targetTxId, this.#closed ? 0 : this.#source.committedTxId());
    const base = { indexedTxId: this.#indexedTxId, lagTxs: Math.max(0, target - this.#indexedTxId) };
    if (this.#stall === undefined) return base;
    return { ...base, stalled: { reason: this.#stall.error.message, code: this.#stall.error.code, txId: this.#stall.txId } };
  }

  notifyCommitted(txId: number): void {
    if (txId > this.#targetTxId) this.#targetTxId = txId;
    this.#kick();
  }

  /** Clears a stall (e.g. after a transient I/O error) and resumes indexing from indexedTxId + 1. */
  retry(): void {
    if (this.#stall === undefined || this.#closed) return;
    this.#log.info({ event: 'index.retry', txId: this.#stall.txId }, 'index retrying after stall');
    this.#stall = undefined;
    this.#kick();
  }

  waitForIndexedTx(txId: number, timeoutMs: number = indexWaitTimeoutMsDefault): Promise<void> {
    if (!Number.isSafeInteger(txId) || txId < 0) {
      return Promise.reject(new ImmuError('ILLEGAL_ARGUMENTS', `txId ${txId} is not a valid tx id`));
    }
    if (this.#closed) return Promise.reject(new ImmuError('STORE_CLOSED', 'the key index is closed'));
    if (this.#indexedTxId >= txId) return Promise.resolve();
    if (this.#stall !== undefined) return Promise.reject(this.#stallError());
    return this.#waiters.wait(txId, timeoutMs);
  }

  get(key: Buffer): IndexedValue | undefined {
    this.#checkOpen();
    return readLatest(this.#db, key);
  }

  /** 1-based from the oldest; 0 = latest; negative counts back from the latest (-1 = the one before). */
  getAtRevision(key: Buffer, revision: number): IndexedValue | undefined {
    this.#checkOpen();
    return readAtRevision(this.#db, key, revision);
  }

  getAsOfTx(key: Buffer, txId: number): IndexedValue | undefined {
    this.#checkOpen();
    return readAsOfTx(this.#db, key, txId);
  }

  /** Versions in tx order (or reverse); limit undefined or 0 = all. `sinceTx` is the caller's wait. */
  history(key: Buffer, opts: HistoryOptions): IndexedValue[] {
    this.#checkOpen();
    return readHistory(this.#db, key, opts);
  }

  /** Latest version per key, tombstones included unless `accept` filters them (filtered ones don't count toward limit). */
  scan(opts: ScanOptions, accept?: (v: IndexedValue) => boolean): IndexedValue[] {
    this.#checkOpen();
    return readScan(this.#db, opts, accept);
  }

  /** Distinct keys with the prefix whose latest version is not a tombstone (and not expired, if nowSeconds given). */
  count(prefix: Buffer, nowSeconds?: number): number {
    this.#checkOpen();
    return readCount(this.#db, prefix, nowSeconds);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#loop;
    this.#waiters.failAll(new ImmuError('STORE_CLOSED', 'the key index is closed'));
    await this.#db.close();
  }

  #checkOpen(): void {
    if (this.#closed) throw new ImmuError('STORE_CLOSED', 'the key index is closed');
  }

  #kick(): void {
    if (this.#loop !== undefined || this.#closed || this.#stall !== undefined) return;
    this.#targetTxId = Math.max(this.#targetTxId, this.#source.committedTxId());
    if (this.#indexedTxId >= this.#targetTxId) return;
    this.#loop = this.#run().finally(() => {
      this.#loop = undefined;
      this.#kick();
    });
  }

  /**
   * Reads batches ahead while up to indexCommitsInFlightMax earlier batches commit. Never rejects: a
   * read error is applied after the batches before it commit; a write error stalls at once.
   */
  async #run(): Promise<void> {
    const reader = new TxReadAhead(this.#source, this.#indexedTxId + 1, indexReadAheadTxsMax);
    const inflight: InFlight[] = [];
    let readError: ImmuError | undefined;
    try {
      while (!this.#closed && readError === undefined) {
        if (reader.nextTxId > this.#targetTxId) {
          const done = inflight.shift();
          if (done === undefined) break;
          await this.#settle(done);
          this.#targetTxId = Math.max(this.#targetTxId, this.#source.committedTxId());
          continue;
        }
        const read = await this.#readBatch(reader);
        readError = read.error;
        if (read.txs.length === 0 || this.#closed) break;
        const batch = encodeBatch(read.txs);
        if (inflight.length === 0 && batch.versions.keys.length <= indexSyncWriteEntriesMax && this.#db.syncWritesAreCheap) {
          this.#db.writeBatchSync(batch.versions, batch.lastTxId, batch.lastAlh);
          this.#advanced(batch);
          continue;
        }
        while (inflight.length >= indexCommitsInFlightMax) await this.#settle(inflight.shift() as InFlight);
        inflight.push({ batch, commit: this.#db.writeBatch(batch.versions, batch.lastTxId, batch.lastAlh) });
      }
      for (let f = inflight.shift(); f !== undefined; f = inflight.shift()) await this.#settle(f);
      if (readError !== undefined) this.#stallWith(readError, this.#indexedTxId + 1);
    } catch (err) {
      await Promise.allSettled(inflight.map((f) => f.commit));
      this.#stallWith(toImmuError(err), this.#indexedTxId + 1);
    }
  }

  async #readBatch(reader: TxReadAhead): Promise<{ txs: IndexTx[]; error: ImmuError | undefined }> {
    const txs: IndexTx[] = [];
    let entries = 0;
    try {
      while (txs.length < indexBatchTxsMax && entries < indexBatchEntriesMax && reader.nextTxId <= this.#targetTxId) {
        const next = reader.next(this.#targetTxId);
        const tx = next instanceof Promise ? await next : next;
        txs.push(tx);
        entries += tx.entries.length;
      }
      return { txs, error: undefined };
    } catch (err) {
      return { txs, error: toImmuError(err) };
    }
  }

  async #settle(f: InFlight): Promise<void> {
    await f.commit;
    this.#advanced(f.batch);
  }

  #advanced(batch: InFlight['batch']): void {
    this.#indexedTxId = batch.lastTxId;
    this.#waiters.advance(this.#indexedTxId);
    this.#reportProgress(batch.versions.keys.length);
  }

  #startProgress(event: Progress['event']): void {
    const now = this.#clockMs();
    this.#progress = { event, startedMs: now, lastLogMs: now, entries: 0 };
    this.#log.info({ event: event === 'index.rebuild_progress' ? 'index.rebuild_started' : 'index.catchup_started', txId: this.#indexedTxId, lastTxId: this.#targetTxId }, 'index catching up');
  }

  #reportProgress(entries: number): void {
    const p = this.#progress;
    if (p === undefined) return;
    p.entries += entries;
    const now = this.#clockMs();
    const rate = Math.round((p.entries * 1000) / Math.max(1, now - p.startedMs));
    if (this.#indexedTxId >= this.#targetTxId) {
      const event = p.event === 'index.rebuild_progress' ? 'index.rebuild_done' : 'index.catchup_done';
      this.#log.info({ event, txId: this.#indexedTxId, entries: p.entries, elapsedMs: Math.round(now - p.startedMs), rate }, 'index caught up');
      this.#progress = undefined;
    } else if (now - p.lastLogMs >= indexProgressLogIntervalMs) {
      p.lastLogMs = now;
      this.#log.info({ event: p.event, txId: this.#indexedTxId, lastTxId: this.#targetTxId, rate }, 'index progress');
    }
  }

  #stallWith(error: ImmuError, txId: number): void {
    this.#stall = { error, txId };
    this.#log.error({ event: 'index.stalled', txId, code: error.code, err: error.message }, 'indexing stopped');
    this.#waiters.failAll(this.#stallError());
  }

  #stallError(): ImmuError {
    const s = this.#stall;
    if (s === undefined) return new ImmuError('INTERNAL', 'index is not stalled');
    return new ImmuError(s.error.code, `index stalled at tx ${s.txId}: ${s.error.message}`, { txId: s.txId });
  }
}

/** Opens the lmdb env in opts.dir, checks it belongs to this source, and rebuilds it from empty when not. */
async function openOrRebuild(opts: KeyIndexOptions, log: Logger): Promise<OpenedDb> {
  const bootId = (opts.bootId ?? currentBootId)();
  const unsyncedBootId = opts.durable === true ? undefined : bootId;
  await mkdir(opts.dir, { recursive: true });
  let db: IndexDb | undefined;
  let reason: string | undefined;
  let stall: ImmuError | undefined;
  let indexedTxId = 0;
  try {
    // written unsynced during another boot and never closed cleanly: torn pages are possible, and lmdb
    // trusts its pages (it may crash on them), so the file is not even opened
    const marker = readUnsyncedMarker(opts.dir);
    if (marker !== undefined && marker !== bootId) reason = 'unsynced_before_restart';
    else db = IndexDb.open(opts.dir, unsyncedBootId);
    const meta = db === undefined ? undefined : db.readMeta();
    if (db === undefined) {
      // reason already set
    } else if (meta === undefined) {
      if (!db.isEmpty()) reason = 'meta_missing';
    } else if (meta.formatVersion !== INDEX_FORMAT_VERSION) {
      reason = 'format_changed';
    } else if (meta.indexedTxId > opts.source.committedTxId()) {
      reason = 'ahead_of_source';
    } else if (meta.indexedTxId > 0) {
      indexedTxId = meta.indexedTxId;
      try {
        const tx = await opts.source.readTxForIndex(meta.indexedTxId);
        if (!tx.alh.equals(meta.indexedAlh)) reason = 'alh_mismatch';
      } catch (err) {
        stall = toImmuError(err); // cannot tell whether the index matches; do not index on top of it
      }
    }
  } catch (err) {
    reason = 'unreadable';
    log.warn({ event: 'index.unreadable', err: err instanceof Error ? err.message : String(err) }, 'index unreadable');
  }
  if (reason === undefined && db !== undefined) {
    return { db, indexedTxId, rebuilt: indexedTxId === 0, stall };
  }
  log.warn({ event: 'index.discarded', reason, lastTxId: opts.source.committedTxId() }, 'index discarded; rebuilding from tx 1');
  if (db !== undefined) await db.close();
  await KeyIndex.destroy(opts.dir);
  await mkdir(opts.dir, { recursive: true });
  return { db: IndexDb.open(opts.dir, unsyncedBootId), indexedTxId: 0, rebuilt: true, stall: undefined };
}
