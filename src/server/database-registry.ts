// The node's databases by name: each entry holds its settings and, when loaded, the open Database over
// its own ImmuStore in `<dataDir>/<name>`. Opening, closing and removing directories happen here and
// nowhere else, always through databaseDir() so no name can reach outside the data directory.
import { rm } from 'node:fs/promises';
import { assert } from '../common/assert.js';
import { ImmuError } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { Database } from '../database/database.js';
import { ImmuStore } from '../store/immu-store.js';
import { databaseDir } from './names.js';
import type { TxHeaderVersion } from '../proof/tx-header.js';
import type { DatabaseStore } from '../database/store-api.js';
import type { CommittedTx, TxInput } from '../store/types.js';
import { needsExternalCommitAllowance, type DatabaseSettings } from './settings.js';

export interface RegistryEntry {
  readonly name: string;
  settings: DatabaseSettings;
  database: Database | undefined;
  /** The loaded database's store (replication drives it directly: export, replicate, watermarks). */
  store: ImmuStore | undefined;
  /** Was the loaded store opened with external commit allowance? */
  externalCommitAllowance: boolean;
  /**
   * Why the database did not open when the node started (its files failed to open or verify); the
   * rest of the node serves. Cleared when it opens later (LoadDatabase after a repair).
   */
  openFailure: OpenFailure | undefined;
}

export interface OpenFailure {
  /** The ERROR_CATALOG code of the failure (INTERNAL for a non-ImmuError). */
  readonly code: string;
  readonly reason: string;
  readonly atMs: number;
}

/** Routes a database's writes (the replication host waits for sync acks there); default store.commit. */
export type CommitVia = (name: string, store: ImmuStore, tx: TxInput) => Promise<CommittedTx>;

export interface DatabaseRegistryOptions {
  readonly dataDir: string;
  readonly logger: Logger;
  /** Hash worker threads per store (0 = hash inline). */
  readonly hashWorkers?: number;
  readonly commitVia?: CommitVia;
}

export class DatabaseRegistry {
  readonly #opts: DatabaseRegistryOptions;
  readonly #entries = new Map<string, RegistryEntry>();

  constructor(opts: DatabaseRegistryOptions) {
    this.#opts = opts;
  }

  get(name: string): RegistryEntry | undefined {
    return this.#entries.get(name);
  }

  require(name: string): RegistryEntry {
    const e = this.#entries.get(name);
    if (e === undefined) throw new ImmuError('DATABASE_NOT_FOUND', `database '${name}' does not exist`);
    return e;
  }

  /** Loaded database or a typed error (unknown / unloaded). */
  loaded(name: string): Database {
    const e = this.require(name);
    if (e.database === undefined) {
      const f = e.openFailure;
      if (f !== undefined) {
        throw new ImmuError('DATABASE_NOT_LOADED', `database '${name}' is not loaded: it failed to open at start (${f.code}: ${f.reason})`, { reason: 'open-failed', openFailureCode: f.code });
      }
      throw new ImmuError('DATABASE_NOT_LOADED', `database '${name}' is not loaded`);
    }
    return e.database;
  }

  names(): string[] {
    return [...this.#entries.keys()];
  }

  entries(): RegistryEntry[] {
    return [...this.#entries.values()];
  }

  /** Registers a database (not opened). */
  register(name: string, settings: DatabaseSettings): RegistryEntry {
    assert(!this.#entries.has(name), `database ${name} registered twice`);
    const e: RegistryEntry = { name, settings, database: undefined, store: undefined, externalCommitAllowance: false, openFailure: undefined };
    this.#entries.set(name, e);
    return e;
  }

  async open(name: string, hashWorkers = this.#opts.hashWorkers): Promise<Database> {
    const e = this.require(name);
    if (e.database !== undefined) return e.database;
    const s = e.settings;
    const external = needsExternalCommitAllowance(s);
    const store = await ImmuStore.open({
      dir: databaseDir(this.#opts.dataDir, name),
      logger: this.#opts.logger,
      writeTxHeaderVersion: s.writeTxHeaderVersion,
      maxKeyLen: s.maxKeyLen,
      maxValueLen: s.maxValueLen,
      maxTxEntries: s.maxTxEntries,
      fileSizeBytes: s.fileSize,
      externalCommitAllowance: external,
      ...(s.excludeCommitTime ? { nowSeconds: () => 0 } : {}),
      ...(hashWorkers === undefined ? {} : { hashWorkers }),
    });
    const via = this.#opts.commitVia;
    const dbStore = via === undefined ? store : gatedStore(store, s.writeTxHeaderVersion, (tx) => via(name, store, tx));
    e.database = Database.open({ name, store: dbStore, logger: this.#opts.logger });
    e.store = store;
    e.externalCommitAllowance = external;
    e.openFailure = undefined;
    return e.database;
  }

  async close(name: string): Promise<void> {
    const e = this.require(name);
    const db = e.database;
    e.database = undefined;
    e.store = undefined;
    if (db !== undefined) await db.close();
  }

  /** Forgets the database and removes its directory. It must be closed. */
  async remove(name: string): Promise<void> {
    const e = this.require(name);
    if (e.database !== undefined) throw new ImmuError('DATABASE_LOADED', `cannot delete an open database: unload '${name}' first`);
    this.#entries.delete(name);
    await rm(databaseDir(this.#opts.dataDir, name), { recursive: true, force: true });
  }

  async closeAll(): Promise<void> {
    const failures: unknown[] = [];
    await Promise.all(
      this.entries().map(async (e) => {
        try {
          await this.close(e.name);
        } catch (err) {
          failures.push(err);
        }
      }),
    );
    if (failures.length > 0) throw failures[0];
  }
}

/** The store as the Database sees it, with commits routed through `commit`. */
function gatedStore(store: ImmuStore, writeTxHeaderVersion: TxHeaderVersion, commit: (tx: TxInput) => Promise<CommittedTx>): DatabaseStore {
  return {
    commit,
    committedState: () => store.committedState(),
    precommittedState: () => store.precommittedState(),
    waitForCommit: (txId, timeoutMs) => store.waitForCommit(txId, timeoutMs),
    txHeader: (id) => store.txHeader(id),
    readTx: (id) => store.readTx(id),
    readValue: (ref, hVal) => store.readValue(ref, hVal),
    dualProof: (s, t) => store.dualProof(s, t),
    get index() {
      return store.index;
    },
    writeTxHeaderVersion,
    limits: store.limits,
    close: () => store.close(),
  };
}
