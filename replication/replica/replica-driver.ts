// The replica driver of one database: the I/O around the pure replica core (replication/core
// replica-step). Events (answers, stream failures, applies, commits, timers) go into one serial loop;
// each step's actions are performed in order, and the batch stops at the first failure, reported as
// localFailure (persist before you send: persistEpoch completes before the request that depends on it).
// Applies run through one serial queue via the store's verifying replicate path. The network is behind
// PrimaryConnector (primary-connection.ts). With a configured primary public key, the primary's signed
// state is checked at every session start and every consistency check (primary-state-check.ts). A halt
// stops this database's replication only; the status, the metrics and the `replication.halted` event say why.
import { assert } from '../../src/common/assert.js';
import type { KeyObject } from 'node:crypto';
import { isImmuError } from '../../src/common/errors.js';
import type { Logger } from '../../src/common/log.js';
import type { ImmuStore } from '../../src/store/immu-store.js';
import type { StoreIndex } from '../../src/store/store-index.js';
import {
  replicaStatus,
  startReplica,
  stepReplica,
  type ConsistencyOutcome,
  type ReplicaAction,
  type ReplicaConfig,
  type ReplicaEvent,
  type ReplicaState,
  type ReplicationStatus,
} from '../core/index.js';
import { readLocalState, type LocalStateStore } from './local-state.js';
import type { ExportAnswerWire, ExportStream, PrimaryConnector, PrimarySession } from './primary-connection.js';
import { primarySignatureFailure } from './primary-state-check.js';

/** The core wants a tick at least this often (response timeouts, consistency checks). */
export const replicaTickIntervalMs = 1_000;

export type ReplicaStore = LocalStateStore &
  Pick<ImmuStore<StoreIndex>, 'replicateTx' | 'allowCommitUpTo' | 'discardPrecommittedTxsSince' | 'waitForCommit' | 'committedTxId'>;

export interface ReplicaDriverOptions {
  readonly database: string;
  readonly store: ReplicaStore;
  readonly config: ReplicaConfig;
  /** Credentials for the primary; undefined for a passive replica. */
  readonly credentials: { readonly username: string; readonly password: string } | undefined;
  /** Highest primary epoch persisted for this database. */
  readonly epoch: number;
  /** Did store.verify() pass when the database was opened? (run once per open, see local-state.ts) */
  readonly verifiedAtStart: boolean;
  /** This server's UUID: ReplicaState.UUID, how the primary counts our acks. */
  readonly serverUuid: string;
  readonly connector: PrimaryConnector | undefined;
  /**
   * The key the primary must sign its state with (`--replication-primary-public-key`); undefined: the
   * state's signature is not checked. Never a way to turn any other verification off.
   */
  readonly primaryPublicKey?: KeyObject | undefined;
  /** Durably records a newer primary epoch for this database (fsynced before it resolves). */
  persistEpoch(epoch: number): Promise<void>;
  readonly logger: Logger;
  readonly nowMs?: () => number;
  readonly rngSeed: number;
}

type AppendOutcome =
  | { readonly kind: 'appended'; readonly txId: number; readonly alh: Buffer }
  | { readonly kind: 'failed'; readonly err: unknown }
  | { readonly kind: 'skipped' };

export class ReplicaDriver {
  readonly #opts: ReplicaDriverOptions;
  readonly #store: ReplicaStore;
  readonly #log: Logger;
  readonly #db: string;
  readonly #now: () => number;
  #state: ReplicaState;
  readonly #events: ReplicaEvent[] = [];
  #draining: Promise<void> | undefined;
  #looping = false;
  #stopped = false;
  /** Bumped on every disconnect: completions of an older connection are ignored. */
  #connGen = 0;
  #session: PrimarySession | undefined;
  #stream: ExportStream | undefined;
  #streamEpoch = -1;
  /** Bumped when queued applies must be dropped (apply or local failure, stop). */
  #applyGen = 0;
  #applyChain: Promise<void> = Promise.resolve();
  #durableChain: Promise<void> = Promise.resolve();
  /** The apply generation whose append failed: its later appends are skipped. */
  #appendFailedGen = -1;
  #wakeTimer: NodeJS.Timeout | undefined;
  #wakeAtMs = Number.POSITIVE_INFINITY;
  readonly #ticker: NodeJS.Timeout;

