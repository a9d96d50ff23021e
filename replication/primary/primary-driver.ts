// The primary driver of one database: the I/O around the pure sync-ack core (replication/core
// primary-step). It feeds the core the store's watermarks (durable precommit, commit), every replica
// export request (epoch, reported state) and every client write waiting for acks, and performs what
// the core decides: allow commits, release or fail writes, answer or refuse replicas, fence itself.
// It serves one export request at a time per call (the gRPC framing is src/api's business) and knows
// nothing of sessions or permissions. Sync writes are bounded: the core fails them after
// syncAckTimeoutMs with SYNC_ACK_TIMEOUT, and settings changes are plain events (never blocked).
import { assert } from '../../src/common/assert.js';
import { ImmuError, isImmuError } from '../../src/common/errors.js';
import type { Logger } from '../../src/common/log.js';
import { txAlh } from '../../src/proof/tx-header.js';
import type { ImmuStore } from '../../src/store/immu-store.js';
import type { StoreIndex } from '../../src/store/store-index.js';
import type { CommittedTx, TxInput } from '../../src/store/types.js';
import {
  primaryStatus,
  startPrimary,
  stepPrimary,
  type PrimaryAction,
  type PrimaryConfig,
  type PrimaryEvent,
  type PrimaryState,
  type ReplicationStatus,
  type ReportedReplicaState,
  type TxRef,
} from '../core/index.js';
import { exportLongPollWindowMs, primaryTickIntervalMs } from './limits.js';

/** What the driver needs of the store. */
export type PrimaryStore = Pick<
  ImmuStore<StoreIndex>,
  | 'committedState'
  | 'committedTxId'
  | 'durablePrecommittedState'
  | 'durablePrecommittedTxId'
  | 'precommit'
  | 'commit'
  | 'allowCommitUpTo'
  | 'waitForCommit'
  | 'waitForDurablePrecommit'
  | 'txHeader'
  | 'exportTx'
>;

export interface PrimaryDriverOptions {
  readonly database: string;
  readonly store: PrimaryStore;
  /** Was the store opened with external commit allowance? Then commits advance only by the core. */
  readonly externalCommitAllowance: boolean;
  readonly epoch: number;
  readonly config: PrimaryConfig;
  readonly logger: Logger;
  readonly nowMs?: () => number;
  readonly longPollWindowMs?: number;
}

/** One export request as the handler decoded it. */
export interface ExportRequest {
  readonly txId: number;
  readonly allowPrecommitted: boolean;
  /** ReplicaState.UUID for sync replicas; the peer address otherwise. */
  readonly replicaId: string;
  /** The `immudbts-primary-epoch` header; undefined from an immudb replica (it cannot be fenced). */
  readonly epoch: number | undefined;
  readonly state: ReportedReplicaState | undefined;
  readonly signal: AbortSignal;
}

/** One answer: the tx (or empty: state only) plus what the first chunk's metadata carries. */
export interface ExportAnswer {
  readonly payload: Buffer;
  readonly committed: TxRef;
  readonly mayCommitUpTo: TxRef | undefined;
  readonly epoch: number;
  /** Our durably precommitted tip (immudb-ts metadata): what a sync replica may fetch ahead of commits. */
  readonly precommittedTxId?: number;
}

interface PendingWrite {
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

export class PrimaryDriver {
  readonly #opts: PrimaryDriverOptions;
  readonly #store: PrimaryStore;
  readonly #log: Logger;
  readonly #now: () => number;
  #state: PrimaryState;
  readonly #writes = new Map<string, PendingWrite>();
  #nextWaitId = 0;
  #closed = false;
  readonly #ticker: NodeJS.Timeout;

  constructor(opts: PrimaryDriverOptions) {
    this.#opts = opts;
    this.#store = opts.store;
    this.#log = opts.logger;
    this.#now = opts.nowMs ?? Date.now;
    const started = startPrimary(
      {
        database: opts.database,
        epoch: opts.epoch,
        config: opts.config,
        committed: opts.store.committedState(),
        precommitted: opts.store.durablePrecommittedState(),
      },
      this.#now(),
    );
    this.#state = started.state;
    this.#perform(started.actions);
    this.#ticker = setInterval(() => {
      if (this.#state.waiters.length > 0) this.#step({ kind: 'tick', nowMs: this.#now() });
    }, primaryTickIntervalMs);
    this.#ticker.unref();
    void this.#watch('durable');
    void this.#watch('commit');
    this.#log.info({ event: 'replication.primary_started', db: opts.database, epoch: opts.epoch, syncAcks: opts.config.syncAcks }, 'primary driver started');
    if (opts.config.unsafeCanary !== undefined) this.#warnUnsafeCanary();
  }

