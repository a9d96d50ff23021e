// ImmuClient: the TypeScript SDK's entry point, the layer immuclient, immuadmin and the cluster tests
// sit on. It owns one Connection (endpoint list, channel), the credentials (legacy token or session,
// with its heartbeat), the selected database and the server UUID last seen, and exposes every data,
// admin and verified call with plain inputs and outputs. The calls themselves live in kv-calls.ts,
// admin-calls.ts and verified-calls.ts; this file only wires them and manages authentication.
import type { KeyObject } from 'node:crypto';
import { ImmuError } from '../common/errors.js';
import { loadPublicKey } from '../proof/index.js';
import * as admin from './admin-calls.js';
import { callMetadata, Heartbeat, noCredentials, selectedDatabase, type Credentials } from './auth.js';
import type { ClientCore } from './client-core.js';
import { callTimeoutMsDefault, defaultDatabase, heartbeatIntervalMsDefault } from './client-limits.js';
import { Connection, type CallResult, type ClientTlsOptions } from './connection.js';
import { FailoverCore } from './failover/failover-core.js';
import type { EndpointView, ReadPreference } from './failover/routing.js';
import * as kv from './kv-calls.js';
import type { ImmudbTsRpcs, ImmuRpcs } from './rpc-types.js';
import type { DatabaseSettings, LegacyDatabaseSettings } from './settings.js';
import { FileStateStore, type StateStore } from './state-store.js';
import type {
  ConsistencyResult,
  Entry,
  GetOptions,
  HealthInfo,
  HistoryOptions,
  ImmuState,
  KeyValue,
  LoginResult,
  Op,
  ScanOptions,
  ServerInfo,
  SessionInfo,
  TrustedState,
  Tx,
  TxHeader,
  TxOptions,
  TxScanOptions,
  User,
  WriteOptions,
  ZEntry,
  ZScanOptions,
} from './types.js';
import { VerifiedCalls } from './verified-calls.js';

export interface ImmuClientOptions {
  /** `host:port` of the server (port 3322 when omitted). Prepended to `endpoints` when both are given. */
  readonly address?: string;
  /**
   * Every node the client may use. With more than one (or `failover: true`) the client fails over:
   * writes go to the primary of the selected database, reads follow `readPreference`, and trusted
   * states are kept per database lineage (`clusterId`) instead of per server (src/client/failover/).
   */
  readonly endpoints?: readonly string[];
  /** Failover mode even with a single endpoint (e.g. one DNS name in front of several nodes). */
  readonly failover?: boolean;
  /** Failover mode: where reads go (`primary`, the default; `replica`: replicas first; `any`). */
  readonly readPreference?: ReadPreference;
  /** Failover mode: names the cluster's database lineage for trusted states (default: from the endpoint set). */
  readonly clusterId?: string;
  readonly tls?: ClientTlsOptions;
  /** Directory of the trusted-state files (default `~/.immudb-ts/state`); ignored with `stateStore`. */
  readonly stateDir?: string;
  /** Where trusted states live, e.g. `new MemoryStateStore()` in tests. */
  readonly stateStore?: StateStore;
  /** PEM "PUBLIC KEY" of the server's state-signing key: every state must then be signed by it. */
  readonly serverSigningPublicKey?: string;
  /** Deadline of each call. */
  readonly timeoutMs?: number;
  /** Session keep-alive period. */
  readonly heartbeatIntervalMs?: number;
}

function normalizeDb(name: string): string {
  return name.toLowerCase();
}

export class ImmuClient {
  readonly #connection: Connection;
  readonly #heartbeatIntervalMs: number;
  readonly #verified: VerifiedCalls;
  readonly #core: ClientCore;
  /** Failover mode only: the multi-endpoint core that also owns the per-node credentials. */
  readonly #cluster: FailoverCore | undefined;
  #creds: Credentials = noCredentials;
  #heartbeat: Heartbeat | undefined;
  #serverUuid: string | undefined;
  #lastHeartbeatError: ImmuError | undefined;

