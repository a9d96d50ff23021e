// ImmuStore: the embedded immutable store. Owns the tx, value, commit and aht logs of one database and
// the two watermarks sync replication needs (precommitted, committed). Commit path: validate -> hash
// entries (worker pool) -> precommit (synchronous: id, header, Alh, buffered appends) -> the syncer's
// group commit (fsync data, write + fsync commit entries, advance committed, notify the index; the data
// fsync of one group overlaps the commit fsync of the group before it).
// Recovery lives in store-recovery.ts; this class knows nothing of gRPC, users or replication policy.
import * as path from 'node:path';
import { assert } from '../common/assert.js';
import { bytesEqual, copyBytes, ZERO32 } from '../common/bytes.js';
import { ImmuError } from '../common/errors.js';
import { activeTxsMax as activeTxsMaxDefault, indexWaitTimeoutMsDefault } from '../common/limits.js';
import type { Logger } from '../common/log.js';
import { buildDualProof, buildDualProofV2, verifyDualProof, verifyDualProofV2, type DualProof, type DualProofV2 } from '../proof/dual-proof.js';
import { EMPTY_HASH, leafHash, nodeHash, sha256 } from '../proof/hash.js';
import { buildLinearProof, verifyLinearProof, type LinearProof, type ProofHistory } from '../proof/linear-proof.js';
import { encodeTxMetadata } from '../proof/metadata.js';
import { txAlh, type TxHeader, type TxHeaderVersion } from '../proof/tx-header.js';
import { AhtLog } from './aht-log.js';
import { frontierAppend, popcount } from './aht-math.js';
import type { AppendLog } from './append-log.js';
import { decodeExportTx, encodeExportTx, type ExportedEntry } from './export-format.js';
import { HashPool, type WorkerCpu } from './hash-pool.js';
import { wasmTxAlh } from './node-hasher.js';
import type { RecordTxForIndex } from './index/index-batch.js';
import type { KeyIndex } from './index/key-index.js';
import type { IndexOpener, IndexSource, StoreIndex } from './store-index.js';
import { recoverStore, type RecoveredStore, type PendingTx } from './store-recovery.js';
import { COMMIT_ENTRY_BYTES_V2, commitEntryBytes, VALUE_LOG_ID, type StoreLimits } from './store-layout.js';
import { PACKED_EH_OFFSET, PACKED_HEAD_BYTES, packedDuplicate, packedEh, packTx, type PackedTx } from './tx-hashing.js';
import {
  decodeCommitEntry,
  decodeTxRecord,
  encodeCommitEntry,
  encodeRecordPrefix,
  writeVOff,
  type CommitEntry,
  type TxRecord,
} from './tx-record.js';
import type {
  CommittedTx,
  Precondition,
  StoreOptions,
  StoreState,
  StoredEntry,
  StoredTx,
  TxInput,
  ValueRef,
  VerifyProgress,
  VerifyReport,
} from './types.js';
import { validateTxInput } from './validate.js';
import { recordToHeader } from './record-header.js';
import { Watermark } from './watermark.js';

export const recentTxCacheEntriesMax = 64; // StoredTx kept for the index right after commit
export const headerCacheEntriesMax = 16_384;
export const verifyProgressEveryTxs = 10_000;

export interface ImmuStoreOptions extends StoreOptions {
  /** Precommitted-but-uncommitted txs allowed at once (backpressure beyond; STORE_BUSY with external allowance). */
  readonly activeTxsMax?: number;
  /** Hash worker threads; 0 hashes everything inline. */
  readonly hashWorkers?: number;
}

/**
 * A just-precommitted tx kept for the index: the packed buffer (record with rebased vOffs and hVals)
 * and the input entries. Entry objects are built only when the index reads it, so they die young
 * instead of being promoted by the GC while they wait in this cache.
 */
interface RecentTx {
  readonly header: TxHeader;
  readonly alh: Buffer;
  readonly p: PackedTx;
  readonly entries: ReadonlyArray<{ readonly key: Buffer; readonly metadata?: StoredEntry['metadata'] }>;
}

function recentToStored(r: RecentTx): StoredTx {
  const buf = r.p.buf;
  const entries = new Array<StoredEntry>(r.entries.length);
  let o = r.p.entriesOff;
  for (let i = 0; i < entries.length; i++) {
    const e = r.entries[i] as RecentTx['entries'][number];
    const mdLen = ((buf[o] as number) << 8) | (buf[o + 1] as number);
    const t = o + 4 + mdLen + e.key.length; // u32 vLen ‖ u64 vOff ‖ hVal
    const hi = buf.readUInt32BE(t + 4);
    const value = { vLogId: hi >>> 24, offset: (hi & 0xffffff) * 2 ** 32 + buf.readUInt32BE(t + 8), length: buf.readUInt32BE(t) };
    entries[i] = { key: e.key, metadata: e.metadata, value, hVal: buf.subarray(t + 12, t + 44) };
    o = t + 44;
  }
  return { header: r.header, alh: r.alh, entries };
}

interface Located {
  readonly offset: number;
  readonly size: number;
  readonly alh: Buffer | undefined;
}

