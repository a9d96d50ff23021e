// The node: one immudb server's databases, users and sessions behind the NodeApi seam. Startup order
// follows immudb (identifier, systemdb + admin user, defaultdb, user databases found on disk with their
// persisted settings), control-plane changes are serialised and persisted in systemdb before they take
// effect, and shutdown closes every store (fsync) after the gRPC layer has drained.
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { ImmuError, isImmuError } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { Mutex } from '../common/mutex.js';
import type { Database } from '../database/database.js';
import type { TxHeader } from '../proof/tx-header.js';
import type { ExportAnswer, ExportRequest } from '../../replication/primary/primary-driver.js';
import type { PrimaryConnector } from '../../replication/replica/primary-connection.js';
import { databaseDir } from './names.js';
import { ReplicationHost, readEpochFile, writeEpochFile, type ReplicationMetric, type ReplicationTuning } from './replication-host.js';
import { publicKeyPoint, signState } from '../proof/state-signature.js';
import { Authenticator, defaultPasswordWarning } from './authenticate.js';
import { DatabaseRegistry, type OpenFailure } from './database-registry.js';
import { readOrCreateIdentifier } from './identifier.js';
import { LoginThrottle } from './login-throttle.js';
import { DEFAULTDB, SYSADMIN_USERNAME, SYSTEMDB, isNormalizedDatabaseName, isReservedDatabaseName, normalizeDatabaseName, normalizeUserDatabaseName } from './names.js';
import type {
  CallAuth,
  CallContext,
  DatabaseInfo,
  NodeApi,
  PermissionAction,
  ReplicationNodeApi,
  ReplicationStatusView,
  ServerInfo,
  StateSignature,
  UserInfo,
} from './node-api.js';
import { BcryptPasswordHasher, makeDummyHash, type PasswordHasher } from './password-hash.js';
import {
  checkDatabaseAccess,
  checkDatabaseAdmin,
  checkMethodAccess,
  hasDatabaseAccess,
  isDatabaseAdmin,
  METHOD_ACCESS,
  visibleDatabases,
  type Principal,
} from './permissions.js';
import { SessionManager, systemClock, type Clock, type SessionLimits } from './sessions.js';
import { reservedDatabaseSettings, type ServerReplicationFlags } from './settings-sources.js';
import {
  createDatabaseSettings,
  defaultDatabaseSettings,
  observePrimaryEpoch,
  redactSettings,
  updateDatabaseSettings,
  type DatabaseSettings,
  type DatabaseSettingsUpdate,
  type ServerSettingsDefaults,
} from './settings.js';
import { DatabaseSystemKv } from './system-kv.js';
import { canChangePassword, canChangePermission, canCreateUser, canSetActive, enforce, grantedCode, visibleUsers } from './user-rules.js';
import { UserStore } from './user-store.js';
import { newUser, withActive, withPassword, withPermission, type UserRecord } from './users.js';

export const serverVersion = '1.11.1-ts';

export interface NodeConfig {
  readonly dataDir: string;
  readonly logger: Logger;
  readonly adminPassword: string;
  readonly forceAdminPassword: boolean;
  /** Directory name under dataDir excluded from database discovery (immudb's --logdir). */
  readonly logDirName: string;
  readonly signingKey: KeyObject | undefined;
  readonly sessionLimits: Partial<SessionLimits>;
  readonly defaults: ServerSettingsDefaults;
  readonly replicationFlags: ServerReplicationFlags;
  readonly clock?: Clock;
  readonly hasher?: PasswordHasher;
  /** Hash worker threads per user-database store (systemdb always hashes inline). */
  readonly hashWorkers?: number;
  /** How replica databases reach their primary (the composition root passes the gRPC connector). */
  readonly replicaConnector?: PrimaryConnector;
  /** Replica databases require their primary's state signed with this key (`--replication-primary-public-key`). */
  readonly replicaPrimaryPublicKey?: KeyObject;
  readonly replicationTuning?: ReplicationTuning;
}

/** Write methods: refused on a replica database (its only writer is its replicator). */
const WRITE_METHODS: ReadonlySet<string> = new Set(
  [...METHOD_ACCESS].filter(([, a]) => a.kind === 'database' && a.level === 'readwrite').map(([m]) => m),
);

