// The client's failover layer: a ClientCore over several endpoints. It keeps one channel and one set of
// credentials per node (tokens and sessions are per node; the user must exist on every node), learns
// each node's role for the selected database from ReplicationStatus, and runs every call through the
// decisions of routing.ts: writes to the live primary, reads where the read preference allows, retries
// on the next endpoint with bounded jittered backoff, re-probes roles after NOT_PRIMARY-like failures,
// and reports a write whose outcome is unknown as WRITE_OUTCOME_UNKNOWN instead of sending it again.
// Verified calls see one server identity, the lineage id (`cluster:<id>`), so their trusted state is
// kept per database lineage and every node's proofs are checked against it (verified-calls.ts).
// It does not decide anything itself: every choice is a call into routing.ts.
import { createHash } from 'node:crypto';
import { Metadata } from '@grpc/grpc-js';
import { ImmuError, isImmuError } from '../../common/errors.js';
import { replicationStatus } from '../admin-calls.js';
import { callMetadata, noCredentials, selectedDatabase, type Credentials } from '../auth.js';
import type { ClientCore } from '../client-core.js';
import { defaultDatabase } from '../client-limits.js';
import { Connection, normalizeEndpoint, type CallResult, type ClientTlsOptions } from '../connection.js';
import type { ImmudbTsRpcs, ImmuRpcs } from '../rpc-types.js';
import {
  connectTimeoutMsMax,
  endpointPenaltyMs,
  failoverAttemptsMax,
  roleMapTtlMs,
  roleProbeTimeoutMs,
} from './failover-limits.js';
import { describeViews, viewFromStatus } from './role-view.js';
import { afterFailure, backoffDelayMs, candidateOrder, rpcKind, unknownView, type EndpointView, type ReadPreference, type RpcKind } from './routing.js';

/** What the failover layer needs of one node's channel (Connection provides it; tests fake it). */
export interface NodeTransport {
  waitForReady(timeoutMs: number): Promise<void>;
  immu<M extends keyof ImmuRpcs & string>(method: M, request: ImmuRpcs[M]['request'], metadata: Metadata, callTimeoutMs?: number): Promise<CallResult<ImmuRpcs[M]['response']>>;
  immudbTs<M extends keyof ImmudbTsRpcs & string>(
    method: M,
    request: ImmudbTsRpcs[M]['request'],
    metadata: Metadata,
    callTimeoutMs?: number,
  ): Promise<CallResult<ImmudbTsRpcs[M]['response']>>;
  close(): void;
}

export type TransportFactory = (endpoint: string) => NodeTransport;

