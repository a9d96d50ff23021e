// The public surface of the TypeScript client, as the package exports it (`immudb-ts` -> this file).
// Internals (connection, decoding, verification steps) are reachable only through ImmuClient, except the
// pieces a tool or a failover layer composes on its own: the state stores and the error mapping.
export { ImmuClient, type ImmuClientOptions } from './immu-client.js';
export { normalizeEndpoint, type ClientTlsOptions } from './connection.js';
export { clusterIdOf } from './failover/failover-core.js';
export { readPreferences, type EndpointView, type NodeRole, type ReadPreference } from './failover/routing.js';
export { FileStateStore, MemoryStateStore, defaultStateDir, type StateStore } from './state-store.js';
export { errorCodeOf, toImmuError } from './grpc-errors.js';
export { exportTx, replicateTx, exportedTxBytesMax, type ExportedTxBytes, type StreamCallSite } from './replication-calls.js';
export * from './backup/index.js';
export { callTimeoutMsDefault, defaultDatabase, heartbeatIntervalMsDefault, immudbPortDefault } from './client-limits.js';
export type { SetOptions, RefOptions, ZAddOptions } from './kv-calls.js';
export type {
  CreateDatabaseResult,
  DatabaseInfo,
  DatabaseReplicationStatus,
  DatabaseSettingsResult,
  PermissionAction,
  ReplicationRoleName,
  ReplicationStateName,
  ReplicationStatusResult,
} from './admin-calls.js';
export type { DatabaseSettings, IndexSettings, LegacyDatabaseSettings, ReplicationSettings } from './settings.js';
export { Permission } from './types.js';
export type * from './types.js';
export { ImmuError, isImmuError, type ErrorCode } from '../common/errors.js';