  get epoch(): number {
    return this.#state.epoch;
  }

  get fenced(): boolean {
    return this.#state.fencedByEpoch !== undefined;
  }

  status(): ReplicationStatus {
    return primaryStatus(this.#state, this.#now());
  }

  #warnUnsafeCanary(): void {
    this.#log.warn(
      { event: 'replication.unsafe_canary_enabled', db: this.#opts.database, syncAcks: this.#state.config.syncAcks },
      'UNSAFE CANARY: this primary acknowledges writes before any replica precommitted them; acknowledged writes can be lost (cluster tests only)',
    );
  }

  /** Settings changed (syncAcks, timeout): applied at once, also while writes are blocked. */
  reconfigure(config: PrimaryConfig): void {
    if (this.#closed) return;
    this.#step({ kind: 'configure', nowMs: this.#now(), config });
  }

  /**
   * The write path of the database: a fenced primary refuses; an async store commits on its own; with
   * external allowance the tx is precommitted durably, then waits for the core to release or fail it.
   */
  async commit(tx: TxInput): Promise<CommittedTx> {
    this.#refuseIfFenced();
    if (!this.#opts.externalCommitAllowance) return this.#store.commit(tx);
    const done = await this.#store.precommit(tx);
    if (this.#closed) throw new ImmuError('STORE_CLOSED', `database ${this.#opts.database} closed while tx ${done.header.id} waited for acks; it stays precommitted`);
    this.#syncFromStore();
    const waitId = String(++this.#nextWaitId);
    const released = new Promise<void>((resolve, reject) => this.#writes.set(waitId, { resolve, reject }));
    this.#step({ kind: 'writeWaiting', nowMs: this.#now(), waitId, txId: done.header.id });
    await released;
    return done;
  }

  /** Serves one export request: validate the replica's report, long-poll for the tx, answer. */
  async export(req: ExportRequest): Promise<ExportAnswer> {
    if (this.#closed) throw new ImmuError('STORE_CLOSED', `database ${this.#opts.database} is closing`);
    if (!Number.isSafeInteger(req.txId) || req.txId < 1) throw new ImmuError('INVALID_ARGUMENT', `tx must be a positive tx id, not ${req.txId}`, { field: 'tx' });
    const told = await this.#admit(req);
    const ready = await this.#waitForTx(req, told);
    // Answer with the state as it is now: acks that arrived meanwhile may have moved the commit.
    const mayCommitUpTo = await this.#admit(req);
    const payload = ready ? await this.#store.exportTx(req.txId, { allowPrecommitted: req.allowPrecommitted }) : Buffer.alloc(0);
    return {
      payload,
      committed: this.#store.committedState(),
      mayCommitUpTo,
      epoch: this.#state.epoch,
      precommittedTxId: this.#store.durablePrecommittedTxId(),
    };
  }

  /** Shutdown or reopen: nobody waits for acks any more (waiting writes fail with STORE_CLOSED). */
  close(): void {
    if (this.#closed) return;
    this.#step({ kind: 'close', nowMs: this.#now() });
    this.#closed = true;
    clearInterval(this.#ticker);
  }

  #refuseIfFenced(): void {
    const newer = this.#state.fencedByEpoch;
    if (newer === undefined) return;
    throw new ImmuError(
      'REPLICATION_STALE_EPOCH',
      `database ${this.#opts.database} was replaced by a primary at epoch ${newer} (this one is at epoch ${this.#state.epoch}); it accepts no writes`,
      { epoch: this.#state.epoch, newerEpoch: newer },
    );
  }

  /** Feeds the replica's request to the core; returns its may-commit-up-to or throws the refusal. */
  async #admit(req: ExportRequest): Promise<TxRef | undefined> {
    const state = req.state;
    const atCommitted = state === undefined ? undefined : await this.#alhAt(state.committed.txId);
    const atPrecommitted = state === undefined ? undefined : await this.#alhAt(state.precommitted.txId);
    this.#syncFromStore();
    const actions = this.#step({
      kind: 'replicaRequest',
      nowMs: this.#now(),
      replicaId: req.replicaId,
      epoch: req.epoch ?? this.#state.epoch,
      state,
      primaryAlhAtCommitted: atCommitted,
      primaryAlhAtPrecommitted: atPrecommitted,
    });
    for (const a of actions) {
      if (a.kind === 'answerReplica' && a.replicaId === req.replicaId) return a.mayCommitUpTo;
      if (a.kind === 'rejectReplica' && a.replicaId === req.replicaId) {
        throw new ImmuError(a.code, a.message, { scope: a.scope, epoch: this.#state.epoch });
      }
    }
    assert(false, 'the core answers or refuses every replica request');
  }

  /** Our Alh at a durably precommitted tx; undefined beyond our durable tip (the core calls that divergence). */
  async #alhAt(txId: number): Promise<Buffer | undefined> {
    if (txId < 1 || txId > this.#store.durablePrecommittedTxId()) return undefined;
    return txAlh(await this.#store.txHeader(txId, { allowPrecommitted: true }));
  }

  /**
   * Long poll: until the tx exists (durably precommitted for sync replicas, committed otherwise), or,
   * for a sync replica holding txs we had not yet committed when we answered, until that commit moves,
   * or until the window ends. Returns whether the tx can be exported now. A replica that follows an
   * older epoch (a fresh one follows 0) is answered at once, state-only if need be: it learns and
   * persists our epoch within one round trip instead of one long-poll window, so a failover soon
   * after it connected cannot promote it to the epoch we already hold.
   */
  async #waitForTx(req: ExportRequest, told: TxRef | undefined): Promise<boolean> {
    const target = req.txId;
    const available = (): boolean =>
      req.allowPrecommitted ? this.#store.durablePrecommittedTxId() >= target : this.#store.committedTxId() >= target;
    if (available()) return true;
    if (req.epoch !== undefined && req.epoch < this.#state.epoch) return false;
    const windowMs = this.#opts.longPollWindowMs ?? exportLongPollWindowMs;
    const waits = [req.allowPrecommitted ? this.#store.waitForDurablePrecommit(target, windowMs) : this.#store.waitForCommit(target, windowMs)];
    if (req.state !== undefined && told !== undefined && req.state.precommitted.txId > told.txId) {
      waits.push(this.#store.waitForCommit(told.txId + 1, windowMs));
    }
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<void>((resolve) => {
      onAbort = (): void => resolve();
      req.signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([...waits.map((w) => w.catch(swallowTimeout)), aborted]);
    } finally {
      if (onAbort !== undefined) req.signal.removeEventListener('abort', onAbort);
    }
    return available();
  }

  /** Brings the core's view of the store's watermarks up to date (precommitted first: commits follow it). */
  #syncFromStore(): void {
    if (this.#closed) return;
    const durable = this.#store.durablePrecommittedState();
    if (durable.txId > this.#state.precommitted.txId) this.#step({ kind: 'precommitted', nowMs: this.#now(), tx: durable });
    const committed = this.#store.committedState();
    if (committed.txId > this.#state.committed.txId) this.#step({ kind: 'committed', nowMs: this.#now(), tx: committed });
  }

  /** Follows one store watermark until the store closes. */
  async #watch(which: 'durable' | 'commit'): Promise<void> {
    for (;;) {
      const last = which === 'durable' ? this.#store.durablePrecommittedTxId() : this.#store.committedTxId();
      try {
        await (which === 'durable' ? this.#store.waitForDurablePrecommit(last + 1) : this.#store.waitForCommit(last + 1));
      } catch {
        return; // the store closed or failed: nothing more to follow
      }
      if (this.#closed) return;
      this.#syncFromStore();
    }
  }

  #step(ev: PrimaryEvent): readonly PrimaryAction[] {
    const r = stepPrimary(this.#state, ev);
    this.#state = r.state;
    this.#perform(r.actions);
    return r.actions;
  }

  #perform(actions: readonly PrimaryAction[]): void {
    for (const a of actions) {
      switch (a.kind) {
        case 'allowCommitUpTo':
          this.#store.allowCommitUpTo(a.txId);
          break;
        case 'releaseWrite':
          this.#settle(a.waitId, undefined);
          break;
        case 'failWrite':
          this.#log.warn({ event: 'replication.write_failed', db: this.#opts.database, txId: a.txId, code: a.error.code, ...a.error.details }, a.error.message);
          this.#settle(a.waitId, new ImmuError(a.error.code, a.error.message, { ...a.error.details }));
          break;
        case 'fenced':
          this.#log.error(
            { event: 'replication.fenced', db: this.#opts.database, epoch: this.#state.epoch, newerEpoch: a.epoch, replicaId: a.replicaId },
            'a replica follows a newer primary epoch: this primary was replaced and refuses writes',
          );
          break;
        case 'answerReplica':
        case 'rejectReplica':
          break; // returned to the export call that fed the request
      }
    }
  }

  #settle(waitId: string, err: Error | undefined): void {
    const w = this.#writes.get(waitId);
    if (w === undefined) return;
    this.#writes.delete(waitId);
    if (err === undefined) w.resolve();
    else w.reject(err);
  }
}

function swallowTimeout(err: unknown): void {
  if (!isImmuError(err, 'TIMEOUT')) throw err;
}