  private constructor(opts: ReplicaDriverOptions, state: ReplicaState) {
    this.#opts = opts;
    this.#store = opts.store;
    this.#log = opts.logger;
    this.#db = opts.database;
    this.#now = opts.nowMs ?? Date.now;
    this.#state = state;
    this.#ticker = setInterval(() => this.#feed({ kind: 'tick', nowMs: this.#now() }), replicaTickIntervalMs);
    this.#ticker.unref();
  }

  /** Reads the local store, starts the core, and (for a replica with a primary) starts replicating. */
  static async start(opts: ReplicaDriverOptions): Promise<ReplicaDriver> {
    const local = await readLocalState(opts.store, opts.epoch, opts.verifiedAtStart);
    const nowMs = (opts.nowMs ?? Date.now)();
    const first = startReplica(opts.config, local, opts.rngSeed, nowMs);
    const driver = new ReplicaDriver(opts, first.state);
    opts.logger.info(
      { event: 'replication.started', db: opts.database, txId: local.committed.txId, precommittedTxId: local.precommitted.txId, epoch: local.epoch, primary: opts.config.primary },
      'replica driver started',
    );
    if (opts.config.primary !== undefined) void driver.#followCommits();
    driver.#run(first.actions);
    return driver;
  }

  get halted(): boolean {
    return this.#state.phase.kind === 'halted';
  }

  /** True while a replicator runs (a primary is configured and replication is not halted). */
  get active(): boolean {
    return this.#state.config.primary !== undefined && !this.#stopped && this.#state.phase.kind !== 'halted';
  }

