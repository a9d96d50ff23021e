// Opening a store directory (core spec 6.7): parse every chunk header, find the committed state from the
// last whole commit entry (checked against its tx record), re-adopt whole valid records after it as
// precommitted, truncate torn tails (logged as store.torn_tail_truncated), and bring the derived aht in
// line with the tx log. Any other damage refuses to open with CORRUPTED_DATA naming file and offset.
// Every log is opened staged: all checks run first against the unchanged files, the repairs they call
// for are only planned (logical truncation, bytes kept in memory, log lines queued), and nothing is
// written, truncated or unlinked unless the whole open succeeds. A refused open leaves every file as it was.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bytesEqual, ZERO32 } from '../common/bytes.js';
import { ImmuError } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { EMPTY_HASH, sha256 } from '../proof/hash.js';
import { txAlh } from '../proof/tx-header.js';
import { AhtLog } from './aht-log.js';
import { popcount } from './aht-math.js';
import { AppendLog } from './append-log.js';
import { decodeMetadataTree, type DecodedMetadata } from './chunk-metadata.js';
import { recordToHeader } from './record-header.js';
import {
  ahtChunkHeader,
  commitEntryBytes,
  LAYOUT,
  limitsFromHeader,
  limitsFromOptions,
  parseChunkHeader,
  storeChunkHeader,
  VALUE_LOG_ID,
  type StoreLimits,
} from './store-layout.js';
import { decodeCommitEntry, decodeTxRecord, type TxRecord } from './tx-record.js';
import type { StoreOptions, StoreState } from './types.js';

const scanWindowBytesInitial = 256 * 1024;

/** A precommitted, not yet committed tx: where its record is and where the value log stood before it. */
export interface PendingTx {
  readonly id: number;
  readonly alh: Buffer;
  readonly txOffset: number;
  readonly txSize: number;
  readonly valueLogBefore: number;
}

export interface RecoveredStore {
  readonly logger: Logger;
  readonly limits: StoreLimits;
  readonly tx: AppendLog;
  readonly val: AppendLog;
  readonly commit: AppendLog;
  readonly aht: AhtLog;
  readonly pending: readonly PendingTx[];
  readonly committed: StoreState;
  readonly precommitted: StoreState;
}

function corrupt(log: AppendLog, pos: number, what: string, txId?: number): ImmuError {
  const at = log.locate(pos);
  return new ImmuError('CORRUPTED_DATA', `${at.file} at offset ${at.offset}: ${what}`, { ...at, txId });
}

export function recoverStore(opts: StoreOptions): RecoveredStore {
  const logger = opts.logger.child({ db: path.basename(opts.dir) });
  fs.mkdirSync(opts.dir, { recursive: true });
  const wanted = limitsFromOptions(opts);
  const opened: AppendLog[] = [];
  const open = (l: { readonly dir: string; readonly ext: string }, header: Buffer, fileSize: number, create: boolean): AppendLog => {
    const log = AppendLog.open({ dir: path.join(opts.dir, l.dir), ext: l.ext, fileSizeBytes: fileSize, header, create, staged: true });
    opened.push(log);
    return log;
  };
  try {
    // The tx log's first chunk holds the limits the store was created with; every chunk header of the
    // tx, commit and value logs must decode to the same map (a flipped byte shows up as a difference).
    const probes = [LAYOUT.tx, LAYOUT.commit, LAYOUT.val].map((l) => open(l, storeChunkHeader(wanted), wanted.fileSizeBytes, false));
    try {
      checkSameHeaders(probes);
    } finally {
      for (const p of probes) p.abandon();
      opened.length = 0;
    }
    return recoverStaged(probes[0]?.chunkMetadata()[0], logger, wanted, open);
  } catch (err) {
    for (const log of opened) log.abandon(); // staged: nothing was changed on disk
    throw err;
  }
}

