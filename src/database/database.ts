// One logical database: the immudb KV API (set, delete, references, sorted sets, execAll, reads, tx
// reads, verifiable calls) over the embedded store. This class only validates, sequences and delegates;
// encodings, entry resolution, proofs and tx shaping live in the small modules beside it. It knows
// nothing of gRPC, users or signatures: the server layer adds those.
import { ImmuError } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { EMPTY_HASH } from '../proof/hash.js';
import type { TxHeader } from '../proof/tx-header.js';
import type { EntryInput } from '../store/types.js';
import type { DbContext } from './context.js';
import { encodeKey, encodePlainValue } from '../proof/kv-encoding.js';
import { latestVersion, readCommittedTx, waitForIndex } from './index-reads.js';
import * as reads from './reads.js';
import { checkReferenceTarget, normaliseRef, referenceEntry, type NormalisedRef, type SameTxWrites } from './references.js';
import { checkMember, normaliseZAdd, zAddEntry, zScan, type NormalisedZAdd } from './sorted-sets.js';
import type { DatabaseStore } from './store-api.js';
import { txById, txScan } from './txs.js';
import type {
  DatabaseState,
  DeleteRequest,
  Entry,
  ExecAllRequest,
  GetRequest,
  HistoryRequest,
  ReferenceRequest,
  ScanRequest,
  SetRequest,
  Tx,
  TxRequest,
  TxScanRequest,
  VerifiableEntry,
  VerifiableTx,
  VerifiableTxRequest,
  ZAddRequest,
  ZEntry,
  ZScanRequest,
} from './types.js';
import { isKvColumns } from './types.js';
import { checkUserMetadata, isExpired, nonNegativeInt, requireBytes, requireKey } from './validation.js';
import { checkProveSinceTx, verifiableEntryFor, verifiableTxFor, verifiableWrite } from './verifiable.js';
import { checkPlannedEntries, commitEntries, plainSetEntries, plainSetEntriesFromColumns } from './writes.js';

export interface DatabaseOpenOptions {
  readonly name: string;
  readonly store: DatabaseStore;
  readonly logger: Logger;
  /** Clock for expiry decisions, unix seconds; default the wall clock. */
  readonly nowSeconds?: () => number;
}

const wallClockSeconds = (): number => Math.floor(Date.now() / 1000);

function requireList<T>(value: readonly T[] | undefined, what: string): readonly T[] {
  if (!Array.isArray(value)) throw new ImmuError('ILLEGAL_ARGUMENTS', `${what} must be a list`);
  if (value.length === 0) throw new ImmuError('NO_ENTRIES', `${what} is empty`);
  return value;
}

export interface DatabaseHealth {
  readonly committedTxId: number;
  readonly precommittedTxId: number;
  readonly indexedTxId: number;
  readonly indexLagTxs: number;
  /** Set when indexing stopped on an error. */
  readonly indexStalledReason: string | undefined;
}

export class Database {
  readonly #ctx: DbContext;
  #closed = false;

  private constructor(ctx: DbContext) {
    this.#ctx = ctx;
  }

  static open(opts: DatabaseOpenOptions): Database {
    if (typeof opts.name !== 'string' || opts.name === '') throw new ImmuError('DATABASE_NAME_INVALID', 'database name is empty');
    const logger = opts.logger.child({ db: opts.name });
    const db = new Database({ name: opts.name, store: opts.store, logger, nowSeconds: opts.nowSeconds ?? wallClockSeconds });
    logger.info({ event: 'database.opened', txId: opts.store.committedState().txId });
    return db;
  }

  get name(): string {
    return this.#ctx.name;
  }