  constructor(options: ImmuClientOptions) {
    const endpoints = [...(options.address !== undefined ? [options.address] : []), ...(options.endpoints ?? [])];
    this.#connection = new Connection({
      endpoints,
      timeoutMs: options.timeoutMs ?? callTimeoutMsDefault,
      ...(options.tls !== undefined ? { tls: options.tls } : {}),
    });
    this.#heartbeatIntervalMs = options.heartbeatIntervalMs ?? heartbeatIntervalMsDefault;
    const publicKey: KeyObject | undefined =
      options.serverSigningPublicKey === undefined ? undefined : loadPublicKey(options.serverSigningPublicKey);
    this.#cluster =
      endpoints.length > 1 || options.failover === true
        ? new FailoverCore({
            endpoints,
            timeoutMs: options.timeoutMs ?? callTimeoutMsDefault,
            ...(options.tls !== undefined ? { tls: options.tls } : {}),
            ...(options.readPreference !== undefined ? { readPreference: options.readPreference } : {}),
            ...(options.clusterId !== undefined ? { clusterId: options.clusterId } : {}),
          })
        : undefined;
    this.#core = this.#cluster ?? this.#makeCore();
    this.#verified = new VerifiedCalls(this.#core, options.stateStore ?? new FileStateStore(options.stateDir), publicKey);
  }

  #makeCore(): ClientCore {
    const self = this;
    return {
      call: <M extends keyof ImmuRpcs & string>(method: M, request: ImmuRpcs[M]['request']) => self.#call(method, request),
      callTs: <M extends keyof ImmudbTsRpcs & string>(method: M, request: ImmudbTsRpcs[M]['request']) =>
        self.#note(self.#connection.immudbTs(method, request, callMetadata(self.#creds))),
      requireDatabase: () => self.#requireDatabase(),
      get serverUuid() {
        return self.#serverUuid;
      },
      get endpoint() {
        return self.#connection.endpoint;
      },
    };
  }

  async #note<R>(pending: Promise<CallResult<R>>): Promise<CallResult<R>> {
    const result = await pending;
    if (result.serverUuid !== undefined) this.#serverUuid = result.serverUuid;
    return result;
  }

  #call<M extends keyof ImmuRpcs & string>(method: M, request: ImmuRpcs[M]['request']): Promise<CallResult<ImmuRpcs[M]['response']>> {
    return this.#note(this.#connection.immu(method, request, callMetadata(this.#creds)));
  }

  #requireDatabase(): string {
    const db = selectedDatabase(this.#creds);
    if (db === undefined) throw new ImmuError('NO_DATABASE_SELECTED', 'no database is selected: open a session or call useDatabase');
    return db;
  }

  // ---- connection and identity --------------------------------------------------------------------

  get endpoints(): readonly string[] {
    return this.#connection.endpoints;
  }

  /** The server UUID of the last reply (the `immudb-uuid` header), if any call was made. */
  get serverUuid(): string | undefined {
    return this.#cluster !== undefined ? this.#cluster.lastServerUuid : this.#serverUuid;
  }

  /** The selected database, if any. */
  get database(): string | undefined {
    return this.#cluster !== undefined ? this.#cluster.database : selectedDatabase(this.#creds);
  }

  get authKind(): Credentials['kind'] {
    return this.#cluster !== undefined ? this.#cluster.authKind : this.#creds.kind;
  }

  /** Failover mode: the endpoint that answered the last call. */
  get lastEndpoint(): string {
    return this.#core.endpoint;
  }

  /** Failover mode: probes every endpoint and returns its role for the selected database. */
  clusterRoles(): Promise<readonly EndpointView[]> {
    if (this.#cluster === undefined) return Promise.reject(new ImmuError('ILLEGAL_ARGUMENTS', 'clusterRoles needs failover mode (several endpoints)'));
    return this.#cluster.roles();
  }

  /** The last failed heartbeat, cleared by the next successful one. */
  get lastHeartbeatError(): ImmuError | undefined {
    return this.#lastHeartbeatError;
  }

  /** Stops the heartbeat and closes the channel. Does not close a server session (see closeSession). */
  close(): void {
    this.#stopHeartbeat();
    this.#connection.close();
    this.#cluster?.close();
  }

  // ---- legacy token auth -------------------------------------------------------------------------

  /** Login: a token with no database selected; `database` given, it is selected with useDatabase. */
  async login(user: string, password: string, database?: string): Promise<LoginResult> {
    this.#stopHeartbeat();
    if (this.#cluster !== undefined) {
      const result = await this.#cluster.login(user, password);
      if (database !== undefined) await this.#cluster.useDatabase(database);
      return result;
    }
    const { response } = await this.#call('Login', { user: Buffer.from(user), password: Buffer.from(password) });
    this.#creds = { kind: 'token', token: response.token, database: undefined };
    if (database !== undefined) await this.useDatabase(database);
    return { warning: response.warning.toString('utf8') };
  }

  async logout(): Promise<void> {
    if (this.#cluster !== undefined) return this.#cluster.logout();
    if (this.#creds.kind !== 'token') throw new ImmuError('UNAUTHENTICATED', 'not logged in with a token');
    await this.#call('Logout', {});
    this.#creds = noCredentials;
  }

  /** Selects a database: a new token in token mode, the session's database in session mode. */
  async useDatabase(name: string): Promise<void> {
    if (this.#cluster !== undefined) return this.#cluster.useDatabase(name);
    const database = normalizeDb(name);
    const { response } = await this.#call('UseDatabase', { databaseName: database });
    const creds = this.#creds;
    if (creds.kind === 'session') this.#creds = { ...creds, database };
    else this.#creds = { kind: 'token', token: response.token, database };
  }

  // ---- sessions ----------------------------------------------------------------------------------

  async openSession(user: string, password: string, database: string = defaultDatabase): Promise<SessionInfo> {
    const db = normalizeDb(database);
    this.#stopHeartbeat();
    if (this.#cluster !== undefined) {
      const opened = await this.#cluster.openSession(user, password, db);
      this.#startHeartbeat();
      return { ...opened, serverUuid: this.#cluster.lastServerUuid ?? '' };
    }
    this.#creds = noCredentials;
    const { response } = await this.#call('OpenSession', { username: Buffer.from(user), password: Buffer.from(password), databaseName: db });
    if (response.serverUUID !== '') this.#serverUuid = response.serverUUID;
    this.#creds = { kind: 'session', sessionId: response.sessionID, database: db };
    this.#startHeartbeat();
    return { sessionId: response.sessionID, serverUuid: this.#serverUuid ?? '', database: db };
  }

  #startHeartbeat(): void {
    this.#heartbeat = new Heartbeat(this.#heartbeatIntervalMs, () => {
      this.keepAlive().then(
        () => (this.#lastHeartbeatError = undefined),
        (err: unknown) => (this.#lastHeartbeatError = err instanceof ImmuError ? err : new ImmuError('INTERNAL', String(err))),
      );
    });
  }

  async keepAlive(): Promise<void> {
    if (this.#cluster !== undefined) return this.#cluster.keepAlive();
    if (this.#creds.kind !== 'session') throw new ImmuError('UNAUTHENTICATED', 'no open session');
    await this.#call('KeepAlive', {});
  }

  async closeSession(): Promise<void> {
    if (this.#cluster !== undefined) {
      this.#stopHeartbeat();
      return this.#cluster.closeSession();
    }
    if (this.#creds.kind !== 'session') throw new ImmuError('UNAUTHENTICATED', 'no open session');
    this.#stopHeartbeat();
    try {
      await this.#call('CloseSession', {});
    } finally {
      this.#creds = noCredentials;
    }
  }

  #stopHeartbeat(): void {
    this.#heartbeat?.stop();
    this.#heartbeat = undefined;
  }

  // ---- data calls --------------------------------------------------------------------------------

  set(key: Buffer, value: Buffer, options?: kv.SetOptions): Promise<TxHeader> {
    return kv.set(this.#core, key, value, options);
  }

  setAll(kvs: readonly KeyValue[], options?: WriteOptions): Promise<TxHeader> {
    return kv.setAll(this.#core, kvs, options);
  }

  get(key: Buffer, options?: GetOptions): Promise<Entry> {
    return kv.get(this.#core, key, options);
  }

  getAll(keys: readonly Buffer[], sinceTx?: number): Promise<Entry[]> {
    return kv.getAll(this.#core, keys, sinceTx);
  }

  delete(keys: readonly Buffer[], options?: { sinceTx?: number; noWait?: boolean }): Promise<TxHeader> {
    return kv.del(this.#core, keys, options);
  }

  execAll(ops: readonly Op[], options?: WriteOptions): Promise<TxHeader> {
    return kv.execAll(this.#core, ops, options);
  }

  setReference(key: Buffer, referencedKey: Buffer, options?: kv.RefOptions): Promise<TxHeader> {
    return kv.setReference(this.#core, key, referencedKey, options);
  }

  zAdd(set: Buffer, score: number, key: Buffer, options?: kv.ZAddOptions): Promise<TxHeader> {
    return kv.zAdd(this.#core, set, score, key, options);
  }

  zScan(set: Buffer, options?: ZScanOptions): Promise<ZEntry[]> {
    return kv.zScan(this.#core, set, options);
  }

  scan(options?: ScanOptions): Promise<Entry[]> {
    return kv.scan(this.#core, options);
  }

  history(key: Buffer, options?: HistoryOptions): Promise<Entry[]> {
    return kv.history(this.#core, key, options);
  }

  count(prefix: Buffer): Promise<number> {
    return kv.count(this.#core, prefix);
  }

  countAll(): Promise<number> {
    return kv.countAll(this.#core);
  }

  txById(tx: number, options?: TxOptions): Promise<Tx> {
    return kv.txById(this.#core, tx, options);
  }

  txScan(options: TxScanOptions): Promise<Tx[]> {
    return kv.txScan(this.#core, options);
  }

  /** The server's committed state; its signature is checked when a server key is configured. */
  async currentState(): Promise<ImmuState> {
    return (await this.#verified.currentState()).state;
  }

  health(): Promise<HealthInfo> {
    return kv.health(this.#core);
  }

  serverInfo(): Promise<ServerInfo> {
    return kv.serverInfo(this.#core);
  }

  // ---- verified calls ----------------------------------------------------------------------------

  verifiedSet(key: Buffer, value: Buffer): Promise<TxHeader> {
    return this.#verified.verifiedSet(key, value);
  }

  verifiedGet(key: Buffer, options?: GetOptions): Promise<Entry> {
    return this.#verified.verifiedGet(key, options);
  }

  verifiedGetAt(key: Buffer, atTx: number): Promise<Entry> {
    return this.#verified.verifiedGet(key, { atTx });
  }

  verifiedGetSince(key: Buffer, sinceTx: number): Promise<Entry> {
    return this.#verified.verifiedGet(key, { sinceTx });
  }

  verifiedGetAtRevision(key: Buffer, atRevision: number): Promise<Entry> {
    return this.#verified.verifiedGet(key, { atRevision });
  }

  verifiedSetReference(key: Buffer, referencedKey: Buffer, atTx?: number): Promise<TxHeader> {
    return this.#verified.verifiedSetReference(key, referencedKey, atTx);
  }

  verifiedZAdd(set: Buffer, score: number, key: Buffer, atTx?: number): Promise<TxHeader> {
    return this.#verified.verifiedZAdd(set, score, key, atTx);
  }

  verifiedTxById(tx: number): Promise<Tx> {
    return this.#verified.verifiedTxById(tx);
  }

  /** Proves the server's current state extends the saved one; STATE_INCONSISTENT when it cannot. */
  verifyState(): Promise<ConsistencyResult> {
    return this.#verified.verifyState();
  }

  /** Same as verifyState (the Go SDK's name for the auditor's check). */
  consistencyCheck(): Promise<ConsistencyResult> {
    return this.#verified.verifyState();
  }

  /** The saved trusted state of the selected database on this server, if any. */
  trustedState(): Promise<TrustedState | undefined> {
    return this.#verified.savedState();
  }

  // ---- admin calls -------------------------------------------------------------------------------

  createUser(user: string, password: string, permission: number, database: string): Promise<void> {
    return admin.createUser(this.#core, user, password, permission, database);
  }

  listUsers(): Promise<User[]> {
    return admin.listUsers(this.#core);
  }

  changePassword(user: string, oldPassword: string, newPassword: string): Promise<void> {
    return admin.changePassword(this.#core, user, oldPassword, newPassword);
  }

  changePermission(action: admin.PermissionAction, username: string, database: string, permission: number): Promise<void> {
    return admin.changePermission(this.#core, action, username, database, permission);
  }

  setActiveUser(username: string, active: boolean): Promise<void> {
    return admin.setActiveUser(this.#core, username, active);
  }

  /** Legacy CreateDatabase (name only). */
  createDatabase(name: string): Promise<void> {
    return admin.createDatabase(this.#core, name);
  }

  /** Legacy CreateDatabaseWith (flat settings). */
  createDatabaseWith(settings: LegacyDatabaseSettings): Promise<void> {
    return admin.createDatabaseWith(this.#core, settings);
  }

  createDatabaseV2(name: string, settings?: DatabaseSettings, ifNotExists?: boolean): Promise<admin.CreateDatabaseResult> {
    return admin.createDatabaseV2(this.#core, name, settings, ifNotExists);
  }

  /** DatabaseList (V1): names only. */
  listDatabases(): Promise<string[]> {
    return admin.listDatabases(this.#core);
  }

  listDatabasesV2(): Promise<admin.DatabaseInfo[]> {
    return admin.listDatabasesV2(this.#core);
  }

  /** UpdateDatabaseV2: only the settings given change. */
  updateDatabase(name: string, settings: DatabaseSettings): Promise<admin.DatabaseSettingsResult> {
    return admin.updateDatabase(this.#core, name, settings);
  }

  /** GetDatabaseSettingsV2 of the selected database. */
  getDatabaseSettings(): Promise<admin.DatabaseSettingsResult> {
    return admin.getDatabaseSettings(this.#core);
  }

  loadDatabase(name: string): Promise<string> {
    return admin.loadDatabase(this.#core, name);
  }

  unloadDatabase(name: string): Promise<string> {
    return admin.unloadDatabase(this.#core, name);
  }

  deleteDatabase(name: string): Promise<string> {
    return admin.deleteDatabase(this.#core, name);
  }

  flushIndex(cleanupPercentage?: number, synced?: boolean): Promise<string> {
    return admin.flushIndex(this.#core, cleanupPercentage, synced);
  }

  compactIndex(): Promise<void> {
    return admin.compactIndex(this.#core);
  }

  /** Our ReplicationStatus RPC: every database the caller may see, or one. */
  replicationStatus(database?: string): Promise<admin.ReplicationStatusResult> {
    return admin.replicationStatus(this.#core, database);
  }
}