export interface FailoverCoreOptions {
  readonly endpoints: readonly string[];
  readonly timeoutMs: number;
  readonly tls?: ClientTlsOptions;
  readonly readPreference?: ReadPreference;
  /** Names the database lineage the trusted states belong to; default: derived from the endpoint set. */
  readonly clusterId?: string;
  /** Test seams: the channel per endpoint, the random draw of the jitter, the clock, the sleep. */
  readonly transport?: TransportFactory;
  readonly random?: () => number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

type AuthPlan =
  | { readonly kind: 'none' }
  | { readonly kind: 'token' | 'session'; readonly user: string; readonly password: string };

/** Why one attempt failed, and whether the request had left the client. */
class AttemptError extends Error {
  constructor(
    readonly error: ImmuError,
    readonly sent: boolean,
  ) {
    super(error.message);
  }
}

function asImmuError(err: unknown): ImmuError {
  return err instanceof ImmuError ? err : new ImmuError('INTERNAL', err instanceof Error ? err.message : String(err));
}

/** A stable lineage id for an endpoint set: the same list in any order names the same cluster. */
export function clusterIdOf(endpoints: readonly string[]): string {
  const sorted = [...new Set(endpoints.map(normalizeEndpoint))].sort();
  return createHash('sha256').update(sorted.join(',')).digest('hex').slice(0, 16);
}

const sleepMs = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class FailoverCore implements ClientCore {
  readonly #endpoints: readonly string[];
  readonly #timeoutMs: number;
  readonly #preference: ReadPreference;
  readonly #lineage: string;
  readonly #transports = new Map<string, NodeTransport>();
  readonly #makeTransport: TransportFactory;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #creds = new Map<string, Credentials>();
  readonly #authInFlight = new Map<string, Promise<Credentials>>();
  #views: EndpointView[];
  #probedDb: string | undefined;
  #probedAtMs: number | undefined;
  #probing: Promise<void> | undefined;
  #auth: AuthPlan = { kind: 'none' };
  #database: string | undefined;
  #lastEndpoint: string;
  #lastServerUuid: string | undefined;
  #closed = false;

  constructor(options: FailoverCoreOptions) {
    if (options.endpoints.length === 0) throw new ImmuError('INVALID_ARGUMENT', 'the client needs at least one endpoint');
    this.#endpoints = [...new Set(options.endpoints.map(normalizeEndpoint))];
    this.#timeoutMs = options.timeoutMs;
    this.#preference = options.readPreference ?? 'primary';
    this.#lineage = `cluster:${options.clusterId ?? clusterIdOf(this.#endpoints)}`;
    const tls = options.tls;
    this.#makeTransport =
      options.transport ?? ((endpoint) => new Connection({ endpoints: [endpoint], timeoutMs: options.timeoutMs, ...(tls !== undefined ? { tls } : {}) }));
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? sleepMs;
    this.#views = this.#endpoints.map(unknownView);
    this.#lastEndpoint = this.#endpoints[0] as string;
  }

  // ---- ClientCore ------------------------------------------------------------------------------

  call<M extends keyof ImmuRpcs & string>(method: M, request: ImmuRpcs[M]['request']): Promise<CallResult<ImmuRpcs[M]['response']>> {
    return this.#run(method, (t, md) => t.immu(method, request, md));
  }

  callTs<M extends keyof ImmudbTsRpcs & string>(method: M, request: ImmudbTsRpcs[M]['request']): Promise<CallResult<ImmudbTsRpcs[M]['response']>> {
    return this.#run(method, (t, md) => t.immudbTs(method, request, md));
  }

  requireDatabase(): string {
    if (this.#database === undefined) throw new ImmuError('NO_DATABASE_SELECTED', 'no database is selected: open a session or call useDatabase');
    return this.#database;
  }

  /** The lineage id: every node of the cluster answers as this one identity for trusted-state purposes. */
  get serverUuid(): string {
    return this.#lineage;
  }

  /** The endpoint that answered last (the first one before any call). */
  get endpoint(): string {
    return this.#lastEndpoint;
  }

  // ---- what callers may inspect ----------------------------------------------------------------

  get endpoints(): readonly string[] {
    return this.#endpoints;
  }

  get readPreference(): ReadPreference {
    return this.#preference;
  }

  /** The real server UUID (`immudb-uuid` header) of the node that answered last. */
  get lastServerUuid(): string | undefined {
    return this.#lastServerUuid;
  }

  get database(): string | undefined {
    return this.#database;
  }

  get authKind(): Credentials['kind'] {
    return this.#auth.kind;
  }

  /** Probes every endpoint now and returns what each is for the selected database. */
  async roles(): Promise<readonly EndpointView[]> {
    this.requireDatabase();
    await this.#probe(true);
    return this.#views;
  }

  // ---- authentication, per node -----------------------------------------------------------------

  /** Token login: validated on the first reachable endpoint, repeated lazily on each other node. */
  async login(user: string, password: string): Promise<{ warning: string }> {
    this.#resetAuth({ kind: 'token', user, password }, undefined);
    const warning = await this.#onFirstReachable(async (endpoint) => {
      const { response } = await this.#transport(endpoint).immu('Login', { user: Buffer.from(user), password: Buffer.from(password) }, new Metadata());
      this.#creds.set(endpoint, { kind: 'token', token: response.token, database: undefined });
      return response.warning.toString('utf8');
    });
    return { warning };
  }