function recoverStaged(
  first: { readonly file: string; readonly metadata: Buffer } | undefined,
  logger: Logger,
  wanted: StoreLimits,
  open: (l: { readonly dir: string; readonly ext: string }, header: Buffer, fileSize: number, create: boolean) => AppendLog,
): RecoveredStore {
  const limits = first === undefined ? wanted : limitsFromHeader(first.metadata, first.file);
  if (first !== undefined && JSON.stringify(limitsOf(limits)) !== JSON.stringify(limitsOf(wanted))) {
    logger.warn({ event: 'store.options_ignored', stored: limitsOf(limits), requested: limitsOf(wanted) }, 'store limits are fixed at creation');
  }
  if (first !== undefined && 'embeddedValues' in limits && limits.embeddedValues) {
    throw new ImmuError('UNIMPLEMENTED', 'stores with EMBEDDED_VALUES are not supported');
  }
  const storeHeader = storeChunkHeader(limits);
  const create = first === undefined;
  const tx = open(LAYOUT.tx, storeHeader, limits.fileSizeBytes, create);
  const commit = open(LAYOUT.commit, storeHeader, limits.fileSizeBytes, create);
  const val = open(LAYOUT.val, storeHeader, limits.fileSizeBytes, create);
  const ahtHeader = ahtChunkHeader(limits.fileSizeBytes);
  const ahtLogs = {
    data: open(LAYOUT.ahtData, ahtHeader, limits.fileSizeBytes, true),
    tree: open(LAYOUT.ahtTree, ahtHeader, limits.fileSizeBytes, true),
    commit: open(LAYOUT.ahtCommit, ahtHeader, limits.fileSizeBytes, true),
  };
  for (const log of [tx, commit, val]) checkStoreHeaders(log, limits);
  checkSameHeaders([tx, commit, val]);
  checkSameHeaders([ahtLogs.data, ahtLogs.tree, ahtLogs.commit]);
  for (const log of [ahtLogs.data, ahtLogs.tree, ahtLogs.commit]) {
    for (const c of log.chunkMetadata()) parseChunkHeader(c.metadata, c.file);
  }
  const r = new Recovery(logger, limits, tx, val, commit);
  const { committed, precommitted, pending } = r.run();
  const aht = new AhtLog(ahtLogs);
  r.recoverAht(aht, precommitted.txId);
  // Every check has passed: carry out the planned repairs and log each one.
  const all = [commit, tx, val, ahtLogs.data, ahtLogs.tree, ahtLogs.commit];
  for (const log of all) {
    for (const n of log.notes) logger.warn({ event: 'store.torn_tail_truncated', file: n.file, fromOffset: n.fileBytes, toOffset: 0 }, 'torn chunk header removed');
  }
  r.emitEvents();
  for (const log of all) log.applyStaged();
  aht.flush();
  if (create) tx.syncNow();
  return { logger, limits, tx, val, commit, aht, pending, committed, precommitted };
}

function limitsOf(l: StoreLimits): StoreLimits {
  return { version: l.version, maxTxEntries: l.maxTxEntries, maxKeyLen: l.maxKeyLen, maxValueLen: l.maxValueLen, fileSizeBytes: l.fileSizeBytes };
}

function checkStoreHeaders(log: AppendLog, limits: StoreLimits): void {
  for (const c of log.chunkMetadata()) {
    const l = limitsFromHeader(c.metadata, c.file);
    if (JSON.stringify(limitsOf(l)) !== JSON.stringify(limitsOf(limits))) {
      throw new ImmuError('CORRUPTED_DATA', `${c.file} at offset 0: chunk header disagrees with the store's limits`, { file: c.file, offset: 0 });
    }
  }
}

/** Every chunk of a family of logs is created with the same header: a header that differs is damaged. */
function checkSameHeaders(logs: readonly AppendLog[]): void {
  let first: string | undefined;
  for (const log of logs) {
    for (const c of log.chunkMetadata()) {
      const tree = JSON.stringify(sortedTree(decodeMetadataTree(c.metadata, c.file)));
      first ??= tree;
      if (tree !== first) {
        throw new ImmuError('CORRUPTED_DATA', `${c.file} at offset 0: chunk header differs from its sibling logs`, { file: c.file, offset: 0 });
      }
    }
  }
}

function sortedTree(t: DecodedMetadata): unknown {
  return Object.fromEntries(
    Object.keys(t)
      .sort()
      .map((k) => {
        const v = t[k] as DecodedMetadata[string];
        return [k, typeof v === 'object' ? sortedTree(v) : v];
      }),
  );
}

class Recovery {
  readonly #log: Logger;
  readonly #limits: StoreLimits;
  readonly #tx: AppendLog;
  readonly #val: AppendLog;
  readonly #commit: AppendLog;
  readonly #entryBytes: number;
  readonly #pending: PendingTx[] = [];
  /** Log lines for the planned repairs, written by emitEvents() once the open has succeeded. */
  readonly #events: Array<() => void> = [];
  #committedId = 0;