export class ImmuStore<I extends StoreIndex = KeyIndex> implements ProofHistory, IndexSource {
  readonly dir: string;
  readonly limits: StoreLimits;
  readonly #log: Logger;
  readonly #writeVersion: TxHeaderVersion;
  readonly #now: () => number;
  readonly #external: boolean;
  readonly #activeMax: number;
  readonly #tx: AppendLog;
  readonly #val: AppendLog;
  readonly #commit: AppendLog;
  readonly #aht: AhtLog;
  readonly #commitEntryBytes: number;
  readonly #pool: HashPool;
  #index: I | undefined;

  // watermarks: committed <= durable <= precommitted; allowance bounds committed
  #precommittedAlh: Buffer;
  #committedAlh: Buffer;
  readonly #precommitted: Watermark;
  readonly #durable: Watermark;
  readonly #committed: Watermark;
  #allowance: number;
  #committing = 0; // highest id whose commit entry is being written
  readonly #pending: PendingTx[] = []; // precommitted, not yet committed, ascending ids

  // Caches as rings indexed by id modulo their size (the newest ids win): a Map evicting its oldest key
  // per tx cost ~7% of the main thread (keys().next() walks the deleted slots at the table's front).
  readonly #recent = new Array<RecentTx | undefined>(recentTxCacheEntriesMax).fill(undefined);
  readonly #headers = new Array<TxHeader | undefined>(headerCacheEntriesMax).fill(undefined);
  #gate: Promise<void> | undefined; // held while a tx with preconditions precommits
  #inflight = 0;
  #inflightDrained: (() => void) | undefined;
  #wakeSyncer: (() => void) | undefined;
  #syncerDone: Promise<void> = Promise.resolve();
  #failure: ImmuError | undefined;
  #closing = false;
  #closed = false;
  /** Group-commit rounds that fsynced data (for tests and the benchmark). */
  syncRounds = 0;

  private constructor(opts: ImmuStoreOptions, r: RecoveredStore) {
    this.dir = opts.dir;
    this.#log = r.logger;
    this.limits = r.limits;
    this.#writeVersion = opts.writeTxHeaderVersion ?? 1;
    this.#now = opts.nowSeconds ?? ((): number => Math.floor(Date.now() / 1000));
    this.#external = opts.externalCommitAllowance ?? false;
    this.#activeMax = opts.activeTxsMax ?? activeTxsMaxDefault;
    this.#tx = r.tx;
    this.#val = r.val;
    this.#commit = r.commit;
    this.#aht = r.aht;
    this.#commitEntryBytes = commitEntryBytes(r.limits.version);
    this.#pool = new HashPool(opts.hashWorkers);
    this.#pending.push(...r.pending);
    this.#committedAlh = r.committed.alh;
    this.#precommittedAlh = r.precommitted.alh;
    this.#committed = new Watermark('committed', r.committed.txId);
    this.#durable = new Watermark('durable', r.committed.txId);
    this.#precommitted = new Watermark('precommitted', r.precommitted.txId);
    this.#allowance = r.committed.txId;
  }

  /** Opens (or creates) the store at opts.dir with the real key index. */
  static async open(opts: ImmuStoreOptions): Promise<ImmuStore> {
    // loaded lazily so tools and tests that inject another index do not load lmdb
    const { KeyIndex: index } = await import('./index/key-index.js');
    return ImmuStore.openWith(opts, (o) => index.open(o));
  }