  /** Sessions: one per node, opened lazily; the first reachable node's is opened (and checked) now. */
  async openSession(user: string, password: string, database: string = defaultDatabase): Promise<{ sessionId: string; database: string }> {
    const db = database.toLowerCase();
    this.#resetAuth({ kind: 'session', user, password }, db);
    const sessionId = await this.#onFirstReachable(async (endpoint) => {
      const creds = await this.#authenticate(endpoint);
      return creds.kind === 'session' ? creds.sessionId : '';
    });
    return { sessionId, database: db };
  }

  /** Selects a database on every node (lazily; checked now on the first reachable one). */
  async useDatabase(name: string): Promise<void> {
    if (this.#auth.kind === 'none') throw new ImmuError('UNAUTHENTICATED', 'log in or open a session first');
    this.#database = name.toLowerCase();
    this.#probedAtMs = undefined;
    await this.#onFirstReachable((endpoint) => this.#authenticate(endpoint));
  }

  /** KeepAlive on every node that holds a session; a node that fails it reopens one when next used. */
  async keepAlive(): Promise<void> {
    if (this.#auth.kind !== 'session') throw new ImmuError('UNAUTHENTICATED', 'no open session');
    const held = [...this.#creds.entries()];
    await Promise.all(
      held.map(async ([endpoint, creds]) => {
        try {
          await this.#transport(endpoint).immu('KeepAlive', {}, callMetadata(creds), roleProbeTimeoutMs);
        } catch {
          this.#creds.delete(endpoint);
        }
      }),
    );
  }

  /** Closes every node's session (best effort) and forgets the credentials. */
  async closeSession(): Promise<void> {
    if (this.#auth.kind !== 'session') throw new ImmuError('UNAUTHENTICATED', 'no open session');
    await this.#signOff('CloseSession');
  }

  async logout(): Promise<void> {
    if (this.#auth.kind !== 'token') throw new ImmuError('UNAUTHENTICATED', 'not logged in with a token');
    await this.#signOff('Logout');
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#transports.values()) t.close();
  }

  async #signOff(method: 'CloseSession' | 'Logout'): Promise<void> {
    const held = [...this.#creds.entries()];
    this.#resetAuth({ kind: 'none' }, undefined);
    await Promise.all(held.map(([e, c]) => this.#transport(e).immu(method, {}, callMetadata(c), roleProbeTimeoutMs).catch(() => undefined)));
  }

  #resetAuth(plan: AuthPlan, database: string | undefined): void {
    this.#auth = plan;
    this.#database = database;
    this.#creds.clear();
    this.#authInFlight.clear();
    this.#probedAtMs = undefined;
  }

  /** Runs `fn` on the endpoints in order until one is reachable; a server's own refusal stops at once. */
  async #onFirstReachable<T>(fn: (endpoint: string) => Promise<T>): Promise<T> {
    let last: ImmuError | undefined;
    for (const endpoint of this.#endpoints) {
      try {
        await this.#transport(endpoint).waitForReady(Math.min(connectTimeoutMsMax, this.#timeoutMs));
        return await fn(endpoint);
      } catch (err) {
        const e = asImmuError(err);
        if (e.code !== 'NODE_UNAVAILABLE' && e.code !== 'TIMEOUT') throw e;
        last = e;
      }
    }
    throw new ImmuError('NODE_UNAVAILABLE', `no endpoint is reachable (${this.#endpoints.join(', ')}): ${last?.message ?? ''}`, { endpoints: this.#endpoints });
  }

  /** This node's credentials for the selected database, logging in / opening a session when needed. */
  async #authenticate(endpoint: string, callTimeoutMs?: number): Promise<Credentials> {
    const plan = this.#auth;
    if (plan.kind === 'none') return noCredentials;
    const have = this.#creds.get(endpoint);
    if (have !== undefined && selectedDatabase(have) === this.#database) return have;
    const pending = this.#authInFlight.get(endpoint);
    if (pending !== undefined) return pending;
    const run = this.#signIn(endpoint, plan, have, callTimeoutMs).finally(() => this.#authInFlight.delete(endpoint));
    this.#authInFlight.set(endpoint, run);
    return run;
  }

  /** Signs in on one node; credentials the node no longer knows (restart, expiry) are replaced by a fresh login. */
  async #signIn(endpoint: string, plan: Exclude<AuthPlan, { kind: 'none' }>, have: Credentials | undefined, callTimeoutMs: number | undefined): Promise<Credentials> {
    try {
      return await this.#signInOnce(endpoint, plan, have, callTimeoutMs);
    } catch (err) {
      if (have === undefined || !isImmuError(err, 'UNAUTHENTICATED')) throw err;
      this.#creds.delete(endpoint);
      return this.#signInOnce(endpoint, plan, undefined, callTimeoutMs);
    }
  }

  async #signInOnce(endpoint: string, plan: Exclude<AuthPlan, { kind: 'none' }>, have: Credentials | undefined, callTimeoutMs: number | undefined): Promise<Credentials> {
    const t = this.#transport(endpoint);
    const db = this.#database;
    let creds: Credentials;
    if (plan.kind === 'session') {
      if (have?.kind === 'session' && db !== undefined) {
        await t.immu('UseDatabase', { databaseName: db }, callMetadata(have), callTimeoutMs);
        creds = { ...have, database: db };
      } else {
        const { response } = await t.immu(
          'OpenSession',
          { username: Buffer.from(plan.user), password: Buffer.from(plan.password), databaseName: db ?? defaultDatabase },
          new Metadata(),
          callTimeoutMs,
        );
        creds = { kind: 'session', sessionId: response.sessionID, database: db ?? defaultDatabase };
      }
    } else {
      if (have?.kind === 'token') {
        creds = have;
      } else {
        const { response } = await t.immu('Login', { user: Buffer.from(plan.user), password: Buffer.from(plan.password) }, new Metadata(), callTimeoutMs);
        creds = { kind: 'token', token: response.token, database: undefined };
      }
      if (db !== undefined) {
        const used = await t.immu('UseDatabase', { databaseName: db }, callMetadata(creds), callTimeoutMs);
        creds = { kind: 'token', token: used.response.token, database: db };
      }
    }
    if (this.#auth === plan) this.#creds.set(endpoint, creds);
    return creds;
  }

  // ---- roles ----------------------------------------------------------------------------------

  #transport(endpoint: string): NodeTransport {
    if (this.#closed) throw new ImmuError('STORE_CLOSED', 'the client is closed');
    let t = this.#transports.get(endpoint);
    if (t === undefined) {
      t = this.#makeTransport(endpoint);
      this.#transports.set(endpoint, t);
    }
    return t;
  }

  #viewOf(endpoint: string): EndpointView {
    return this.#views.find((v) => v.endpoint === endpoint) ?? unknownView(endpoint);
  }

  #rolesStale(): boolean {
    if (this.#database === undefined) return false;
    return this.#probedDb !== this.#database || this.#probedAtMs === undefined || this.#now() - this.#probedAtMs > roleMapTtlMs;
  }

  /** One probe at a time; callers arriving meanwhile share it. */
  #probe(force = false): Promise<void> {
    if (!force && !this.#rolesStale()) return Promise.resolve();
    if (this.#probing === undefined) {
      this.#probing = this.#probeAll().finally(() => (this.#probing = undefined));
    }
    return this.#probing;
  }

  async #probeAll(): Promise<void> {
    const db = this.#database;
    if (db === undefined) return;
    const views = await Promise.all(this.#endpoints.map((e) => this.#probeOne(e, db)));
    if (this.#database !== db) return;
    this.#views = views;
    this.#probedDb = db;
    this.#probedAtMs = this.#now();
  }

  async #probeOne(endpoint: string, db: string): Promise<EndpointView> {
    const previous = this.#viewOf(endpoint);
    try {
      const t = this.#transport(endpoint);
      await t.waitForReady(roleProbeTimeoutMs);
      const creds = await this.#authenticate(endpoint, roleProbeTimeoutMs);
      const site: ClientCore = {
        call: () => Promise.reject(new ImmuError('INTERNAL', 'not used by a role probe')),
        callTs: (method, request) => t.immudbTs(method, request, callMetadata(creds), roleProbeTimeoutMs),
        requireDatabase: () => db,
        serverUuid: undefined,
        endpoint,
      };
      const status = await replicationStatus(site, db);
      return viewFromStatus(endpoint, db, status.databases, previous.penaltyUntilMs);
    } catch (err) {
      // An immudb server has no ReplicationStatus: reachable, role unknown (writes find out by trying).
      if (isImmuError(err, 'UNIMPLEMENTED')) return { ...unknownView(endpoint), penaltyUntilMs: previous.penaltyUntilMs };
      return { ...unknownView(endpoint), penaltyUntilMs: this.#now() + endpointPenaltyMs };
    }
  }

  #penalize(endpoint: string): void {
    const until = this.#now() + endpointPenaltyMs;
    this.#views = this.#views.map((v) => (v.endpoint === endpoint ? { ...v, penaltyUntilMs: until } : v));
  }

  // ---- the call loop ----------------------------------------------------------------------------

  async #attempt<R>(endpoint: string, send: (t: NodeTransport, md: Metadata) => Promise<CallResult<R>>): Promise<CallResult<R>> {
    let t: NodeTransport;
    let creds: Credentials;
    try {
      t = this.#transport(endpoint);
      await t.waitForReady(Math.min(connectTimeoutMsMax, this.#timeoutMs));
      creds = await this.#authenticate(endpoint);
    } catch (err) {
      throw new AttemptError(asImmuError(err), false);
    }
    try {
      return await send(t, callMetadata(creds));
    } catch (err) {
      throw new AttemptError(asImmuError(err), true);
    }
  }

  #pick(order: readonly string[], tried: ReadonlySet<string>): string | undefined {
    return order.find((e) => !tried.has(e)) ?? order[0];
  }

  async #run<R>(method: string, send: (t: NodeTransport, md: Metadata) => Promise<CallResult<R>>): Promise<CallResult<R>> {
    if (this.#closed) throw new ImmuError('STORE_CLOSED', 'the client is closed', { rpc: method });
    const kind = rpcKind(method);
    await this.#probe();
    const tried = new Set<string>();
    let last: ImmuError | undefined;
    for (let attempt = 1; attempt <= failoverAttemptsMax; attempt++) {
      const endpoint = this.#pick(this.#candidates(kind), tried);
      if (endpoint === undefined) {
        last = this.#noPrimary(method);
      } else {
        tried.add(endpoint);
        try {
          const result = await this.#attempt(endpoint, send);
          this.#lastEndpoint = result.endpoint;
          if (result.serverUuid !== undefined) this.#lastServerUuid = result.serverUuid;
          return { ...result, serverUuid: this.#lineage };
        } catch (err) {
          if (!(err instanceof AttemptError)) throw err;
          last = this.#onFailure(kind, method, endpoint, err);
        }
      }
      if (attempt === failoverAttemptsMax) break;
      await this.#sleep(backoffDelayMs(attempt, this.#random()));
      if (this.#reprobeWanted) await this.#probe(true);
      this.#reprobeWanted = false;
    }
    const final = last ?? this.#noPrimary(method);
    throw new ImmuError(final.code, `${final.message} (gave up after ${failoverAttemptsMax} attempts; roles: ${describeViews(this.#views)})`, {
      ...(final.details ?? {}),
      rpc: method,
      attempts: failoverAttemptsMax,
    });
  }

  #reprobeWanted = false;

  #candidates(kind: RpcKind): string[] {
    const order = candidateOrder(this.#views, kind, this.#preference, this.#now());
    // Before any database is selected, node calls simply go to the endpoints in the caller's order.
    return order.length === 0 && kind === 'node' ? [...this.#endpoints] : order;
  }

  /** Applies routing's decision to one failure; returns the error to report if the loop ends here. */
  #onFailure(kind: RpcKind, method: string, endpoint: string, failure: AttemptError): ImmuError {
    const { error, sent } = failure;
    const decision = afterFailure({ kind, code: error.code, sent, role: this.#viewOf(endpoint).role });
    if (decision.kind === 'fail') throw error;
    if (decision.kind === 'outcome-unknown') {
      this.#reprobeWanted = true;
      this.#probedAtMs = undefined;
      throw new ImmuError(
        'WRITE_OUTCOME_UNKNOWN',
        `${method} was sent to ${endpoint} and then failed (${error.code}: ${error.message}); it may or may not have been committed, and it was not sent again`,
        { rpc: method, endpoint, cause: error.code, ...(error.details?.['grpcStatus'] !== undefined ? { grpcStatus: error.details['grpcStatus'] } : {}) },
      );
    }
    if (decision.penalize) this.#penalize(endpoint);
    if (decision.reauth) this.#creds.delete(endpoint);
    if (decision.reprobe) this.#reprobeWanted = true;
    return error;
  }

  #noPrimary(method: string): ImmuError {
    this.#reprobeWanted = true;
    return new ImmuError('NODE_UNAVAILABLE', `no live primary for database ${this.#database ?? '(none)'} among ${this.#endpoints.join(', ')}`, {
      rpc: method,
      roles: describeViews(this.#views),
    });
  }
}