  constructor(log: Logger, limits: StoreLimits, tx: AppendLog, val: AppendLog, commit: AppendLog) {
    this.#log = log;
    this.#limits = limits;
    this.#tx = tx;
    this.#val = val;
    this.#commit = commit;
    this.#entryBytes = commitEntryBytes(limits.version);
  }

  /** Plans a torn-tail cut: the staged log only moves its logical end; the file is cut when applied. */
  #torn(log: AppendLog, from: number, to: number): void {
    this.#events.push(() => this.#log.warn({ event: 'store.torn_tail_truncated', file: log.dir, fromOffset: from, toOffset: to }, 'torn tail truncated'));
    log.truncate(to);
  }

  emitEvents(): void {
    for (const e of this.#events.splice(0)) e();
  }

  run(): { committed: StoreState; precommitted: StoreState; pending: PendingTx[] } {
    const e = this.#entryBytes;
    const clogSize = this.#commit.size;
    if (clogSize % e !== 0) this.#torn(this.#commit, clogSize, clogSize - (clogSize % e));
    const c = this.#commit.size / e;
    this.#committedId = c;
    let alh = EMPTY_HASH;
    let txEnd = 0;
    let valEnd = 0;
    if (c > 0) {
      const entry = decodeCommitEntry(this.#commit.readAt((c - 1) * e, e), 0, e);
      if (entry.offset + entry.size > this.#tx.size) {
        throw corrupt(this.#commit, (c - 1) * e, `commit entry of tx ${c} points beyond the tx log (${this.#tx.size} bytes)`, c);
      }
      const rec = this.#parseExact(entry.offset, entry.size, c);
      const computed = txAlh(recordToHeader(rec));
      if (rec.id !== c || !bytesEqual(computed, rec.alh) || (entry.alh !== undefined && !bytesEqual(entry.alh, rec.alh))) {
        throw corrupt(this.#tx, entry.offset, `tx ${c} record does not match its commit entry or fails its Alh check`, c);
      }
      alh = rec.alh;
      txEnd = entry.offset + entry.size;
      valEnd = this.#valueEndUpTo(c, rec);
      if (valEnd > this.#val.size) throw corrupt(this.#val, this.#val.size, `values of committed txs end at ${valEnd}, past the value log`, c);
    }
    const committed = { txId: c, alh };
    const tail = this.#scanTail(c, alh, txEnd, valEnd);
    if (tail.txEnd < this.#tx.size) this.#torn(this.#tx, this.#tx.size, tail.txEnd);
    if (tail.valEnd < this.#val.size) this.#torn(this.#val, this.#val.size, tail.valEnd);
    return { committed, precommitted: { txId: tail.id, alh: tail.alh }, pending: this.#pending };
  }

  #parseExact(offset: number, size: number, txId: number): TxRecord {
    let res;
    try {
      res = decodeTxRecord(this.#tx.readAt(offset, size), this.#limits, `tx ${txId}`);
    } catch (err) {
      throw corrupt(this.#tx, offset, (err as Error).message, txId);
    }
    if (res.kind !== 'ok' || res.size !== size) throw corrupt(this.#tx, offset, `tx ${txId} record size differs from its commit entry`, txId);
    return res.record;
  }

  /** End of the value log after tx `id` (walking back over txs without values). */
  #valueEndUpTo(id: number, rec: TxRecord): number {
    let cur: TxRecord | undefined = rec;
    for (let at = id; at >= 1; at--) {
      if (cur === undefined) {
        const entry = decodeCommitEntry(this.#commit.readAt((at - 1) * this.#entryBytes, this.#entryBytes), 0, this.#entryBytes);
        cur = this.#parseExact(entry.offset, entry.size, at);
      }
      const end = valueEnd(cur);
      if (end > 0) return end;
      cur = undefined;
    }
    return 0;
  }

  /** Re-adopts whole, valid records after the last commit entry; stops at the first that is not. */
  #scanTail(c: number, alh: Buffer, txEnd: number, valEnd: number): { id: number; alh: Buffer; txEnd: number; valEnd: number } {
    let id = c;
    let window = scanWindowBytesInitial;
    while (txEnd < this.#tx.size) {
      const avail = this.#tx.size - txEnd;
      const bytes = this.#tx.readAt(txEnd, Math.min(window, avail));
      let res;
      try {
        res = decodeTxRecord(bytes, this.#limits, `tx ${id + 1}`);
      } catch {
        break;
      }
      if (res.kind === 'short') {
        if (bytes.length === avail) break;
        window *= 2;
        continue;
      }
      const rec = res.record;
      if (rec.id !== id + 1 || !bytesEqual(rec.prevAlh, alh) || !bytesEqual(txAlh(recordToHeader(rec)), rec.alh)) break;
      if (!this.#valuesPresent(rec)) break;
      this.#pending.push({ id: rec.id, alh: rec.alh, txOffset: txEnd, txSize: res.size, valueLogBefore: valEnd });
      id = rec.id;
      alh = rec.alh;
      txEnd += res.size;
      valEnd = Math.max(valEnd, valueEnd(rec));
    }
    if (id > c) this.#events.push(() => this.#log.info({ event: 'store.precommitted_recovered', txId: c, precommittedTxId: id }, 'precommitted txs recovered'));
    return { id, alh, txEnd, valEnd };
  }

  #valuesPresent(rec: TxRecord): boolean {
    for (const e of rec.entries) {
      if (e.value.length === 0) continue;
      if (e.value.vLogId !== VALUE_LOG_ID || e.value.offset + e.value.length > this.#val.size) return false;
      if (!bytesEqual(sha256(this.#val.readAt(e.value.offset, e.value.length)), e.hVal)) return false;
    }
    return true;
  }

  #recordOf(id: number): TxRecord {
    if (id <= this.#committedId) {
      const e = this.#entryBytes;
      const entry = decodeCommitEntry(this.#commit.readAt((id - 1) * e, e), 0, e);
      if (entry.offset + entry.size > this.#tx.size) throw corrupt(this.#commit, (id - 1) * e, `commit entry of tx ${id} points beyond the tx log`, id);
      const rec = this.#parseExact(entry.offset, entry.size, id);
      if (rec.id !== id || (entry.alh !== undefined && !bytesEqual(entry.alh, rec.alh))) {
        throw corrupt(this.#tx, entry.offset, `tx ${id} record disagrees with its commit entry`, id);
      }
      return rec;
    }
    const p = this.#pending[id - this.#committedId - 1] as PendingTx;
    return this.#parseExact(p.txOffset, p.txSize, id);
  }

  /**
   * Brings the aht to exactly `p` leaves. The last leaf is always re-derived so the frontier read from
   * the tree log is checked against the last header's blRoot; on mismatch the aht is rebuilt from the log.
   */
  recoverAht(aht: AhtLog, p: number): void {
    let n = Math.min(aht.storedLeaves(), p);
    let before: Buffer | undefined;
    if (n === p && p > 0) {
      n = p - 1;
      before = lastLeafBytes(aht, p);
    }
    aht.truncate(n);
    let rebuilt = false;
    for (let id = n + 1; id <= p; id++) {
      const rec = this.#recordOf(id);
      const expected =
        rec.blTxId === 0 ? ZERO32 : rec.blTxId === aht.size ? aht.root() : rec.blTxId < aht.size ? aht.mth(0, rec.blTxId) : undefined;
      if (expected === undefined || !bytesEqual(expected, rec.blRoot)) {
        if (rebuilt) throw corrupt(this.#tx, 0, `tx ${id} blRoot does not match the aht rebuilt from the tx log`, id);
        const at = id;
        this.#events.push(() => this.#log.warn({ event: 'store.aht_rebuilt', txId: at, file: aht.logs.tree.dir }, 'aht does not match the tx log; rebuilding it'));
        rebuilt = true;
        aht.truncate(0);
        id = 0;
        continue;
      }
      aht.append(rec.alh);
    }
    aht.flush();
    if (before !== undefined && !rebuilt && !before.equals(lastLeafBytes(aht, p))) {
      this.#events.push(() => this.#log.warn({ event: 'store.aht_repaired', txId: p, file: aht.logs.tree.dir }, 'aht records of the last tx were damaged; rewritten'));
    }
  }
}

function valueEnd(rec: TxRecord): number {
  let end = 0;
  for (const e of rec.entries) if (e.value.length > 0) end = Math.max(end, e.value.offset + e.value.length);
  return end;
}

/** Everything the aht files hold for leaf p (digests, data record, commit record if written). */
function lastLeafBytes(aht: AhtLog, p: number): Buffer {
  const c = aht.storedCommitRecord(p);
  const commit = Buffer.alloc(12);
  if (c !== undefined) {
    commit.writeBigUInt64BE(BigInt(c.offset), 0);
    commit.writeUInt32BE(c.length, 8);
  }
  return Buffer.concat([aht.storedDigests(p, 1 + popcount(p - 1)), aht.storedAlh(p), commit]);
}