function principalOf(u: UserRecord): Principal {
  return { username: u.username, permissions: u.permissions, active: u.active };
}

export class ImmuNode implements NodeApi, ReplicationNodeApi {
  readonly serverUuid: string;
  readonly version = serverVersion;
  readonly #cfg: NodeConfig;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #registry: DatabaseRegistry;
  readonly #systemdb: Database;
  readonly #users: UserStore;
  readonly #sessions: SessionManager;
  readonly #auth: Authenticator;
  readonly #hasher: PasswordHasher;
  readonly #replication: ReplicationHost;
  readonly #control = new Mutex();
  readonly #startedAtMs: number;
  #closed = false;

  private constructor(args: {
    cfg: NodeConfig;
    uuid: string;
    registry: DatabaseRegistry;
    systemdb: Database;
    users: UserStore;
    hasher: PasswordHasher;
    dummyHash: string;
    replication: ReplicationHost;
  }) {
    this.#cfg = args.cfg;
    this.#log = args.cfg.logger;
    this.#clock = args.cfg.clock ?? systemClock;
    this.serverUuid = args.uuid;
    this.#registry = args.registry;
    this.#systemdb = args.systemdb;
    this.#users = args.users;
    this.#hasher = args.hasher;
    this.#replication = args.replication;
    this.#sessions = new SessionManager({ clock: this.#clock, limits: args.cfg.sessionLimits });
    this.#auth = new Authenticator({
      hasher: args.hasher,
      throttle: new LoginThrottle(),
      clock: this.#clock,
      dummyHash: args.dummyHash,
      lookupUser: (u) => this.#users.getUser(u),
    });
    this.#startedAtMs = this.#clock.nowMs();
  }

  static async start(cfg: NodeConfig): Promise<ImmuNode> {
    const log = cfg.logger;
    await mkdir(cfg.dataDir, { recursive: true });
    const id = await readOrCreateIdentifier(cfg.dataDir);
    let node: ImmuNode | undefined;
    const replication = new ReplicationHost({
      logger: log,
      serverUuid: id.text,
      connector: cfg.replicaConnector,
      primaryPublicKey: cfg.replicaPrimaryPublicKey,
      persistEpoch: async (name, epoch) => {
        if (node === undefined) throw new ImmuError('STORE_CLOSED', 'the node is starting');
        await node.#persistEpoch(name, epoch);
      },
      ...(cfg.replicationTuning === undefined ? {} : { tuning: cfg.replicationTuning }),
    });
    const registry = new DatabaseRegistry({
      dataDir: cfg.dataDir,
      logger: log,
      ...(cfg.hashWorkers === undefined ? {} : { hashWorkers: cfg.hashWorkers }),
      commitVia: (name, store, tx) => replication.commit(name, store, tx),
    });
    const clock = cfg.clock ?? systemClock;
    const hasher = cfg.hasher ?? new BcryptPasswordHasher();

    for (const name of [SYSTEMDB, DEFAULTDB]) {
      const flagged = reservedDatabaseSettings(name, cfg.defaults, cfg.replicationFlags);
      const epoch = Math.max(flagged.replication.primaryEpoch, await readEpochFile(databaseDir(cfg.dataDir, name)));
      registry.register(name, { ...flagged, replication: { ...flagged.replication, primaryEpoch: epoch } });
    }
    const systemdb = await ImmuNode.#open(registry, replication, SYSTEMDB, 0);
    const users = new UserStore(new DatabaseSystemKv(systemdb), cfg.defaults);
    if (!cfg.replicationFlags.replica) {
      const did = await users.ensureAdminUser(cfg.adminPassword, hasher, clock.nowMs(), cfg.forceAdminPassword);
      log.info({ event: 'node.admin_user', outcome: did });
    }
    await ImmuNode.#open(registry, replication, DEFAULTDB);

    node = new ImmuNode({ cfg, uuid: id.text, registry, systemdb, users, hasher, dummyHash: await makeDummyHash(hasher), replication });
    if (!cfg.replicationFlags.replica) await node.#loadUserDatabases();
    log.info({ event: 'node.started', dir: cfg.dataDir, uuid: id.text, databases: registry.names().length });
    return node;
  }

  /** Opens a database and starts its replication (primary or replica driver). */
  static async #open(registry: DatabaseRegistry, replication: ReplicationHost, name: string, hashWorkers?: number): Promise<Database> {
    const db = await registry.open(name, hashWorkers);
    const e = registry.require(name);
    if (e.store === undefined) throw new ImmuError('DATABASE_NOT_LOADED', `database '${name}' did not open`);
    try {
      await replication.attach(name, e.store, e.externalCommitAllowance, e.settings);
    } catch (err) {
      await registry.close(name);
      throw err;
    }
    return db;
  }

  #openDb(name: string): Promise<Database> {
    return ImmuNode.#open(this.#registry, this.#replication, name);
  }

  async #closeDb(name: string): Promise<void> {
    await this.#replication.detach(name);
    await this.#registry.close(name);
  }

  /** A replica saw a newer primary epoch: persist it (systemdb settings, or a file for reserved dbs). */
  async #persistEpoch(name: string, epoch: number): Promise<void> {
    const e = this.#registry.require(name);
    const next = observePrimaryEpoch(e.settings, epoch, { by: 'replication', atMs: this.#clock.nowMs() });
    if (next === e.settings) return;
    if (isReservedDatabaseName(name)) await writeEpochFile(databaseDir(this.#cfg.dataDir, name), epoch);
    else await this.#users.putDatabaseSettings(name, next);
    e.settings = next;
  }

  /** Every first-level directory except systemdb, defaultdb and the log dir is a database. */
  async #loadUserDatabases(): Promise<void> {
    const dirents = await readdir(this.#cfg.dataDir, { withFileTypes: true });
    const names = dirents
      .filter((d) => d.isDirectory() && !isReservedDatabaseName(d.name) && d.name !== this.#cfg.logDirName)
      .map((d) => d.name)
      .sort();
    for (const name of names) {
      if (!isNormalizedDatabaseName(name)) {
        this.#log.warn({ event: 'node.dir_skipped', dir: name, reason: 'not a valid database name' });
        continue;
      }
      let settings = await this.#users.getDatabaseSettings(name);
      if (settings === undefined) {
        settings = defaultDatabaseSettings(this.#cfg.defaults);
        await this.#users.putDatabaseSettings(name, settings);
        this.#log.info({ event: 'node.database_adopted', db: name });
      }
      const entry = this.#registry.register(name, settings);
      if (!settings.autoload) continue;
      try {
        await this.#openDb(name);
      } catch (err) {
        // One database whose files do not open (corrupt, unreadable) must not take the node down: it
        // stays registered, unloaded, with the reason (DatabaseListV2: not loaded; /readyz: reported).
        const code = err instanceof ImmuError ? err.code : 'INTERNAL';
        const reason = err instanceof Error ? err.message : String(err);
        entry.openFailure = { code, reason, atMs: this.#clock.nowMs() };
        this.#log.error({ event: 'node.database_open_failed', db: name, code, reason, err }, `database ${name} failed to open; the node serves the others`);
      }
    }
  }

  // ---- auth -------------------------------------------------------------------------------------

  async login(user: string, password: Buffer, peer: string): Promise<{ token: string; warning: string }> {
    const pw = password.toString('utf8');
    const rec = await this.#auth.authenticate(user, pw, peer);
    const p = principalOf(rec);
    const database = hasDatabaseAccess(p, DEFAULTDB) ? DEFAULTDB : undefined;
    const token = this.#sessions.issueToken(rec.username, database);
    this.#log.info({ event: 'auth.login', user: rec.username, peer });
    return { token, warning: defaultPasswordWarning(rec.username, pw) ?? '' };
  }

  async logout(auth: CallAuth): Promise<void> {
    if (auth.kind === 'token') this.#sessions.revokeToken(auth.token);
    else if (auth.kind === 'session') this.#sessions.closeSession(auth.sessionId);
    else throw new ImmuError('UNAUTHENTICATED', 'not logged in');
  }

  async openSession(user: string, password: Buffer, database: string, peer: string): Promise<{ sessionId: string; serverUuid: string }> {
    const rec = await this.#auth.authenticate(user, password.toString('utf8'), peer);
    const name = normalizeDatabaseName(database === '' ? DEFAULTDB : database);
    this.#registry.require(name);
    checkDatabaseAccess(principalOf(rec), name);
    const s = this.#sessions.openSession(rec.username, name);
    this.#log.info({ event: 'auth.session_opened', user: rec.username, db: name, peer });
    return { sessionId: s.id, serverUuid: this.serverUuid };
  }

  async keepAlive(auth: CallAuth): Promise<void> {
    if (auth.kind !== 'session') throw new ImmuError('UNAUTHENTICATED', 'no session found');
    this.#sessions.touchSession(auth.sessionId);
  }

  async closeSession(auth: CallAuth): Promise<void> {
    if (auth.kind !== 'session') throw new ImmuError('UNAUTHENTICATED', 'no session found');
    this.#sessions.closeSession(auth.sessionId);
  }

  /** Who is calling and which database they selected; undefined caller for anonymous calls. */
  async #identify(auth: CallAuth): Promise<{ user: UserRecord | undefined; database: string | undefined }> {
    if (auth.kind === 'none') return { user: undefined, database: undefined };
    const grant = auth.kind === 'session' ? this.#sessions.touchSession(auth.sessionId) : this.#sessions.resolveToken(auth.token);
    const user = await this.#users.getUser(grant.username);
    if (user === undefined || !user.active) throw new ImmuError('UNAUTHENTICATED', 'not logged in');
    return { user, database: grant.database };
  }

  async authorize(method: string, auth: CallAuth): Promise<CallContext> {
    const access = METHOD_ACCESS.get(method);
    if (access?.kind === 'public') {
      return { caller: undefined, database: undefined, databaseName: undefined };
    }
    const { user, database } = await this.#identify(auth);
    const caller = user === undefined ? undefined : principalOf(user);
    checkMethodAccess(method, caller, database);
    if (access?.kind !== 'database' || database === undefined) {
      return { caller, database: undefined, databaseName: database };
    }
    const entry = this.#registry.get(database);
    if (entry === undefined) throw new ImmuError('DATABASE_NOT_FOUND', `database '${database}' does not exist`);
    if (WRITE_METHODS.has(method) && entry.settings.replication.replica) {
      throw new ImmuError('REPLICA_READ_ONLY', `database '${database}' is a replica: writes go to its primary`);
    }
    return { caller, database: this.#registry.loaded(database), databaseName: database };
  }

  async useDatabase(auth: CallAuth, rawName: string): Promise<{ token: string }> {
    const { user } = await this.#identify(auth);
    if (user === undefined) throw new ImmuError('UNAUTHENTICATED', 'not logged in');
    const name = rawName === SYSTEMDB ? SYSTEMDB : normalizeDatabaseName(rawName);
    this.#registry.require(name);
    checkDatabaseAccess(principalOf(user), name);
    this.#registry.loaded(name);
    if (auth.kind === 'session') this.#sessions.setSessionDatabase(auth.sessionId, name);
    return { token: this.#sessions.issueToken(user.username, name) };
  }

  #requireCaller(ctx: CallContext): Principal {
    if (ctx.caller === undefined) throw new ImmuError('UNAUTHENTICATED', 'not logged in');
    return ctx.caller;
  }

  #ruleContext(): { databaseExists: (name: string) => boolean } {
    return { databaseExists: (name) => this.#registry.get(name) !== undefined };
  }

  // ---- users ------------------------------------------------------------------------------------

  async listUsers(ctx: CallContext): Promise<UserInfo[]> {
    const caller = this.#requireCaller(ctx);
    const all = await this.#users.listUsers();
    return visibleUsers(caller, all, ctx.databaseName).map((u) => ({
      username: u.username,
      permissions: u.permissions,
      createdBy: u.createdBy,
      createdAt: new Date(u.createdAtMs).toISOString(),
      active: u.active,
    }));
  }

  async createUser(ctx: CallContext, req: { user: string; password: Buffer; permission: number; database: string }): Promise<void> {
    const caller = this.#requireCaller(ctx);
    await this.#control.run(async () => {
      const existing = await this.#users.getUser(req.user);
      const password = req.password.toString('utf8');
      const database = req.database === '' ? DEFAULTDB : req.database;
      enforce(canCreateUser(caller, existing, { username: req.user, password, permission: req.permission, database }, this.#ruleContext()));
      const hashedPassword = await this.#hasher.hash(password);
      const permissions = [{ permission: grantedCode(req), database }];
      await this.#users.putUser(newUser({ username: req.user, hashedPassword, permissions, createdBy: caller.username, atMs: this.#clock.nowMs() }));
      this.#log.info({ event: 'user.created', user: req.user, by: caller.username, db: database, permission: req.permission });
    });
  }

  async changePassword(ctx: CallContext, req: { user: string; oldPassword: Buffer; newPassword: Buffer }): Promise<void> {
    const caller = this.#requireCaller(ctx);
    await this.#control.run(async () => {
      const target = await this.#users.getUser(req.user);
      const newPassword = req.newPassword.toString('utf8');
      const allowed = enforce(canChangePassword(caller, target, { username: req.user, newPassword }));
      if (target === undefined) throw new ImmuError('USER_NOT_FOUND', `user '${req.user}' does not exist`);
      if (allowed.requireOldPassword && !(await this.#hasher.verify(req.oldPassword.toString('utf8'), target.hashedPassword))) {
        throw new ImmuError('INVALID_CREDENTIALS', 'old password is incorrect');
      }
      const hashed = await this.#hasher.hash(newPassword);
      await this.#users.putUser(withPassword(target, hashed, caller.username, this.#clock.nowMs()));
      const ended = this.#sessions.endUser(target.username);
      this.#log.info({ event: 'user.password_changed', user: target.username, by: caller.username, ...ended });
    });
  }

  async changePermission(ctx: CallContext, req: { action: PermissionAction; username: string; database: string; permission: number }): Promise<void> {
    const caller = this.#requireCaller(ctx);
    await this.#control.run(async () => {
      const target = await this.#users.getUser(req.username);
      enforce(canChangePermission(caller, target, req, this.#ruleContext()));
      if (target === undefined) throw new ImmuError('USER_NOT_FOUND', `user '${req.username}' does not exist`);
      const held = target.permissions.find((p) => p.database === req.database)?.permission;
      const permission = req.action === 'revoke' && held !== undefined ? held : grantedCode(req);
      const { user, changed } = withPermission(target, { action: req.action, database: req.database, permission }, caller.username, this.#clock.nowMs());
      if (changed) await this.#users.putUser(user);
      const ended = this.#sessions.endUser(target.username);
      this.#log.info({ event: 'user.permission_changed', user: target.username, by: caller.username, action: req.action, db: req.database, ...ended });
    });
  }

  async setActiveUser(ctx: CallContext, req: { username: string; active: boolean }): Promise<void> {
    const caller = this.#requireCaller(ctx);
    await this.#control.run(async () => {
      const target = await this.#users.getUser(req.username);
      enforce(canSetActive(caller, target, req));
      if (target === undefined) throw new ImmuError('USER_NOT_FOUND', `user '${req.username}' does not exist`);
      await this.#users.putUser(withActive(target, req.active, caller.username, this.#clock.nowMs()));
      const ended = this.#sessions.endUser(target.username);
      this.#log.info({ event: 'user.active_changed', user: target.username, active: req.active, by: caller.username, ...ended });
    });
  }

  // ---- databases --------------------------------------------------------------------------------

  async createDatabase(
    ctx: CallContext,
    req: { name: string; settings: DatabaseSettingsUpdate; ifNotExists: boolean },
  ): Promise<{ name: string; settings: DatabaseSettings; alreadyExisted: boolean }> {
    const caller = this.#requireCaller(ctx);
    const name = normalizeUserDatabaseName(req.name, [this.#cfg.logDirName]);
    return this.#control.run(async () => {
      const existing = this.#registry.get(name);
      if (existing !== undefined) {
        if (req.ifNotExists) return { name, settings: existing.settings, alreadyExisted: true };
        throw new ImmuError('DATABASE_EXISTS', `database '${name}' already exists`);
      }
      const settings = createDatabaseSettings(this.#cfg.defaults, req.settings, { by: caller.username, atMs: this.#clock.nowMs() });
      await this.#users.putDatabaseSettings(name, settings);
      this.#registry.register(name, settings);
      await this.#openDb(name);
      this.#log.info({ event: 'database.created', db: name, by: caller.username, replica: settings.replication.replica });
      return { name, settings, alreadyExisted: false };
    });
  }

  async updateDatabase(ctx: CallContext, req: { name: string; settings: DatabaseSettingsUpdate }): Promise<{ name: string; settings: DatabaseSettings }> {
    const caller = this.#requireCaller(ctx);
    const name = normalizeDatabaseName(req.name);
    if (isReservedDatabaseName(name)) throw new ImmuError('DATABASE_RESERVED', `database '${name}' is reserved`);
    checkDatabaseAdmin(caller, name);
    return this.#control.run(async () => {
      const entry = this.#registry.require(name);
      const change = { by: caller.username, atMs: this.#clock.nowMs() };
      const proposed = updateDatabaseSettings(entry.settings, req.settings, change); // refuse bad requests before touching anything
      this.#replication.refuseUnsafePromotion(name, entry.settings, proposed);
      // Stop the replicator first: an epoch it persists must not be overwritten by this update.
      await this.#replication.quiesce(name);
      let settings = entry.settings;
      try {
        const next = updateDatabaseSettings(entry.settings, req.settings, change);
        await this.#users.putDatabaseSettings(name, next);
        settings = next;
      } finally {
        await this.#applySettings(entry, settings);
      }
      this.#log.info({ event: 'database.updated', db: name, by: caller.username, replica: settings.replication.replica, epoch: settings.replication.primaryEpoch });
      return { name, settings };
    });
  }

  /** Live where possible (a blocked sync primary included); a role or commit-mode change reopens the store. */
  async #applySettings(entry: { readonly name: string; settings: DatabaseSettings; database: Database | undefined }, settings: DatabaseSettings): Promise<void> {
    const name = entry.name;
    const loaded = entry.database !== undefined;
    const reopen = loaded && this.#replication.needsReopen(name, settings);
    if (reopen) await this.#closeDb(name);
    entry.settings = settings;
    if (reopen) await this.#openDb(name);
    else if (loaded) await this.#replication.reconfigure(name, settings);
  }

  async listDatabases(ctx: CallContext): Promise<DatabaseInfo[]> {
    const caller = this.#requireCaller(ctx);
    const names = visibleDatabases(caller, this.#registry.names().filter((n) => n !== SYSTEMDB));
    const out: DatabaseInfo[] = [];
    for (const name of names) {
      const e = this.#registry.require(name);
      out.push({
        name,
        settings: isDatabaseAdmin(caller, name) ? e.settings : redactSettings(e.settings),
        loaded: e.database !== undefined,
        diskSizeBytes: await dirSizeBytes(join(this.#cfg.dataDir, name)),
        numTransactions: e.database === undefined ? 0 : e.database.currentState().txId,
        createdAtMs: e.settings.createdAtMs,
        createdBy: e.settings.createdBy,
      });
    }
    return out;
  }

  async loadDatabase(ctx: CallContext, rawName: string): Promise<void> {
    const name = this.#lifecycleTarget(ctx, rawName);
    await this.#control.run(async () => {
      const e = this.#registry.require(name);
      if (e.database !== undefined) throw new ImmuError('DATABASE_LOADED', `database '${name}' is already loaded`);
      await this.#openDb(name);
      this.#log.info({ event: 'database.loaded', db: name });
    });
  }

  async unloadDatabase(ctx: CallContext, rawName: string): Promise<void> {
    const name = this.#lifecycleTarget(ctx, rawName);
    await this.#control.run(async () => {
      const e = this.#registry.require(name);
      if (e.database === undefined) throw new ImmuError('DATABASE_NOT_LOADED', `database '${name}' is already closed`);
      await this.#closeDb(name);
      this.#log.info({ event: 'database.unloaded', db: name });
    });
  }

  async deleteDatabase(ctx: CallContext, rawName: string): Promise<void> {
    const name = this.#lifecycleTarget(ctx, rawName);
    await this.#control.run(async () => {
      this.#registry.require(name);
      if (this.#registry.get(name)?.database !== undefined) {
        throw new ImmuError('DATABASE_LOADED', `cannot delete an open database: unload '${name}' first`);
      }
      await this.#users.deleteDatabaseSettings(name);
      await this.#registry.remove(name);
      this.#log.info({ event: 'database.deleted', db: name });
    });
  }

  #lifecycleTarget(ctx: CallContext, rawName: string): string {
    const caller = this.#requireCaller(ctx);
    const name = normalizeDatabaseName(rawName);
    if (isReservedDatabaseName(name)) throw new ImmuError('DATABASE_RESERVED', `database '${name}' is reserved`);
    checkDatabaseAdmin(caller, name);
    return name;
  }

  async databaseSettings(ctx: CallContext): Promise<{ name: string; settings: DatabaseSettings }> {
    const name = ctx.databaseName;
    if (name === undefined) throw new ImmuError('NO_DATABASE_SELECTED', 'no database selected');
    const settings = this.#registry.require(name).settings;
    const caller = this.#requireCaller(ctx);
    return { name, settings: isDatabaseAdmin(caller, name) ? settings : redactSettings(settings) };
  }

  // ---- state and info ---------------------------------------------------------------------------

  signState(db: string, txId: number, alh: Buffer): StateSignature | undefined {
    const key = this.#cfg.signingKey;
    if (key === undefined) return undefined;
    const s = signState(key, db, txId, alh);
    return { publicKey: s.publicKey, signature: s.signature };
  }

  signingPublicKey(): Buffer | undefined {
    return this.#cfg.signingKey === undefined ? undefined : publicKeyPoint(this.#cfg.signingKey);
  }

  // ---- replication ------------------------------------------------------------------------------

  async exportTx(ctx: CallContext, req: ExportRequest): Promise<ExportAnswer> {
    const name = ctx.databaseName;
    if (name === undefined) throw new ImmuError('NO_DATABASE_SELECTED', 'no database selected');
    return this.#replication.export(name, req);
  }

  async replicateTx(ctx: CallContext, exported: Buffer): Promise<TxHeader> {
    const name = ctx.databaseName;
    if (name === undefined) throw new ImmuError('NO_DATABASE_SELECTED', 'no database selected');
    return this.#replication.replicateTx(name, exported);
  }

  async replicationStatus(ctx: CallContext, database: string): Promise<readonly ReplicationStatusView[]> {
    const caller = this.#requireCaller(ctx);
    let names: string[];
    if (database === '') {
      names = visibleDatabases(caller, this.#registry.names().filter((n) => n !== SYSTEMDB || isDatabaseAdmin(caller, SYSTEMDB)));
    } else {
      const name = database === SYSTEMDB ? SYSTEMDB : normalizeDatabaseName(database);
      this.#registry.require(name);
      checkDatabaseAccess(caller, name);
      names = [name];
    }
    return names.map((n) => this.#replication.status(n, this.#registry.require(n).settings));
  }

  /** The server begins to stop: replica export streams end at once instead of holding the drain. */
  beginShutdown(): void {
    this.#replication.stopServing();
  }

  /** For the metrics endpoint: halted flag, lag and epoch of every database with a driver. */
  replicationMetrics(): ReplicationMetric[] {
    return this.#replication.metrics();
  }

  async serverInfo(): Promise<ServerInfo> {
    let numTransactions = 0;
    let size = 0;
    const entries = this.#registry.entries();
    for (const e of entries) {
      if (e.database !== undefined) numTransactions += e.database.currentState().txId;
      size += await dirSizeBytes(join(this.#cfg.dataDir, e.name));
    }
    return {
      version: this.version,
      startedAtMs: this.#startedAtMs,
      numTransactions,
      numDatabases: entries.filter((e) => e.name !== SYSTEMDB).length,
      databasesDiskSizeBytes: size,
    };
  }

  txExtraFor(_ctx: CallContext): Buffer | undefined {
    return undefined;
  }

  /** For metrics and health: every registered database with its open handle, if loaded, and why it did not open at start. */
  databases(): { readonly name: string; readonly database: Database | undefined; readonly settings: DatabaseSettings; readonly openFailure: OpenFailure | undefined }[] {
    return this.#registry.entries().map((e) => ({ name: e.name, database: e.database, settings: e.settings, openFailure: e.openFailure }));
  }

  get systemDatabase(): Database {
    return this.#systemdb;
  }

  /** Closes every database (each store fsyncs and closes its files). Call after the gRPC server drained. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#replication.detachAll();
    await this.#registry.closeAll();
    this.#log.info({ event: 'node.stopped' });
  }
}

async function dirSizeBytes(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await dirSizeBytes(p);
    else if (e.isFile()) total += (await stat(p)).size;
  }
  return total;
}

export { isImmuError, SYSADMIN_USERNAME };
