// The client the two tools use: a ClientCore over one Connection with a legacy token that can be
// restored from the token file. ImmuClient keeps its credentials private and offers no way to resume a
// saved token, so the tools provide their own ClientCore (the seam src/client exposes for this) and
// drive the same call modules (kv-calls, admin-calls, VerifiedCalls) through it. Sessions are not used:
// each tool invocation is one short process, as with immudb's tools. With several endpoints the calls go
// through the client's failover layer (src/client/failover/), which logs in on each node itself.
import type { KeyObject } from 'node:crypto';
import { ImmuError } from '../../common/errors.js';
import { loadPublicKey } from '../../proof/index.js';
import { callMetadata, noCredentials, type Credentials } from '../../client/auth.js';
import type { ClientCore } from '../../client/client-core.js';
import { Connection, type CallResult } from '../../client/connection.js';
import { FailoverCore } from '../../client/failover/failover-core.js';
import type { ReadPreference } from '../../client/failover/routing.js';
import type { ImmudbTsRpcs, ImmuRpcs } from '../../client/rpc-types.js';
import { FileStateStore } from '../../client/state-store.js';
import { VerifiedCalls } from '../../client/verified-calls.js';

export interface ToolClientOptions {
  readonly endpoint: string;
  /** More nodes of the same cluster (`-a host1:3322,host2:3322`): the client fails over among all of them. */
  readonly moreEndpoints?: readonly string[];
  /** With several endpoints: where reads go. */
  readonly readPreference?: ReadPreference;
  readonly timeoutMs: number;
  /** Trusted-state directory; the client library's default when absent. */
  readonly stateDir?: string;
  /** PEM public key the server signs its states with. */
  readonly serverSigningPublicKey?: string;
}

export class ToolClient implements ClientCore {
  readonly #connection: Connection;
  /** Failover mode (several endpoints) only. */
  readonly #cluster: FailoverCore | undefined;
  readonly verified: VerifiedCalls;
  #creds: Credentials = noCredentials;
  #serverUuid: string | undefined;

  constructor(options: ToolClientOptions) {
    this.#connection = new Connection({ endpoints: [options.endpoint], timeoutMs: options.timeoutMs });
    const more = options.moreEndpoints ?? [];
    this.#cluster =
      more.length === 0
        ? undefined
        : new FailoverCore({
            endpoints: [options.endpoint, ...more],
            timeoutMs: options.timeoutMs,
            ...(options.readPreference !== undefined ? { readPreference: options.readPreference } : {}),
          });
    const key: KeyObject | undefined = options.serverSigningPublicKey === undefined ? undefined : loadPublicKey(options.serverSigningPublicKey);
    this.verified = new VerifiedCalls(this, new FileStateStore(options.stateDir), key);
  }

  get endpoint(): string {
    return this.#cluster?.endpoint ?? this.#connection.endpoint;
  }

  /** True with several endpoints: credentials are per node, so there is no single token to save. */
  get isCluster(): boolean {
    return this.#cluster !== undefined;
  }

  get serverUuid(): string | undefined {
    return this.#cluster?.serverUuid ?? this.#serverUuid;
  }

  get token(): string | undefined {
    return this.#creds.kind === 'token' ? this.#creds.token : undefined;
  }

  get database(): string | undefined {
    if (this.#cluster !== undefined) return this.#cluster.database;
    return this.#creds.kind === 'none' ? undefined : this.#creds.database;
  }

  async #note<R>(pending: Promise<CallResult<R>>): Promise<CallResult<R>> {
    const result = await pending;
    if (result.serverUuid !== undefined) this.#serverUuid = result.serverUuid;
    return result;
  }

  call<M extends keyof ImmuRpcs & string>(method: M, request: ImmuRpcs[M]['request']): Promise<CallResult<ImmuRpcs[M]['response']>> {
    if (this.#cluster !== undefined) return this.#cluster.call(method, request);
    return this.#note(this.#connection.immu(method, request, callMetadata(this.#creds)));
  }

  callTs<M extends keyof ImmudbTsRpcs & string>(method: M, request: ImmudbTsRpcs[M]['request']): Promise<CallResult<ImmudbTsRpcs[M]['response']>> {
    if (this.#cluster !== undefined) return this.#cluster.callTs(method, request);
    return this.#note(this.#connection.immudbTs(method, request, callMetadata(this.#creds)));
  }

  requireDatabase(): string {
    const db = this.database;
    if (db === undefined) throw new ImmuError('NO_DATABASE_SELECTED', 'no database is selected: run `use <database>` or pass --database');
    return db;
  }

  /** Continues with a token from the token file. */
  resume(token: string, database: string | undefined): void {
    this.#creds = { kind: 'token', token, database };
  }

  /** Login; returns the server's warning (empty when none). */
  async login(user: string, password: string): Promise<string> {
    if (this.#cluster !== undefined) return (await this.#cluster.login(user, password)).warning;
    this.#creds = noCredentials;
    const { response } = await this.call('Login', { user: Buffer.from(user), password: Buffer.from(password) });
    this.#creds = { kind: 'token', token: response.token, database: undefined };
    return response.warning.toString('utf8');
  }

  async useDatabase(name: string): Promise<void> {
    if (this.#cluster !== undefined) return this.#cluster.useDatabase(name);
    const database = name.toLowerCase();
    const { response } = await this.call('UseDatabase', { databaseName: database });
    this.#creds = { kind: 'token', token: response.token, database };
  }

  async logout(): Promise<void> {
    if (this.#cluster !== undefined) return this.#cluster.logout();
    await this.call('Logout', {});
    this.#creds = noCredentials;
  }

  close(): void {
    this.#connection.close();
    this.#cluster?.close();
  }
}