  /** Closes the store this database owns. Later calls fail with STORE_CLOSED. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#ctx.store.close();
    this.#ctx.logger.info({ event: 'database.closed' });
  }

  #open(): DbContext {
    if (this.#closed) throw new ImmuError('STORE_CLOSED', `database ${this.#ctx.name} is closed`);
    return this.#ctx;
  }

  // ---- writes -------------------------------------------------------------------------------------

  async set(req: SetRequest): Promise<TxHeader> {
    const ctx = this.#open();
    const kvs = req.kvs;
    const entries = isKvColumns(kvs) ? plainSetEntriesFromColumns(kvs) : plainSetEntries(requireList(kvs, 'kvs'), ctx.store.writeTxHeaderVersion);
    return commitEntries(ctx, entries, req);
  }

  /** Tombstones (deleted metadata, empty value) for keys that exist and are live; else KEY_NOT_FOUND. */
  async delete(req: DeleteRequest): Promise<TxHeader> {
    const ctx = this.#open();
    const keys = requireList(req.keys, 'keys').map((k) => encodeKey(requireKey(k)));
    if (ctx.store.writeTxHeaderVersion === 0) {
      throw new ImmuError('METADATA_INVALID', 'this database writes tx header version 0, which cannot record deletions');
    }
    const entries = keys.map((key): EntryInput => ({ key, value: Buffer.alloc(0), metadata: { deleted: true } }));
    checkPlannedEntries(ctx, entries);
    await waitForIndex(ctx, 0, false);
    for (const key of keys) {
      const v = await latestVersion(ctx, key);
      if (v === undefined || v.metadata?.deleted === true || isExpired(v.metadata, ctx.nowSeconds())) {
        throw new ImmuError('KEY_NOT_FOUND', `key ${key.subarray(1).toString('hex')} does not exist`);
      }
    }
    const preconditions = keys.map((key) => ({ kind: 'mustExist' as const, key: key.subarray(1) }));
    return commitEntries(ctx, entries, { preconditions, noWait: req.noWait === true });
  }

  async setReference(req: ReferenceRequest): Promise<TxHeader> {
    const ctx = this.#open();
    const ref = normaliseRef(req);
    const entries = [referenceEntry(ref)];
    checkPlannedEntries(ctx, entries);
    await this.#checkTargets(ctx, [ref], [], new Map());
    return commitEntries(ctx, entries, req);
  }

  async zAdd(req: ZAddRequest): Promise<TxHeader> {
    const ctx = this.#open();
    const z = normaliseZAdd(req);
    const entries = [zAddEntry(z)];
    checkPlannedEntries(ctx, entries);
    await this.#checkTargets(ctx, [], [z], new Map());
    return commitEntries(ctx, entries, { noWait: req.noWait === true });
  }

  /** KV sets, references and zAdds in one tx; references and members may name keys set in the same call. */
  async execAll(req: ExecAllRequest): Promise<TxHeader> {
    const ctx = this.#open();
    const version = ctx.store.writeTxHeaderVersion;
    const entries: EntryInput[] = [];
    const refs: NormalisedRef[] = [];
    const zadds: NormalisedZAdd[] = [];
    const sameTx = new Map<string, 'kv' | 'ref'>();
    for (const op of requireList(req.operations, 'operations')) {
      if (op.kind === 'kv') {
        const metadata = checkUserMetadata(op.metadata, version);
        const key = encodeKey(requireKey(op.key));
        const value = encodePlainValue(requireBytes(op.value, 'value'));
        entries.push(metadata === undefined ? { key, value } : { key, value, metadata });
        sameTx.set(key.toString('hex'), 'kv');
      } else if (op.kind === 'ref') {
        const ref = normaliseRef(op);
        refs.push(ref);
        entries.push(referenceEntry(ref));
        sameTx.set(encodeKey(ref.key).toString('hex'), 'ref');
      } else if (op.kind === 'zadd') {
        const z = normaliseZAdd(op);
        zadds.push(z);
        entries.push(zAddEntry(z));
      } else {
        throw new ImmuError('ILLEGAL_ARGUMENTS', `unknown operation kind ${String((op as { kind: unknown }).kind)}`);
      }
    }
    checkPlannedEntries(ctx, entries);
    await this.#checkTargets(ctx, refs, zadds, sameTx);
    return commitEntries(ctx, entries, req);
  }