  status(): ReplicationStatus {
    return replicaStatus(this.#state, this.#now());
  }

  /** Stops replicating: no more requests, applies or commits; resolves when in-flight work settled. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#ticker);
    if (this.#wakeTimer !== undefined) clearTimeout(this.#wakeTimer);
    this.#disconnect();
    this.#applyGen++;
    await this.#draining;
    await this.#applyChain;
    await this.#durableChain;
    this.#log.info({ event: 'replication.stopped', db: this.#db, txId: this.#state.committed.txId }, 'replica driver stopped');
  }

  #feed(ev: ReplicaEvent): void {
    if (this.#stopped) return;
    this.#events.push(ev);
    this.#loop(async () => undefined);
  }

  #run(actions: readonly ReplicaAction[]): void {
    this.#loop(() => this.#performAll(actions));
  }

  /** One serial loop: `first`, then every queued event in order. Restarts if an event slipped in at its end. */
  #loop(first: () => Promise<void>): void {
    if (this.#looping) return;
    this.#looping = true;
    this.#draining = first()
      .then(() => this.#drain())
      .catch((err: unknown) => {
        // a broken core invariant: crash loudly rather than replicate on a wrong state (style, habit 3)
        this.#log.fatal({ event: 'replication.invariant_violated', db: this.#db, err }, 'replica core invariant violated');
        throw err;
      })
      .finally(() => {
        this.#looping = false;
        this.#draining = undefined;
        if (this.#events.length > 0 && !this.#stopped) this.#loop(async () => undefined);
      });
  }

  async #drain(): Promise<void> {
    for (let ev = this.#events.shift(); ev !== undefined && !this.#stopped; ev = this.#events.shift()) {
      const r = stepReplica(this.#state, ev);
      this.#state = r.state;
      await this.#performAll(r.actions);
    }
  }

  /** Performs a batch in order; the first failure stops it and is reported before any queued event. */
  async #performAll(actions: readonly ReplicaAction[]): Promise<void> {
    for (const a of actions) {
      if (this.#stopped) return;
      const failure = await this.#perform(a);
      if (failure !== undefined) {
        this.#applyGen++;
        this.#events.unshift({ kind: 'localFailure', nowMs: this.#now(), operation: a.kind, message: failure });
        return;
      }
    }
  }

  /** Returns an error message when the action failed. */
  async #perform(a: ReplicaAction): Promise<string | undefined> {
    try {
      switch (a.kind) {
        case 'persistEpoch':
          await this.#opts.persistEpoch(a.epoch);
          this.#log.info({ event: 'replication.epoch_persisted', db: this.#db, epoch: a.epoch }, 'newer primary epoch persisted');
          return undefined;
        case 'connect':
          this.#connect();
          return undefined;
        case 'disconnect':
          this.#disconnect();
          return undefined;
        case 'requestTx':
          this.#request(a);
          return undefined;
        case 'applyTx':
          this.#enqueueApply(a);
          return undefined;
        case 'allowCommitUpTo':
          this.#store.allowCommitUpTo(a.txId);
          return undefined;
        case 'discardPrecommittedSince': {
          const n = this.#store.discardPrecommittedTxsSince(a.txId);
          this.#log.warn({ event: 'replication.discarded', db: this.#db, txId: a.txId, txs: n }, 'precommitted txs discarded after divergence');
          return undefined;
        }
        case 'halt':
          this.#disconnect();
          this.#log.error(
            { event: 'replication.halted', db: this.#db, code: a.reason.code, kind: a.reason.kind, txId: a.reason.txId, reason: a.reason.message },
            `replication of ${this.#db} halted: ${a.reason.message}`,
          );
          return undefined;
        case 'wakeAt':
          this.#wakeAt(a.atMs);
          return undefined;
        case 'checkConsistency':
          this.#checkConsistency(a.committed);
          return undefined;
      }
    } catch (err) {
      return (err as Error).message;
    }
  }

  #connect(): void {
    const gen = ++this.#connGen;
    const primary = this.#state.config.primary;
    const creds = this.#opts.credentials;
    const connector = this.#opts.connector;
    if (primary === undefined || creds === undefined || connector === undefined) {
      queueMicrotask(() => this.#feed({ kind: 'connectFailed', nowMs: this.#now(), message: 'no primary connector configured' }));
      return;
    }
    connector.connect({ ...primary, ...creds }).then(
      (session) => {
        if (gen !== this.#connGen || this.#stopped) {
          void session.close();
          return;
        }
        this.#log.info({ event: 'replication.connected', db: this.#db, primary }, 'connected to primary');
        void this.#startSession(gen, session);
      },
      (err: unknown) => {
        if (gen !== this.#connGen) return;
        this.#log.warn({ event: 'replication.connect_failed', db: this.#db, primary, err: (err as Error).message }, 'connecting to the primary failed');
        this.#feed({ kind: 'connectFailed', nowMs: this.#now(), message: (err as Error).message });
      },
    );
  }

  /**
   * A session starts streaming only once the primary's signed state passed the configured public key
   * (no key: at once). A bad or missing signature halts; failing to read the state is transient.
   */
  async #startSession(gen: number, session: PrimarySession): Promise<void> {
    const key = this.#opts.primaryPublicKey;
    let failure: string | undefined;
    if (key !== undefined) {
      try {
        failure = primarySignatureFailure(key, this.#primaryDatabase(), await session.currentState());
      } catch (err) {
        void session.close().catch(() => undefined);
        if (gen !== this.#connGen) return;
        this.#feed({ kind: 'connectFailed', nowMs: this.#now(), message: `reading the primary's signed state: ${(err as Error).message}` });
        return;
      }
    }
    if (gen !== this.#connGen || this.#stopped || failure !== undefined) void session.close().catch(() => undefined);
    if (gen !== this.#connGen || this.#stopped) return;
    if (failure !== undefined) {
      this.#feed({ kind: 'primarySignatureInvalid', nowMs: this.#now(), message: failure });
      return;
    }
    if (key !== undefined) this.#log.info({ event: 'replication.primary_state_verified', db: this.#db }, "the primary's signed state verified");
    this.#session = session;
    this.#feed({ kind: 'connected', nowMs: this.#now() });
  }

  #primaryDatabase(): string {
    return this.#state.config.primary?.database ?? this.#db;
  }

  #disconnect(): void {
    this.#connGen++;
    this.#stream?.close();
    this.#stream = undefined;
    this.#streamEpoch = -1;
    const session = this.#session;
    this.#session = undefined;
    if (session !== undefined) void session.close().catch(() => undefined);
  }

  /** Sends a request; a changed epoch reopens the call, since the epoch travels as a call header. */
  #request(a: Extract<ReplicaAction, { kind: 'requestTx' }>): void {
    const session = this.#session;
    assert(session !== undefined, 'requestTx without a session');
    if (this.#stream === undefined || this.#streamEpoch !== a.epoch) {
      this.#stream?.close();
      const gen = this.#connGen;
      const stream: ExportStream = session.openStream(a.epoch, {
        onAnswer: (ans) => {
          if (gen === this.#connGen && this.#stream === stream) this.#onAnswer(ans);
        },
        onFailure: (failure) => {
          if (gen !== this.#connGen || this.#stream !== stream) return;
          this.#log.warn({ event: 'replication.stream_failed', db: this.#db, failure }, 'export stream failed');
          this.#feed({ kind: 'streamFailed', nowMs: this.#now(), failure });
        },
      });
      this.#stream = stream;
      this.#streamEpoch = a.epoch;
    }
    const state = a.replicaState;
    this.#stream.send({
      txId: a.txId,
      allowPrecommitted: a.allowPrecommitted,
      replicaState: state === undefined ? undefined : { uuid: this.#opts.serverUuid, committed: state.committed, precommitted: state.precommitted },
    });
  }

  #onAnswer(ans: ExportAnswerWire): void {
    this.#feed({ kind: 'received', nowMs: this.#now(), ...ans });
  }

  /**
   * Applies run in two ordered chains: appends (store.replicateTx, which verifies and writes but does
   * not fsync) one after the other, and durability waits one after the other. `applied` is reported, in
   * order, only once a tx is durable (persist before you ack), but the next append does not wait for the
   * previous fsync, so the store's group commit covers a burst of replicated txs with one fsync instead
   * of one each. A failed append is reported in its turn on the durability chain (the core expects the
   * failure of the tx right after its durable tip); later appends of that generation are skipped.
   */
  #enqueueApply(a: Extract<ReplicaAction, { kind: 'applyTx' }>): void {
    const gen = this.#applyGen;
    const appended = this.#applyChain.then(() => this.#appendOne(a, gen));
    this.#applyChain = appended.then(() => undefined);
    this.#durableChain = this.#durableChain.then(async () => this.#reportDurable(a, gen, await appended));
  }

  async #appendOne(a: Extract<ReplicaAction, { kind: 'applyTx' }>, gen: number): Promise<AppendOutcome> {
    if (gen !== this.#applyGen || this.#stopped || this.#appendFailedGen === gen) return { kind: 'skipped' };
    try {
      const done = await this.#store.replicateTx(a.payload);
      return { kind: 'appended', txId: done.header.id, alh: done.alh };
    } catch (err) {
      this.#appendFailedGen = gen;
      return { kind: 'failed', err };
    }
  }

  async #reportDurable(a: Extract<ReplicaAction, { kind: 'applyTx' }>, gen: number, outcome: AppendOutcome): Promise<void> {
    if (outcome.kind === 'skipped' || gen !== this.#applyGen || this.#stopped) return;
    let err: unknown = outcome.kind === 'failed' ? outcome.err : undefined;
    if (outcome.kind === 'appended') {
      try {
        await this.#store.waitForDurablePrecommit(outcome.txId);
      } catch (e) {
        err = e;
      }
      if (gen !== this.#applyGen) return;
      if (err === undefined) {
        this.#log.debug({ event: 'replication.tx_applied', db: this.#db, txId: outcome.txId }, 'replicated tx durably precommitted');
        this.#feed({ kind: 'applied', nowMs: this.#now(), txId: outcome.txId, alh: outcome.alh });
        return;
      }
    }
    this.#applyGen++;
    const chain = isImmuError(err, 'REPLICATION_DIVERGENCE');
    this.#feed({ kind: 'applyFailed', nowMs: this.#now(), txId: a.txId, failure: chain ? 'chain' : 'transient', message: (err as Error).message });
  }

  /** Reports every move of the store's commit watermark to the core. */
  async #followCommits(): Promise<void> {
    while (!this.#stopped) {
      const last = this.#store.committedTxId();
      try {
        await this.#store.waitForCommit(last + 1);
      } catch (err) {
        // a discard rejects waiters beyond the new tip; anything else means the store is gone
        if (isImmuError(err, 'SYNC_ACK_TIMEOUT')) continue;
        return;
      }
      this.#feed({ kind: 'committed', nowMs: this.#now(), txId: this.#store.committedTxId() });
    }
  }

  #wakeAt(atMs: number): void {
    if (atMs >= this.#wakeAtMs && this.#wakeTimer !== undefined) return;
    if (this.#wakeTimer !== undefined) clearTimeout(this.#wakeTimer);
    this.#wakeAtMs = atMs;
    this.#wakeTimer = setTimeout(() => {
      this.#wakeTimer = undefined;
      this.#wakeAtMs = Number.POSITIVE_INFINITY;
      this.#feed({ kind: 'tick', nowMs: this.#now() });
    }, Math.max(0, atMs - this.#now()));
    this.#wakeTimer.unref();
  }

  #checkConsistency(committed: Parameters<PrimarySession['proveConsistency']>[0]): void {
    const session = this.#session;
    if (session === undefined) {
      queueMicrotask(() => this.#feed({ kind: 'consistencyChecked', nowMs: this.#now(), outcome: { kind: 'unavailable', message: 'not connected' } }));
      return;
    }
    this.#proveConsistency(session, committed).then(
      ({ outcome, primaryTxId }) => {
        this.#log.info(
          { event: 'replication.consistency_checked', db: this.#db, txId: committed.txId, primaryTxId, outcome: outcome.kind, signed: this.#opts.primaryPublicKey !== undefined },
          'consistency with the primary checked',
        );
        this.#feed({ kind: 'consistencyChecked', nowMs: this.#now(), outcome });
      },
      (err: unknown) => {
        const message = (err as Error).message;
        this.#log.info({ event: 'replication.consistency_checked', db: this.#db, txId: committed.txId, outcome: 'unavailable', err: message }, 'consistency check could not run');
        this.#feed({ kind: 'consistencyChecked', nowMs: this.#now(), outcome: { kind: 'unavailable', message } });
      },
    );
  }

  /** CurrentState (signature-checked when a key is configured), then the dual proof up to it. */
  async #proveConsistency(session: PrimarySession, local: Parameters<PrimarySession['proveConsistency']>[0]): Promise<{ outcome: ConsistencyOutcome; primaryTxId: number | undefined }> {
    const state = await session.currentState();
    const database = this.#primaryDatabase();
    if (state.db !== '' && state.db !== database) {
      return { outcome: { kind: 'unavailable', message: `CurrentState answered for database ${state.db}` }, primaryTxId: undefined };
    }
    const key = this.#opts.primaryPublicKey;
    const failure = key === undefined ? undefined : primarySignatureFailure(key, database, state);
    if (failure !== undefined) return { outcome: { kind: 'signature-invalid', message: failure }, primaryTxId: state.committed.txId };
    return { outcome: await session.proveConsistency(local, state.committed), primaryTxId: state.committed.txId };
  }
}
