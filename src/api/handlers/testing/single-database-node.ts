// TEST DOUBLE ONLY, never used by the server: a NodeApi that serves one already-open Database to every
// caller, without users, permissions or token checks. It lets the handler tests drive real Database and
// store code over real gRPC before the real node (src/server/immu-node.ts) exists. Login and UseDatabase
// hand out fixed non-empty tokens; signState signs with an optional P-256 key; control-plane methods
// the tests do not need throw UNIMPLEMENTED. It records each authorize() call for assertions.
import type { KeyObject } from 'node:crypto';
import { ImmuError } from '../../../common/errors.js';
import type { Database } from '../../../database/database.js';
import { signState } from '../../../proof/state-signature.js';
import type { CallAuth, CallContext, NodeApi, ServerInfo, StateSignature } from '../../../server/node-api.js';

export interface SingleDatabaseNodeOptions {
  readonly database: Database;
  readonly serverUuid?: string;
  readonly signingKey?: KeyObject;
  /** Tx extra attached to writes (request-metadata logging), to check it reaches the Database. */
  readonly txExtra?: Buffer;
}

function notInDouble(what: string): never {
  throw new ImmuError('UNIMPLEMENTED', `${what} is not part of the single-database test double`);
}

export class SingleDatabaseNodeDouble implements NodeApi {
  readonly serverUuid: string;
  readonly version = 'immudb-ts-test';
  readonly authorized: { readonly method: string; readonly auth: CallAuth }[] = [];
  readonly #opts: SingleDatabaseNodeOptions;

  constructor(opts: SingleDatabaseNodeOptions) {
    this.#opts = opts;
    this.serverUuid = opts.serverUuid ?? 'cn3test0uuid0000000000';
  }

  async authorize(method: string, auth: CallAuth): Promise<CallContext> {
    this.authorized.push({ method, auth });
    return { caller: undefined, database: this.#opts.database, databaseName: this.#opts.database.name };
  }

  async login(): Promise<{ token: string; warning: string }> {
    return { token: 'test-login-token', warning: '' };
  }

  async useDatabase(): Promise<{ token: string }> {
    return { token: `test-db-token-${this.#opts.database.name}` };
  }

  async logout(): Promise<void> {}
  async keepAlive(): Promise<void> {}
  async closeSession(): Promise<void> {}

  signState(db: string, txId: number, alh: Buffer): StateSignature | undefined {
    const key = this.#opts.signingKey;
    return key === undefined ? undefined : signState(key, db, txId, alh);
  }

  txExtraFor(): Buffer | undefined {
    return this.#opts.txExtra;
  }

  async serverInfo(): Promise<ServerInfo> {
    return { version: this.version, startedAtMs: 1_700_000_000_000, numTransactions: 0, numDatabases: 1, databasesDiskSizeBytes: 0 };
  }

  async openSession(): Promise<never> { return notInDouble('OpenSession'); }
  async listUsers(): Promise<never> { return notInDouble('ListUsers'); }
  async createUser(): Promise<never> { return notInDouble('CreateUser'); }
  async changePassword(): Promise<never> { return notInDouble('ChangePassword'); }
  async changePermission(): Promise<never> { return notInDouble('ChangePermission'); }
  async setActiveUser(): Promise<never> { return notInDouble('SetActiveUser'); }
  async createDatabase(): Promise<never> { return notInDouble('CreateDatabase'); }
  async updateDatabase(): Promise<never> { return notInDouble('UpdateDatabase'); }
  async listDatabases(): Promise<never> { return notInDouble('DatabaseList'); }
  async loadDatabase(): Promise<never> { return notInDouble('LoadDatabase'); }
  async unloadDatabase(): Promise<never> { return notInDouble('UnloadDatabase'); }
  async deleteDatabase(): Promise<never> { return notInDouble('DeleteDatabase'); }
  async databaseSettings(): Promise<never> { return notInDouble('GetDatabaseSettings'); }
}