  async #checkTargets(ctx: DbContext, refs: readonly NormalisedRef[], zadds: readonly NormalisedZAdd[], sameTx: SameTxWrites): Promise<void> {
    await waitForIndex(ctx, 0, false);
    for (const ref of refs) await checkReferenceTarget(ctx, ref, sameTx);
    for (const z of zadds) await checkMember(ctx, z, sameTx);
  }

  // ---- reads --------------------------------------------------------------------------------------

  async get(req: GetRequest): Promise<Entry> {
    return reads.get(this.#open(), req);
  }

  async getAll(keys: readonly Buffer[], sinceTx?: number): Promise<Entry[]> {
    return reads.getAll(this.#open(), keys, sinceTx);
  }

  async scan(req: ScanRequest): Promise<Entry[]> {
    return reads.scan(this.#open(), req);
  }

  async history(req: HistoryRequest): Promise<Entry[]> {
    return reads.history(this.#open(), req);
  }

  async zScan(req: ZScanRequest): Promise<ZEntry[]> {
    return zScan(this.#open(), req);
  }

  async count(prefix: Buffer): Promise<number> {
    return reads.count(this.#open(), prefix);
  }

  async countAll(): Promise<number> {
    return reads.count(this.#open(), Buffer.alloc(0));
  }

  async txById(req: TxRequest): Promise<Tx> {
    return txById(this.#open(), req);
  }

  async txScan(req: TxScanRequest): Promise<Tx[]> {
    return txScan(this.#open(), req);
  }

  currentState(): DatabaseState {
    const ctx = this.#open();
    const committed = ctx.store.committedState();
    const precommitted = ctx.store.precommittedState();
    return {
      db: ctx.name,
      txId: committed.txId,
      txHash: committed.txId === 0 ? EMPTY_HASH : committed.alh,
      precommittedTxId: precommitted.txId,
      precommittedTxHash: precommitted.txId === 0 ? EMPTY_HASH : precommitted.alh,
    };
  }

  /** Watermarks and index progress, for metrics and readiness probes. */
  health(): DatabaseHealth {
    const ctx = this.#open();
    const index = ctx.store.index;
    const status = index.status?.() ?? { indexedTxId: index.indexedTxId(), lagTxs: 0 };
    return {
      committedTxId: ctx.store.committedState().txId,
      precommittedTxId: ctx.store.precommittedState().txId,
      indexedTxId: status.indexedTxId,
      indexLagTxs: status.lagTxs,
      indexStalledReason: status.stalled?.reason,
    };
  }

  get closed(): boolean {
    return this.#closed;
  }

  // ---- verifiable ---------------------------------------------------------------------------------

  async verifiableSet(req: SetRequest, proveSinceTx: number): Promise<VerifiableTx> {
    const since = checkProveSinceTx(this.#open(), proveSinceTx);
    const header = await this.set(req);
    return verifiableWrite(this.#ctx, header, since);
  }

  async verifiableSetReference(req: ReferenceRequest, proveSinceTx: number): Promise<VerifiableTx> {
    const since = checkProveSinceTx(this.#open(), proveSinceTx);
    const header = await this.setReference(req);
    return verifiableWrite(this.#ctx, header, since);
  }

  async verifiableZAdd(req: ZAddRequest, proveSinceTx: number): Promise<VerifiableTx> {
    const since = checkProveSinceTx(this.#open(), proveSinceTx);
    const header = await this.zAdd(req);
    return verifiableWrite(this.#ctx, header, since);
  }

  async verifiableGet(req: GetRequest, proveSinceTx: number): Promise<VerifiableEntry> {
    const since = checkProveSinceTx(this.#open(), proveSinceTx);
    const entry = await this.get(req);
    return verifiableEntryFor(this.#ctx, entry, encodeKey(requireKey(req.key)), since);
  }

  async verifiableTxById(req: VerifiableTxRequest): Promise<VerifiableTx> {
    const ctx = this.#open();
    const since = checkProveSinceTx(ctx, req.proveSinceTx);
    const txId = nonNegativeInt(req.tx, 'tx');
    await waitForIndex(ctx, nonNegativeInt(req.sinceTx, 'sinceTx'), req.noWait === true);
    return verifiableTxFor(ctx, await readCommittedTx(ctx, txId), since, req.entriesSpec, req.keepReferencesUnresolved);
  }
}
