// The node's replication: one primary driver per loaded primary database and one replica driver per
// loaded replica database, started when a database opens and stopped before it closes. The node calls
// this on open/close/update and routes writes, export requests, external replicateTx and the status RPC
// here; the drivers do the replication I/O. The network connector is injected (the composition root
// passes the gRPC one), so src/server does not depend on src/api.
import { randomInt, type KeyObject } from 'node:crypto';
import { open as openFile, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { ImmuError } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import type { TxHeader } from '../proof/tx-header.js';
import type { ImmuStore } from '../store/immu-store.js';
import type { CommittedTx, TxInput } from '../store/types.js';
import {
  consistencyCheckIntervalMsDefault,
  prefetchTxsMaxDefault,
  replicaResponseTimeoutMsDefault,
  type PrimaryConfig,
  type ReplicaConfig,
  type ReplicationStatus,
  type UnsafeAckBeforeReplicaPrecommit,
} from '../../replication/core/index.js';
import { replicaRequestsInFlightMaxDefault } from '../../replication/core/limits.js';
import { exportFromReplica } from '../../replication/primary/chain-export.js';
import { PrimaryDriver, type ExportAnswer, type ExportRequest } from '../../replication/primary/primary-driver.js';
import { verifyLocalStore } from '../../replication/replica/local-state.js';
import type { PrimaryConnector } from '../../replication/replica/primary-connection.js';
import { ReplicaDriver } from '../../replication/replica/replica-driver.js';
import type { ReplicationStatusView } from './node-api.js';
import { isReplicatorRequired, needsExternalCommitAllowance, type DatabaseSettings } from './settings.js';

/** Knobs tests and the cluster harness may turn; production uses the core's defaults. */
export interface ReplicationTuning {
  readonly consistencyCheckIntervalMs?: number;
  readonly responseTimeoutMs?: number;
  readonly longPollWindowMs?: number;
  /**
   * The lost-write canary (replication/core/unsafe-canary.ts): every primary database of this node
   * commits on local durability while claiming to be sync. Cluster tests only; the composition root
   * builds it from one deliberately named environment variable and logs it loudly.
   */
  readonly unsafeCanary?: UnsafeAckBeforeReplicaPrecommit;
}

export interface ReplicationHostOptions {
  readonly logger: Logger;
  readonly serverUuid: string;
  readonly connector: PrimaryConnector | undefined;
  /**
   * `--replication-primary-public-key`: every replica database of this node requires its primary's
   * state to be signed with this key (checked at session start and at each consistency check).
   */
  readonly primaryPublicKey?: KeyObject | undefined;
  /** Durably records a newer primary epoch in the database's settings. */
  readonly persistEpoch: (database: string, epoch: number) => Promise<void>;
  readonly tuning?: ReplicationTuning;
}

interface Attached {
  readonly name: string;
  readonly store: ImmuStore;
  readonly external: boolean;
  settings: DatabaseSettings;
  /** store.verify() outcome, run once per open by the first replica driver. */
  verified: boolean | undefined;
  primary: PrimaryDriver | undefined;
  replica: ReplicaDriver | undefined;
}

/** Per-database numbers for the metrics endpoint. */
export interface ReplicationMetric {
  readonly db: string;
  readonly halted: boolean;
  readonly lagTxs: number;
  readonly lagMs: number;
  readonly epoch: number;
  /** Replicas: when the periodic consistency check last passed (undefined: never, or a primary). */
  readonly lastConsistencyCheckAtMs: number | undefined;
}

export class ReplicationHost {
  readonly #opts: ReplicationHostOptions;
  readonly #log: Logger;
  readonly #dbs = new Map<string, Attached>();
  /** Aborted when the server begins to shut down: long polls end, new export requests are refused. */
  readonly #serving = new AbortController();

  constructor(opts: ReplicationHostOptions) {
    this.#opts = opts;
    this.#log = opts.logger;
  }

  /** The write path of every database (DatabaseRegistry commitVia): sync primaries wait for acks. */
  commit(name: string, store: ImmuStore, tx: TxInput): Promise<CommittedTx> {
    const primary = this.#dbs.get(name)?.primary;
    return primary === undefined ? store.commit(tx) : primary.commit(tx);
  }

  /** A database opened: start its primary or replica driver. */
  async attach(name: string, store: ImmuStore, external: boolean, settings: DatabaseSettings): Promise<void> {
    const a: Attached = { name, store, external, settings, verified: undefined, primary: undefined, replica: undefined };
    this.#dbs.set(name, a);
    await this.#startRole(a);
  }

  /** A database is about to close: stop its drivers (waiting writes fail, in-flight applies settle). */
  async detach(name: string): Promise<void> {
    const a = this.#dbs.get(name);
    if (a === undefined) return;
    this.#dbs.delete(name);
    await this.#stopRole(a);
  }

  async detachAll(): Promise<void> {
    await Promise.all([...this.#dbs.keys()].map((n) => this.detach(n)));
  }

  /** Before a settings update: stop the replicator so no epoch write races the update. */
  async quiesce(name: string): Promise<void> {
    const a = this.#dbs.get(name);
    if (a?.replica === undefined) return;
    await a.replica.stop();
    a.replica = undefined;
  }

  /**
   * A replica whose own files failed verification at start is never promoted (its data is suspect and
   * its status says promotable: false): an update that would make it a primary is refused, so neither
   * an operator nor a failover tool can turn corrupted data into the source of truth. Rebuild it.
   */
  refuseUnsafePromotion(name: string, before: DatabaseSettings, after: DatabaseSettings): void {
    if (!before.replication.replica || after.replication.replica) return;
    if (this.#dbs.get(name)?.verified !== false) return;
    throw new ImmuError(
      'CORRUPTED_DATA',
      `database ${name} failed verification of its own files at start (local corruption): it cannot be promoted; rebuild it from a healthy node`,
      { reason: 'local-corruption' },
    );
  }

  /** Must the database be closed and reopened for these settings (role or commit-allowance mode)? */
  needsReopen(name: string, after: DatabaseSettings): boolean {
    const a = this.#dbs.get(name);
    if (a === undefined) return false;
    return a.settings.replication.replica !== after.replication.replica || (needsExternalCommitAllowance(after) && !a.external);
  }

  /** Applies new settings to a loaded database in the same role: live (a blocked primary included). */
  async reconfigure(name: string, settings: DatabaseSettings): Promise<void> {
    const a = this.#dbs.get(name);
    if (a === undefined) return;
    a.settings = settings;
    if (a.primary !== undefined && a.primary.epoch === settings.replication.primaryEpoch && !settings.replication.replica) {
      a.primary.reconfigure(this.#primaryConfigOf(settings));
      this.#log.info({ event: 'replication.reconfigured', db: name, syncAcks: settings.replication.syncAcks }, 'primary reconfigured');
      return;
    }
    await this.#stopRole(a);
    await this.#startRole(a);
  }

  async export(name: string, req: ExportRequest): Promise<ExportAnswer> {
    if (this.#serving.signal.aborted) throw new ImmuError('STORE_CLOSED', 'the server is shutting down');
    const a = this.#require(name);
    const r = { ...req, signal: AbortSignal.any([req.signal, this.#serving.signal]) };
    if (a.primary !== undefined) return a.primary.export(r);
    return exportFromReplica(a.store, r, a.settings.replication.primaryEpoch, this.#opts.tuning?.longPollWindowMs);
  }

  /** Shutdown begins: export streams end now, so draining the gRPC server does not wait for replicas. */
  stopServing(): void {
    this.#serving.abort();
  }

  /** External replicateTx (hot restore): passive replicas only; the tx is verified, then committed. */
  async replicateTx(name: string, exported: Buffer): Promise<TxHeader> {
    const a = this.#require(name);
    if (!a.settings.replication.replica) {
      throw new ImmuError('PRECONDITION_FAILED', `database ${name} is not a replica`, { reason: 'not-a-replica' });
    }
    if (isReplicatorRequired(a.settings)) {
      throw new ImmuError('PRECONDITION_FAILED', `database ${name} replicates from its primary: external replicateTx is refused`, {
        reason: 'replication-in-progress',
      });
    }
    if (a.verified === false) throw new ImmuError('CORRUPTED_DATA', `database ${name} failed verification at start; rebuild it`);
    const done = await a.store.replicateTx(exported);
    await a.store.waitForDurablePrecommit(done.header.id);
    a.store.allowCommitUpTo(done.header.id);
    await a.store.waitForCommit(done.header.id);
    return done.header;
  }

  status(name: string, settings: DatabaseSettings): ReplicationStatusView {
    const a = this.#dbs.get(name);
    const s = a?.primary?.status() ?? a?.replica?.status();
    return s === undefined ? idleView(name, settings) : toView(s, settings);
  }

  metrics(): ReplicationMetric[] {
    const out: ReplicationMetric[] = [];
    for (const a of this.#dbs.values()) {
      const s = a.primary?.status() ?? a.replica?.status();
      if (s === undefined) continue;
      out.push({ db: a.name, halted: s.state === 'halted', lagTxs: s.lagTxs, lagMs: s.lagMs, epoch: s.epoch, lastConsistencyCheckAtMs: s.lastConsistencyCheckAtMs });
    }
    return out;
  }

  #require(name: string): Attached {
    const a = this.#dbs.get(name);
    if (a === undefined) throw new ImmuError('DATABASE_NOT_LOADED', `database '${name}' is not loaded`);
    return a;
  }

  async #startRole(a: Attached): Promise<void> {
    const s = a.settings;
    const r = s.replication;
    // A previous driver on this store may have allowed commits the store has not made yet: a new core
    // starts from the committed tip as its allowance, so let those commits land first.
    await a.store.waitForCommit(Math.min(a.store.commitAllowance(), a.store.precommittedState().txId));
    if (!r.replica) {
      a.primary = new PrimaryDriver({
        database: a.name,
        store: a.store,
        externalCommitAllowance: a.external,
        epoch: r.primaryEpoch,
        config: this.#primaryConfigOf(s),
        logger: this.#log,
        ...(this.#opts.tuning?.longPollWindowMs === undefined ? {} : { longPollWindowMs: this.#opts.tuning.longPollWindowMs }),
      });
      return;
    }
    a.verified ??= await verifyLocalStore(a.store, a.name, this.#log);
    a.replica = await ReplicaDriver.start({
      database: a.name,
      store: a.store,
      config: this.#replicaConfigOf(a.name, s),
      credentials: isReplicatorRequired(s) ? { username: r.primaryUsername, password: r.primaryPassword } : undefined,
      epoch: r.primaryEpoch,
      verifiedAtStart: a.verified,
      serverUuid: this.#opts.serverUuid,
      connector: this.#opts.connector,
      primaryPublicKey: this.#opts.primaryPublicKey,
      persistEpoch: async (epoch) => {
        await this.#opts.persistEpoch(a.name, epoch);
        a.settings = { ...a.settings, replication: { ...a.settings.replication, primaryEpoch: Math.max(epoch, a.settings.replication.primaryEpoch) } };
      },
      logger: this.#log,
      rngSeed: randomInt(0, 2 ** 32 - 1),
    });
  }

  async #stopRole(a: Attached): Promise<void> {
    a.primary?.close();
    a.primary = undefined;
    const replica = a.replica;
    a.replica = undefined;
    await replica?.stop();
  }

  #primaryConfigOf(s: DatabaseSettings): PrimaryConfig {
    const r = s.replication;
    return { syncAcks: r.syncReplication ? r.syncAcks : 0, syncAckTimeoutMs: r.syncAckTimeoutMs, unsafeCanary: this.#opts.tuning?.unsafeCanary };
  }

  #replicaConfigOf(name: string, s: DatabaseSettings): ReplicaConfig {
    const r = s.replication;
    const t = this.#opts.tuning;
    return {
      database: name,
      primary: isReplicatorRequired(s) ? { host: r.primaryHost, port: r.primaryPort, database: r.primaryDatabase } : undefined,
      syncReplication: r.syncReplication,
      allowTxDiscarding: r.allowTxDiscarding,
      prefetchTxsMax: r.prefetchTxBufferSize > 0 ? r.prefetchTxBufferSize : prefetchTxsMaxDefault,
      responseTimeoutMs: t?.responseTimeoutMs ?? replicaResponseTimeoutMsDefault,
      consistencyCheckIntervalMs: t?.consistencyCheckIntervalMs ?? consistencyCheckIntervalMsDefault,
      requestsInFlightMax: replicaRequestsInFlightMaxDefault,
    };
  }
}


const ROLE: Readonly<Record<ReplicationStatus['role'], ReplicationStatusView['role']>> = {
  primary: 'primary',
  replica: 'replica',
  'passive-replica': 'passiveReplica',
};
const STATE: Readonly<Record<ReplicationStatus['state'], ReplicationStatusView['state']>> = {
  'not-running': 'notRunning',
  connecting: 'connecting',
  running: 'running',
  halted: 'halted',
};

function endpointOf(settings: DatabaseSettings): Pick<ReplicationStatusView, 'primaryHost' | 'primaryPort' | 'primaryDatabase'> {
  const r = settings.replication;
  return { primaryHost: r.primaryHost, primaryPort: r.primaryPort, primaryDatabase: r.primaryDatabase };
}

function toView(s: ReplicationStatus, settings: DatabaseSettings): ReplicationStatusView {
  return {
    database: s.database,
    role: ROLE[s.role],
    state: STATE[s.state],
    ...endpointOf(settings),
    epoch: s.epoch,
    committedTxId: s.committedTxId,
    precommittedTxId: s.precommittedTxId,
    primaryCommittedTxId: s.primaryCommittedTxId,
    lagTxs: s.lagTxs,
    lagMs: s.lagMs,
    syncReplication: s.syncReplication,
    syncAcks: s.syncAcks,
    ...(s.halt === undefined ? {} : { halt: { code: s.halt.code, reason: s.halt.message, atMs: s.halt.atMs } }),
    promotable: s.promotable,
  };
}

/** An unloaded database (or one between drivers during an update): what its settings say. */
function idleView(name: string, settings: DatabaseSettings): ReplicationStatusView {
  const r = settings.replication;
  return {
    database: name,
    role: !r.replica ? 'primary' : isReplicatorRequired(settings) ? 'replica' : 'passiveReplica',
    state: 'notRunning',
    ...endpointOf(settings),
    epoch: r.primaryEpoch,
    committedTxId: 0,
    precommittedTxId: 0,
    primaryCommittedTxId: 0,
    lagTxs: 0,
    lagMs: 0,
    syncReplication: r.syncReplication,
    syncAcks: r.syncAcks,
    promotable: false,
  };
}

/** The epoch of a reserved database (systemdb, defaultdb), whose settings come from flags, not systemdb. */
export const reservedEpochFileName = 'immudbts-primary-epoch';

export async function readEpochFile(dbDir: string): Promise<number> {
  try {
    const text = (await readFile(join(dbDir, reservedEpochFileName), 'utf8')).trim();
    return /^\d{1,15}$/.test(text) ? Number(text) : 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

/** Writes the epoch durably: temp file, fsync, rename, fsync of the directory. */
export async function writeEpochFile(dbDir: string, epoch: number): Promise<void> {
  const path = join(dbDir, reservedEpochFileName);
  const tmp = `${path}.tmp`;
  const f = await openFile(tmp, 'w');
  try {
    await f.writeFile(`${epoch}\n`);
    await f.sync();
  } finally {
    await f.close();
  }
  await rename(tmp, path);
  const d = await openFile(dbDir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
