// The seam between ImmuClient (which owns the connection, the credentials and the selected database) and
// the call modules (kv-calls, admin-calls, verified-calls), which only need to issue an authenticated
// call and know the database. A failover layer can provide another ClientCore without touching them.
import type { CallResult } from './connection.js';
import type { ImmudbTsRpcs, ImmuRpcs } from './rpc-types.js';

export interface ClientCore {
  /** A unary ImmuService call with the current credentials. */
  call<M extends keyof ImmuRpcs & string>(method: M, request: ImmuRpcs[M]['request']): Promise<CallResult<ImmuRpcs[M]['response']>>;
  /** A unary call of our ImmudbTs service with the current credentials. */
  callTs<M extends keyof ImmudbTsRpcs & string>(method: M, request: ImmudbTsRpcs[M]['request']): Promise<CallResult<ImmudbTsRpcs[M]['response']>>;
  /** The selected database; NO_DATABASE_SELECTED when there is none. */
  requireDatabase(): string;
  /** The server UUID last seen (a reply header or OpenSession), if any. */
  readonly serverUuid: string | undefined;
  /** The endpoint calls go to now. */
  readonly endpoint: string;
}