  /** Opens with a given index opener (tests, tools). */
  static async openWith<J extends StoreIndex>(opts: ImmuStoreOptions, openIndex: IndexOpener<J>): Promise<ImmuStore<J>> {
    const r = recoverStore(opts);
    const store = new ImmuStore<J>(opts, r);
    store.#syncerDone = store.#syncLoop();
    try {
      store.#index = await openIndex({ dir: opts.indexDir ?? path.join(opts.dir, 'index'), logger: r.logger, source: store });
    } catch (err) {
      await store.close();
      throw err;
    }
    store.#index.notifyCommitted(store.#committed.value);
    r.logger.info(
      { event: 'store.opened', txId: store.#committed.value, precommittedTxId: store.#precommitted.value, version: r.limits.version },
      'store opened',
    );
    return store;
  }

  /** On-CPU nanoseconds used by each hash worker so far, with its thread id (benchmarks: cost per entry). */
  hashWorkerCpu(): Promise<WorkerCpu[]> {
    return this.#pool.workerCpu();
  }

  get index(): I {
    assert(this.#index !== undefined, 'index is open');
    return this.#index;
  }

  /** ProofHistory: the ahtree as a Merkle node source. */
  get aht(): AhtLog {
    return this.#aht;
  }

  // ---------------------------------------------------------------- state

  committedTxId(): number {
    return this.#committed.value;
  }

  committedState(): StoreState {
    return { txId: this.#committed.value, alh: this.#committedAlh };
  }

  precommittedState(): StoreState {
    return { txId: this.#precommitted.value, alh: this.#precommittedAlh };
  }

  /** Highest tx id known to be fsynced in the tx and value logs. */
  durablePrecommittedTxId(): number {
    return this.#durable.value;
  }

  /** With external allowance: the id commits may advance to (allowCommitUpTo's high-water mark). */
  commitAllowance(): number {
    return this.#allowance;
  }

  /** The durably precommitted tip with its Alh, read synchronously (replication acks refer to it). */
  durablePrecommittedState(): StoreState {
    const id = this.#durable.value;
    if (id <= this.#committed.value) return this.committedState();
    const first = this.#pending[0];
    assert(first !== undefined, `pending tx ${id} present`);
    const p = this.#pending[id - first.id];
    assert(p !== undefined && p.id === id, `pending tx ${id} located`);
    return { txId: id, alh: p.alh };
  }

  waitForCommit(txId: number, timeoutMs?: number): Promise<void> {
    this.#checkUsable();
    return this.#committed.wait(txId, timeoutMs);
  }

  waitForPrecommit(txId: number, timeoutMs?: number): Promise<void> {
    this.#checkUsable();
    return this.#precommitted.wait(txId, timeoutMs);
  }

  /** Waits until tx txId is precommitted and fsynced (what a replica acks). */
  waitForDurablePrecommit(txId: number, timeoutMs?: number): Promise<void> {
    this.#checkUsable();
    return this.#durable.wait(txId, timeoutMs);
  }

  /** With externalCommitAllowance: lets commits advance up to txId. */
  allowCommitUpTo(txId: number): void {
    assert(Number.isSafeInteger(txId) && txId >= 0, 'allowCommitUpTo takes a tx id');
    if (txId <= this.#allowance) return;
    this.#allowance = txId;
    this.#wake();
  }

  /** Rolls back precommitted, uncommitted txs with id >= txId. Returns how many were discarded. */
  discardPrecommittedTxsSince(txId: number): number {
    this.#checkUsable();
    if (!Number.isSafeInteger(txId) || txId < 1) throw new ImmuError('ILLEGAL_ARGUMENTS', `bad tx id ${txId}`);
    if (txId <= Math.max(this.#committed.value, this.#committing)) {
      throw new ImmuError('ILLEGAL_ARGUMENTS', `tx ${txId} is committed and cannot be discarded`, { txId });
    }
    const last = this.#precommitted.value;
    if (txId > last) return 0;
    const at = this.#pending.findIndex((p) => p.id === txId);
    assert(at >= 0, `pending tx ${txId} present`);
    const first = this.#pending[at] as PendingTx;
    this.#tx.truncate(first.txOffset);
    this.#val.truncate(first.valueLogBefore);
    this.#aht.truncate(txId - 1);
    this.#pending.splice(at);
    for (let id = txId; id <= last; id++) {
      if (this.#recentTx(id) !== undefined) this.#recent[id % recentTxCacheEntriesMax] = undefined;
      if (this.#headers[id % headerCacheEntriesMax]?.id === id) this.#headers[id % headerCacheEntriesMax] = undefined;
    }
    const prev = this.#pending[this.#pending.length - 1];
    this.#precommittedAlh = prev !== undefined ? prev.alh : this.#committedAlh;
    const err = new ImmuError('SYNC_ACK_TIMEOUT', `tx discarded before commit (txs ${txId}..${last})`, { txId });
    this.#precommitted.set(txId - 1);
    if (this.#durable.value >= txId) this.#durable.set(txId - 1);
    this.#committed.rejectFrom(txId, err);
    this.#durable.rejectFrom(txId, err);
    this.#log.warn({ event: 'store.precommitted_discarded', txId, lastTxId: last }, 'precommitted txs discarded');
    return last - txId + 1;
  }

  // ---------------------------------------------------------------- writes

  /** Commits a tx: resolves once its commit entry is fsynced (or rejects with a typed error, nothing written). */
  async commit(tx: TxInput): Promise<CommittedTx> {
    const r = this.#precommitLocal(tx);
    const done = r instanceof Promise ? await r : r;
    await this.#committed.wait(done.header.id);
    return done;
  }

  /** Precommits a tx: resolves once it is fsynced in the tx and value logs (commit follows the allowance). */
  async precommit(tx: TxInput): Promise<CommittedTx> {
    const r = this.#precommitLocal(tx);
    const done = r instanceof Promise ? await r : r;
    await this.#durable.wait(done.header.id);
    return done;
  }

  /**
   * Validates, packs and hashes a tx, then precommits it. The common case (hashed inline, admitted at
   * once: no preconditions, no gate, no backpressure) runs synchronously to the end and returns the
   * result itself; anything that must wait continues in #precommitQueued. Throws synchronously on
   * invalid input (callers are async functions, so it surfaces as a rejection).
   */
  #precommitLocal(tx: TxInput): CommittedTx | Promise<CommittedTx> {
    this.#checkUsable();
    validateTxInput(tx, this.limits, this.#writeVersion);
    this.#inflight++;
    let queued = false;
    try {
      const txMd = encodeTxMetadata(tx.metadata);
      const hashed = this.#pool.hash(packTx(tx.entries, this.#writeVersion, txMd.length, this.#pool.allocatorFor(tx.entries.length)));
      if (hashed instanceof Promise || !this.#admitsNow(tx.preconditions)) {
        queued = true;
        return this.#precommitQueued(tx, txMd, hashed);
      }
      checkNoDuplicate(hashed);
      return this.#append(this.#nextHeader(tx, hashed), txMd, tx.entries, hashed);
    } finally {
      if (!queued) this.#inflightDone();
    }
  }

  /** #precommitLocal's waiting path; owns one #inflight count. */
  async #precommitQueued(tx: TxInput, txMd: Buffer, hashed: PackedTx | Promise<PackedTx>): Promise<CommittedTx> {
    try {
      const packed = await hashed;
      checkNoDuplicate(packed);
      const release = await this.#admit(tx.preconditions);
      try {
        this.#checkUsable();
        if (tx.preconditions !== undefined && tx.preconditions.length > 0) await this.#checkPreconditions(tx.preconditions);
        return this.#append(this.#nextHeader(tx, packed), txMd, tx.entries, packed);
      } finally {
        release();
      }
    } finally {
      this.#inflightDone();
    }
  }

  /** The header of the next local tx (id, time, aht anchor, chain link) over a hashed packed tx. */
  #nextHeader(tx: TxInput, p: PackedTx): TxHeader {
    return {
      id: this.#precommitted.value + 1,
      ts: this.#now(),
      blTxId: this.#aht.size,
      blRoot: this.#aht.root() ?? ZERO32,
      prevAlh: this.#precommittedAlh,
      version: this.#writeVersion,
      metadata: tx.metadata,
      nEntries: tx.entries.length,
      eh: copyEh(p),
    };
  }

  /** Applies an exported tx from a primary only if it chains onto local history; nothing written otherwise. */
  async replicateTx(exported: Buffer): Promise<CommittedTx> {
    this.#checkUsable();
    const { header, entries } = decodeExportTx(exported, this.limits);
    this.#inflight++;
    try {
      const txMd = encodeTxMetadata(header.metadata);
      const packed = await this.#pool.hash(packTx(entries, header.version, txMd.length, this.#pool.allocatorFor(entries.length)));
      const release = await this.#admit(undefined);
      try {
        this.#checkUsable();
        this.#checkChainsOn(header, packedEh(packed));
        return this.#append(header, txMd, entries, packed);
      } finally {
        release();
      }
    } finally {
      this.#inflightDone();
    }
  }

  #checkChainsOn(h: TxHeader, eh: Buffer): void {
    const diverge = (why: string, details: Record<string, unknown>): never => {
      throw new ImmuError('REPLICATION_DIVERGENCE', `replicated tx ${h.id} does not chain on: ${why}`, { txId: h.id, reason: why, ...details });
    };
    const last = this.#precommitted.value;
    if (h.id !== last + 1) diverge('unexpected tx id', { expectedTxId: last + 1 });
    if (!bytesEqual(h.prevAlh, this.#precommittedAlh)) {
      diverge('prevAlh differs from the local precommitted Alh', { localAlh: this.#precommittedAlh.toString('hex') });
    }
    if (h.blTxId > this.#aht.size) diverge('blTxId beyond the local aht', { blTxId: h.blTxId, ahtSize: this.#aht.size });
    const root = h.blTxId === 0 ? ZERO32 : h.blTxId === this.#aht.size ? (this.#aht.root() as Buffer) : this.#aht.mth(0, h.blTxId);
    if (!bytesEqual(root, h.blRoot)) diverge('blRoot differs from the local aht root', { blTxId: h.blTxId });
    if (!bytesEqual(eh, h.eh)) diverge('recomputed Eh differs', { eh: eh.toString('hex') });
    if (h.version === 0 && encodeTxMetadata(h.metadata).length > 0) diverge('v0 header with metadata', {});
  }

  /** Whether a tx may precommit right now without waiting (what #admit would let through at once). */
  #admitsNow(preconditions: readonly Precondition[] | undefined): boolean {
    return (
      (preconditions === undefined || preconditions.length === 0) &&
      this.#gate === undefined &&
      this.#precommitted.value - this.#committed.value < this.#activeMax
    );
  }

  /** Backpressure and the precondition gate; returns the release function. */
  async #admit(preconditions: readonly Precondition[] | undefined): Promise<() => void> {
    for (;;) {
      while (this.#gate !== undefined) await this.#gate;
      if (this.#precommitted.value - this.#committed.value < this.#activeMax) break;
      if (this.#external) throw new ImmuError('STORE_BUSY', `${this.#activeMax} txs are precommitted and not yet committed`);
      await this.#committed.wait(this.#committed.value + 1);
    }
    if (preconditions === undefined || preconditions.length === 0) return noRelease;
    let open: () => void = () => undefined;
    this.#gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    return () => {
      this.#gate = undefined;
      open();
    };
  }

  /** Under the gate: waits for the index to cover every precommitted tx, then checks each precondition. */
  async #checkPreconditions(preconditions: readonly Precondition[]): Promise<void> {
    const upTo = this.#precommitted.value;
    await this.#committed.wait(upTo, indexWaitTimeoutMsDefault);
    await this.index.waitForIndexedTx(upTo, indexWaitTimeoutMsDefault);
    for (const p of preconditions) {
      const v = this.index.get(p.key);
      const live = v !== undefined && v.metadata?.deleted !== true && !(v.metadata?.expiresAt !== undefined && v.metadata.expiresAt <= this.#now());
      const ok = p.kind === 'mustExist' ? live : p.kind === 'mustNotExist' ? !live : v === undefined || v.txId <= p.txId;
      if (!ok) throw new ImmuError('PRECONDITION_FAILED', `precondition ${p.kind} failed`, { kind: p.kind });
    }
  }

  /**
   * The synchronous precommit step: record, values, aht, watermark. Nothing here awaits. The packed
   * buffer becomes the record (prefix, rebased vOffs and Alh written in place) and the value-log
   * source: both logs append views of it, nothing is copied.
   */
  #append(
    header: TxHeader,
    txMd: Buffer,
    entries: ReadonlyArray<{ readonly key: Buffer; readonly metadata?: StoredEntry['metadata'] }>,
    p: PackedTx,
  ): CommittedTx {
    assert(header.id === this.#precommitted.value + 1, 'precommit id is last + 1');
    assert(p.n === entries.length && p.version === header.version, 'packed tx matches the header');
    const buf = p.buf;
    const alh = wasmTxAlh(header, txMd);
    const valueLogBefore = this.#val.size;
    const vBase = this.#val.append(buf.subarray(p.valBase));
    const rec = buf.subarray(PACKED_HEAD_BYTES, p.recEnd);
    const size = rec.length;
    assert(encodeRecordPrefix(header, txMd, rec) + PACKED_HEAD_BYTES === p.entriesOff, 'record prefix fills its space');
    let o = p.entriesOff;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as { readonly key: Buffer; readonly metadata?: StoredEntry['metadata'] };
      const mdLen = ((buf[o] as number) << 8) | (buf[o + 1] as number);
      const t = o + 4 + mdLen + e.key.length; // u32 vLen ‖ u64 vOff ‖ hVal
      const len = buf.readUInt32BE(t);
      const offset = len === 0 ? 0 : vBase + buf.readUInt32BE(t + 8);
      writeVOff(buf, t + 4, VALUE_LOG_ID, offset);
      o = t + 44;
    }
    alh.copy(buf, o);
    assert(o + 32 === p.recEnd, 'record size');
    const txOffset = this.#tx.append(rec);
    this.#aht.append(alh);
    this.#pending.push({ id: header.id, alh, txOffset, txSize: size, valueLogBefore });
    this.#precommittedAlh = alh;
    this.#cacheHeader(header);
    this.#remember({ header, alh, p, entries });
    this.#precommitted.set(header.id);
    this.#wake();
    return { header, alh };
  }

  // ---------------------------------------------------------------- group commit

  #wake(): void {
    const w = this.#wakeSyncer;
    this.#wakeSyncer = undefined;
    w?.();
  }

  #commitTarget(): number {
    return Math.min(this.#durable.value, this.#external ? this.#allowance : Number.MAX_SAFE_INTEGER);
  }

  /**
   * Group commit in two stages that overlap: the data stage fsyncs the tx and value logs up to the last
   * precommitted tx; the commit stage writes and fsyncs commit entries up to what the data stage made
   * durable (and the allowance permits). While one group's commit entries are being fsynced, the next
   * group's data already is, so a tx waits for at most one stage of the group before it, not two.
   */
  async #syncLoop(): Promise<void> {
    let commitStage: Promise<void> | undefined;
    const startCommitStage = (): void => {
      commitStage = this.#syncCommits().then(
        () => {
          commitStage = undefined;
          this.#wake();
        },
        (err: unknown) => {
          commitStage = undefined;
          this.#fail(err);
          this.#wake();
        },
      );
    };
    for (;;) {
      if (this.#failure !== undefined) {
        await commitStage;
        return;
      }
      const needData = this.#precommitted.value > this.#durable.value;
      const canCommit = commitStage === undefined && this.#commitTarget() > this.#committed.value;
      if (canCommit) startCommitStage();
      if (needData) {
        try {
          await this.#syncData();
        } catch (err) {
          this.#fail(err);
        }
        continue;
      }
      if (commitStage === undefined && !canCommit && this.#closing && this.#inflight === 0) return;
      await new Promise<void>((resolve) => {
        this.#wakeSyncer = resolve;
      });
      // Woken by a precommit: let the rest of this event-loop turn (the other requests read from the
      // same socket data) precommit too, so they share this round's fsyncs. Measured with 64 Sets in
      // flight: ~15% less server CPU per Set (fewer fsync rounds per tx); a lone writer waits one turn.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  async #syncData(): Promise<void> {
    const target = this.#precommitted.value;
    this.#val.flush();
    this.#tx.flush();
    await Promise.all([this.#val.sync(), this.#tx.sync()]);
    this.syncRounds++;
    // a discard may have run during the fsync: never mark more than what is still precommitted
    this.#durable.set(Math.max(this.#durable.value, Math.min(target, this.#precommitted.value)));
  }

  async #syncCommits(): Promise<void> {
    const from = this.#committed.value + 1;
    const upTo = this.#commitTarget();
    assert(upTo <= this.#durable.value, 'commit entries are written only for txs whose data is fsynced');
    const n = upTo - from + 1;
    const e = this.#commitEntryBytes;
    assert(e === COMMIT_ENTRY_BYTES_V2, 'this store writes only v2 commit entries');
    const b = Buffer.allocUnsafe(n * e);
    for (let i = 0; i < n; i++) {
      const p = this.#pending[i] as PendingTx;
      assert(p !== undefined && p.id === from + i, 'pending txs are contiguous');
      encodeCommitEntry(p.txOffset, p.txSize, p.alh, b, i * e);
    }
    this.#committing = upTo;
    this.#commit.append(b);
    this.#commit.flush();
    await this.#commit.sync();
    const last = this.#pending[n - 1] as PendingTx;
    this.#pending.splice(0, n);
    this.#committedAlh = last.alh;
    this.#committed.set(upTo);
    this.#index?.notifyCommitted(upTo);
  }

  #fail(err: unknown): void {
    const e = err instanceof ImmuError ? err : new ImmuError('IO_ERROR', `store write failed: ${(err as Error).message}`);
    this.#failure = e;
    this.#log.error({ event: 'store.failed', err: e.message }, 'store failed; refusing further writes');
    this.#committed.rejectFrom(0, e);
    this.#durable.rejectFrom(0, e);
    this.#precommitted.rejectFrom(0, e);
  }

  // ---------------------------------------------------------------- reads

  #checkUsable(): void {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#closing || this.#closed) throw new ImmuError('STORE_CLOSED', 'the store is closed');
  }

  #inflightDone(): void {
    this.#inflight--;
    if (this.#inflight === 0) this.#inflightDrained?.();
  }

  #checkId(txId: number, allowPrecommitted: boolean): void {
    if (!Number.isSafeInteger(txId) || txId < 1) throw new ImmuError('TX_NOT_FOUND', `tx ${txId} does not exist`, { txId });
    const last = allowPrecommitted ? this.#precommitted.value : this.#committed.value;
    if (txId > last) throw new ImmuError('TX_BEYOND_STATE', `tx ${txId} is beyond the last tx ${last}`, { txId, lastTxId: last });
  }

  #locate(txId: number): Located {
    if (txId <= this.#committed.value) {
      const e = this.#commitEntryBytes;
      let entry: CommitEntry;
      try {
        entry = decodeCommitEntry(this.#commit.readAt((txId - 1) * e, e), 0, e);
      } catch (err) {
        throw this.#corrupt(this.#commit, (txId - 1) * e, `commit entry of tx ${txId}: ${(err as Error).message}`, txId);
      }
      return entry;
    }
    const first = this.#pending[0];
    assert(first !== undefined, `pending tx ${txId} present`);
    const p = this.#pending[txId - first.id];
    assert(p !== undefined && p.id === txId, `pending tx ${txId} located`);
    return { offset: p.txOffset, size: p.txSize, alh: p.alh };
  }

  #corrupt(log: AppendLog, pos: number, what: string, txId?: number): ImmuError {
    const at = log.locate(pos);
    return new ImmuError('CORRUPTED_DATA', `${at.file} at offset ${at.offset}: ${what}`, { ...at, txId });
  }

  /** Reads and fully re-verifies a tx record (Eh from the entries, Alh, commit entry Alh). */
  #readRecord(txId: number): { record: TxRecord; header: TxHeader } {
    const loc = this.#locate(txId);
    if (loc.offset + loc.size > this.#tx.size) {
      throw this.#corrupt(this.#commit, (txId - 1) * this.#commitEntryBytes, `tx ${txId} record lies beyond the tx log`, txId);
    }
    const bytes = this.#tx.readAt(loc.offset, loc.size);
    let res;
    try {
      res = decodeTxRecord(bytes, this.limits, `tx ${txId}`);
    } catch (err) {
      throw this.#corrupt(this.#tx, loc.offset, (err as Error).message, txId);
    }
    if (res.kind !== 'ok' || res.size !== loc.size) throw this.#corrupt(this.#tx, loc.offset, `tx ${txId} record has the wrong size`, txId);
    const record = res.record;
    const header = recordToHeader(record);
    const alh = txAlh(header);
    if (record.id !== txId || !bytesEqual(alh, record.alh) || (loc.alh !== undefined && !bytesEqual(alh, loc.alh))) {
      throw this.#corrupt(this.#tx, loc.offset, `tx ${txId} record fails its Alh check`, txId);
    }
    return { record, header };
  }

  async txHeader(txId: number, opts: { readonly allowPrecommitted?: boolean } = {}): Promise<TxHeader> {
    this.#checkId(txId, opts.allowPrecommitted ?? false);
    const hit = this.#headers[txId % headerCacheEntriesMax];
    if (hit !== undefined && hit.id === txId) return hit;
    const { header } = this.#readRecord(txId);
    this.#cacheHeader(header);
    return header;
  }

  async readTx(txId: number, opts: { readonly allowPrecommitted?: boolean } = {}): Promise<StoredTx> {
    this.#checkId(txId, opts.allowPrecommitted ?? false);
    const { record, header } = this.#readRecord(txId);
    return { header, alh: record.alh, entries: record.entries.map(({ key, metadata, value, hVal }) => ({ key, metadata, value, hVal })) };
  }

  /**
   * For the index, the live path: a committed tx still in the recent-tx cache, as its record bytes (the
   * index encodes its versions straight from them; no per-entry objects). Undefined otherwise.
   */
  readRecordForIndex(txId: number): RecordTxForIndex | undefined {
    const hit = this.#recentTx(txId);
    if (hit === undefined || txId > this.#committed.value) return undefined;
    return { kind: 'record', txId, alh: hit.alh, buf: hit.p.buf, entriesOff: hit.p.entriesOff, entries: hit.entries };
  }

  /** For the index: committed txs, from memory right after commit, else re-verified from disk. */
  async readTxForIndex(txId: number): Promise<StoredTx> {
    const hit = this.#recentTx(txId);
    if (hit !== undefined && txId <= this.#committed.value) return recentToStored(hit);
    return this.readTx(txId);
  }

  /** Reads a value and checks H(value) == hVal. */
  async readValue(ref: ValueRef, hVal: Buffer): Promise<Buffer> {
    this.#checkUsable();
    if (ref.length === 0) {
      // immudb writes empty values as (vLogId 1, offset 0) and never writes them to the value log
      if (!bytesEqual(hVal, EMPTY_HASH) || ref.offset !== 0 || ref.vLogId !== VALUE_LOG_ID) {
        throw new ImmuError('CORRUPTED_DATA', 'empty value with a non-empty hash or a value location');
      }
      return Buffer.alloc(0);
    }
    if (ref.vLogId !== VALUE_LOG_ID) throw new ImmuError('CORRUPTED_DATA', `value log ${ref.vLogId} does not exist (only ${VALUE_LOG_ID} is written)`);
    if (ref.offset + ref.length > this.#val.size) {
      throw this.#corrupt(this.#val, ref.offset, `value [${ref.offset}, +${ref.length}) lies beyond the value log`);
    }
    const v = this.#val.readAt(ref.offset, ref.length);
    if (!bytesEqual(sha256(v), hVal)) throw this.#corrupt(this.#val, ref.offset, 'value does not match its hash');
    return v;
  }

  /** The serialized form of a tx for replication (core spec 6.8). */
  async exportTx(txId: number, opts: { readonly allowPrecommitted?: boolean } = {}): Promise<Buffer> {
    const tx = await this.readTx(txId, opts);
    const entries: ExportedEntry[] = [];
    for (const e of tx.entries) entries.push({ key: e.key, metadata: e.metadata, value: await this.readValue(e.value, e.hVal) });
    return encodeExportTx(tx.header, entries);
  }

  // ---------------------------------------------------------------- proofs

  async #anchored(sourceId: number, targetId: number): Promise<{ s: TxHeader; t: TxHeader }> {
    const t = await this.txHeader(targetId);
    const s = await this.txHeader(sourceId);
    if (sourceId > targetId) throw new ImmuError('ILLEGAL_ARGUMENTS', `source tx ${sourceId} is after target tx ${targetId}`);
    return { s, t };
  }

  #proofCorrupt(kind: string, s: number, t: number): ImmuError {
    this.#aht.dropCache();
    const at = this.#aht.locateDigest(1);
    return new ImmuError('CORRUPTED_DATA', `${kind} ${s}->${t} does not verify against the tx headers: aht files are damaged`, {
      file: path.dirname(at.file),
      sourceTxId: s,
      targetTxId: t,
    });
  }

  async dualProof(sourceId: number, targetId: number): Promise<DualProof> {
    const { s, t } = await this.#anchored(sourceId, targetId);
    const p = await buildDualProof(this, s, t);
    if (!verifyDualProof(p, sourceId, targetId, txAlh(s), txAlh(t))) throw this.#proofCorrupt('dual proof', sourceId, targetId);
    return p;
  }

  async dualProofV2(sourceId: number, targetId: number): Promise<DualProofV2> {
    const { s, t } = await this.#anchored(sourceId, targetId);
    const p = await buildDualProofV2(this, s, t);
    if (!verifyDualProofV2(p, sourceId, targetId, txAlh(s), txAlh(t))) throw this.#proofCorrupt('dual proof v2', sourceId, targetId);
    return p;
  }

  async linearProof(sourceId: number, targetId: number): Promise<LinearProof> {
    const { s, t } = await this.#anchored(sourceId, targetId);
    const p = await buildLinearProof(this, sourceId, targetId);
    if (!verifyLinearProof(p, sourceId, targetId, txAlh(s), txAlh(t))) throw this.#proofCorrupt('linear proof', sourceId, targetId);
    return p;
  }

  // ---------------------------------------------------------------- verify

  /** Walks every committed tx from 1: Eh, Alh, chain, value hashes, commit entries and all aht files. */
  async verify(onProgress?: (p: VerifyProgress) => void): Promise<VerifyReport> {
    this.#checkUsable();
    this.#aht.flush();
    const lastTxId = this.#committed.value;
    let prevAlh = EMPTY_HASH;
    const frontier: Array<Buffer | undefined> = [];
    for (let id = 1; id <= lastTxId; id++) {
      const { record, header } = this.#readRecord(id);
      const loc = this.#locate(id);
      if (!bytesEqual(header.prevAlh, prevAlh)) throw this.#corrupt(this.#tx, loc.offset, `tx ${id} prevAlh breaks the chain`, id);
      for (const e of record.entries) await this.readValue(e.value, e.hVal);
      if (header.blTxId > 0) {
        const root = header.blTxId === id - 1 ? foldFrontier(frontier) : this.#aht.mth(0, header.blTxId);
        if (root === undefined || !bytesEqual(root, header.blRoot)) {
          throw this.#corrupt(this.#tx, loc.offset, `tx ${id} blRoot differs from the aht root ${header.blTxId}`, id);
        }
      }
      this.#verifyAhtLeaf(id, record.alh, frontier);
      prevAlh = record.alh;
      if (onProgress !== undefined && (id % verifyProgressEveryTxs === 0 || id === lastTxId)) onProgress({ txId: id, lastTxId });
    }
    return { txsChecked: lastTxId, lastTxId, lastAlh: prevAlh };
  }

  #verifyAhtLeaf(leaf: number, alh: Buffer, frontier: Array<Buffer | undefined>): void {
    const expected = frontierAppend(frontier, leaf - 1, leafHash(alh), nodeHash);
    assert(expected.length === 1 + popcount(leaf - 1), 'aht digests per leaf');
    const stored = this.#aht.storedDigests(leaf, expected.length);
    if (!bytesEqual(stored, Buffer.concat(expected))) {
      const at = this.#aht.locateDigest(leaf);
      throw new ImmuError('CORRUPTED_DATA', `${at.file} at offset ${at.offset}: aht digests of leaf ${leaf} are wrong`, { ...at, txId: leaf });
    }
    const logs = this.#aht.logs;
    if (!bytesEqual(this.#aht.storedAlh(leaf), alh)) {
      throw this.#corrupt(logs.data, (leaf - 1) * 36, `aht data of leaf ${leaf} differs from the tx Alh`, leaf);
    }
    const c = this.#aht.storedCommitRecord(leaf);
    if (c !== undefined && (c.offset !== (leaf - 1) * 36 || c.length !== 32)) {
      throw this.#corrupt(logs.commit, (leaf - 1) * 12, `aht commit record of leaf ${leaf} is wrong`, leaf);
    }
  }

  // ---------------------------------------------------------------- caches

  #cacheHeader(header: TxHeader): void {
    this.#headers[header.id % headerCacheEntriesMax] = header;
  }

  #remember(tx: RecentTx): void {
    this.#recent[tx.header.id % recentTxCacheEntriesMax] = tx;
  }

  #recentTx(txId: number): RecentTx | undefined {
    const hit = this.#recent[txId % recentTxCacheEntriesMax];
    return hit !== undefined && hit.header.id === txId ? hit : undefined;
  }

  // ---------------------------------------------------------------- close

  /** Stops accepting, finishes in-flight commits, flushes and fsyncs everything, closes files and the index. */
  async close(): Promise<void> {
    if (this.#closed || this.#closing) return;
    this.#closing = true;
    if (this.#inflight > 0) {
      await new Promise<void>((resolve) => {
        this.#inflightDrained = resolve;
      });
    }
    this.#wake();
    await this.#syncerDone;
    this.#closed = true;
    await this.#index?.close();
    await this.#pool.close();
    if (this.#failure === undefined) {
      await this.#aht.sync();
      await Promise.all([this.#tx.close(), this.#val.close(), this.#commit.close()]);
      for (const l of [this.#aht.logs.data, this.#aht.logs.tree, this.#aht.logs.commit]) await l.close();
    } else {
      for (const l of [this.#tx, this.#val, this.#commit, this.#aht.logs.data, this.#aht.logs.tree, this.#aht.logs.commit]) l.abandon();
    }
    this.#log.info({ event: 'store.closed', txId: this.#committed.value }, 'store closed');
  }

  /** Test hook: drop everything unflushed and close the files, as a crash would. */
  async crashForTests(): Promise<void> {
    this.#closing = true;
    this.#closed = true;
    this.#failure = new ImmuError('STORE_CLOSED', 'crashed');
    this.#wake();
    await this.#index?.close();
    await this.#pool.close();
    for (const l of [this.#tx, this.#val, this.#commit, this.#aht.logs.data, this.#aht.logs.tree, this.#aht.logs.commit]) l.abandon();
  }
}

const noRelease = (): void => undefined;

function checkNoDuplicate(p: PackedTx): void {
  const dup = packedDuplicate(p);
  if (dup !== undefined) throw new ImmuError('DUPLICATED_KEY', `key of entry ${dup} appears twice in the transaction`);
}

/** Eh of a hashed packed tx as its own 32 bytes (headers outlive the packed buffer). */
function copyEh(p: PackedTx): Buffer {
  const eh = Buffer.allocUnsafe(32);
  copyBytes(p.buf, PACKED_EH_OFFSET, eh, 0, 32);
  return eh;
}

function foldFrontier(frontier: ReadonlyArray<Buffer | undefined>): Buffer | undefined {
  let carry: Buffer | undefined;
  for (const f of frontier) {
    if (f === undefined) continue;
    carry = carry === undefined ? f : nodeHash(f, carry);
  }
  return carry;
}
