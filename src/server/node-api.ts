// The seam between the gRPC handlers (src/api) and the node (src/server/immu-node.ts): every control
// and data-plane entry point a handler needs, in plain TypeScript types. Handlers decode protos, call
// this, and encode the result; the node owns auth, permissions, the database registry and systemdb.
import type { Database } from '../database/database.js';
import type { KvMetadata } from '../proof/metadata.js';
import type { DatabaseSettings, DatabaseSettingsUpdate } from './settings.js';
import type { Principal } from './permissions.js';
import type { ErrorCode } from '../common/errors.js';
import type { TxHeader } from '../proof/tx-header.js';
import type { ExportAnswer, ExportRequest } from '../../replication/primary/primary-driver.js';

/** How a call authenticated, read from gRPC metadata by src/api/metadata.ts. */
export type CallAuth =
  | { readonly kind: 'session'; readonly sessionId: string; readonly peer: string }
  | { readonly kind: 'token'; readonly token: string; readonly peer: string }
  | { readonly kind: 'none'; readonly peer: string };

/** The result of authorizing one call for one RPC method (the proto method name, e.g. `VerifiableGet`). */
export interface CallContext {
  readonly caller: Principal | undefined;
  /** The selected database, when the method works on one. */
  readonly database: Database | undefined;
  readonly databaseName: string | undefined;
}

export interface StateSignature {
  /** Uncompressed SEC1 P-256 point, 65 bytes. */
  readonly publicKey: Buffer;
  /** ASN.1 DER ECDSA signature. */
  readonly signature: Buffer;
}

export interface UserInfo {
  readonly username: string;
  readonly permissions: readonly { readonly permission: number; readonly database: string }[];
  readonly createdBy: string;
  /** immudb sends a formatted time string. */
  readonly createdAt: string;
  readonly active: boolean;
}

export interface DatabaseInfo {
  readonly name: string;
  readonly settings: DatabaseSettings;
  readonly loaded: boolean;
  readonly diskSizeBytes: number;
  readonly numTransactions: number;
  readonly createdAtMs: number | undefined;
  readonly createdBy: string;
}

export interface ServerInfo {
  readonly version: string;
  readonly startedAtMs: number;
  readonly numTransactions: number;
  readonly numDatabases: number;
  readonly databasesDiskSizeBytes: number;
}

export type PermissionAction = 'grant' | 'revoke';

export interface NodeApi {
  readonly serverUuid: string;
  readonly version: string;

  // --- auth -----------------------------------------------------------------------------------
  login(user: string, password: Buffer, peer: string): Promise<{ readonly token: string; readonly warning: string }>;
  logout(auth: CallAuth): Promise<void>;
  openSession(user: string, password: Buffer, database: string, peer: string): Promise<{ readonly sessionId: string; readonly serverUuid: string }>;
  keepAlive(auth: CallAuth): Promise<void>;
  closeSession(auth: CallAuth): Promise<void>;
  /**
   * Authenticates the call and checks the caller may run `method`; resolves the selected database for
   * data-plane methods. Throws UNAUTHENTICATED / PERMISSION_DENIED / NO_DATABASE_SELECTED /
   * DATABASE_NOT_LOADED / REPLICA_READ_ONLY (for writes to a replica) as ImmuErrors.
   */
  authorize(method: string, auth: CallAuth): Promise<CallContext>;
  useDatabase(auth: CallAuth, name: string): Promise<{ readonly token: string }>;

  // --- users ----------------------------------------------------------------------------------
  listUsers(ctx: CallContext): Promise<UserInfo[]>;
  createUser(ctx: CallContext, req: { readonly user: string; readonly password: Buffer; readonly permission: number; readonly database: string }): Promise<void>;
  changePassword(ctx: CallContext, req: { readonly user: string; readonly oldPassword: Buffer; readonly newPassword: Buffer }): Promise<void>;
  changePermission(ctx: CallContext, req: { readonly action: PermissionAction; readonly username: string; readonly database: string; readonly permission: number }): Promise<void>;
  setActiveUser(ctx: CallContext, req: { readonly username: string; readonly active: boolean }): Promise<void>;

  // --- databases ------------------------------------------------------------------------------
  createDatabase(ctx: CallContext, req: { readonly name: string; readonly settings: DatabaseSettingsUpdate; readonly ifNotExists: boolean }): Promise<{ readonly name: string; readonly settings: DatabaseSettings; readonly alreadyExisted: boolean }>;
  updateDatabase(ctx: CallContext, req: { readonly name: string; readonly settings: DatabaseSettingsUpdate }): Promise<{ readonly name: string; readonly settings: DatabaseSettings }>;
  listDatabases(ctx: CallContext): Promise<DatabaseInfo[]>;
  loadDatabase(ctx: CallContext, name: string): Promise<void>;
  unloadDatabase(ctx: CallContext, name: string): Promise<void>;
  deleteDatabase(ctx: CallContext, name: string): Promise<void>;
  databaseSettings(ctx: CallContext): Promise<{ readonly name: string; readonly settings: DatabaseSettings }>;

  // --- state and info -------------------------------------------------------------------------
  /** Signs (db, txId, alh) with the server's signing key; undefined when none is configured. */
  signState(db: string, txId: number, alh: Buffer): StateSignature | undefined;
  serverInfo(): Promise<ServerInfo>;
  /** Tx metadata `extra` to attach to writes of this call, when request-metadata logging is on. */
  txExtraFor(ctx: CallContext): Buffer | undefined;
}

export type { KvMetadata };

/** One database's replication status as the ImmudbTs ReplicationStatus RPC reports it. */
export interface ReplicationStatusView {
  readonly database: string;
  readonly role: 'primary' | 'replica' | 'passiveReplica';
  readonly state: 'notRunning' | 'connecting' | 'running' | 'halted';
  readonly primaryHost: string;
  readonly primaryPort: number;
  readonly primaryDatabase: string;
  readonly epoch: number;
  readonly committedTxId: number;
  readonly precommittedTxId: number;
  readonly primaryCommittedTxId: number;
  readonly lagTxs: number;
  readonly lagMs: number;
  readonly syncReplication: boolean;
  readonly syncAcks: number;
  readonly halt?: { readonly code: ErrorCode; readonly reason: string; readonly atMs: number };
  /** A running, non-halted replica whose own files verified at start: a failover may promote it. */
  readonly promotable: boolean;
}

/**
 * What a node running replication offers the handlers (replication-handlers.ts): the export RPCs, the
 * external replicateTx of passive replicas, and the status RPC. Optional: test nodes without it answer
 * UNIMPLEMENTED.
 */
export interface ReplicationNodeApi {
  exportTx(ctx: CallContext, req: ExportRequest): Promise<ExportAnswer>;
  replicateTx(ctx: CallContext, exported: Buffer): Promise<TxHeader>;
  replicationStatus(ctx: CallContext, database: string): Promise<readonly ReplicationStatusView[]>;
}

export function hasReplication(node: NodeApi): node is NodeApi & ReplicationNodeApi {
  const n = node as Partial<ReplicationNodeApi>;
  return typeof n.exportTx === 'function' && typeof n.replicateTx === 'function' && typeof n.replicationStatus === 'function';
}
