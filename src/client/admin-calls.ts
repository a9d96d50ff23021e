// The administrative calls: users and permissions, the database lifecycle (legacy, With and V2 forms),
// settings, index maintenance, and our ReplicationStatus (immudbts.proto). Plain inputs and outputs;
// what the caller may do is the server's decision.
import { toUint } from '../api/convert.js';
import { ReplicationRole, ReplicationState } from '../api/proto-types.js';
import type * as P from '../api/proto-types.js';
import type { ClientCore } from './client-core.js';
import { legacySettingsToInit, settingsFromMsg, settingsToInit, type DatabaseSettings, type LegacyDatabaseSettings } from './settings.js';
import type { User } from './types.js';

export interface DatabaseInfo {
  readonly name: string;
  readonly settings: DatabaseSettings;
  readonly loaded: boolean;
  readonly diskSize: number;
  readonly numTransactions: number;
  /** Unix seconds; 0 when the server does not say. */
  readonly createdAt: number;
  readonly createdBy: string;
}

export interface DatabaseSettingsResult {
  readonly database: string;
  readonly settings: DatabaseSettings;
}

export interface CreateDatabaseResult {
  readonly name: string;
  readonly settings: DatabaseSettings;
  readonly alreadyExisted: boolean;
}

export type ReplicationRoleName = 'unspecified' | 'primary' | 'replica' | 'passiveReplica';
export type ReplicationStateName = 'unspecified' | 'notRunning' | 'connecting' | 'running' | 'halted';

export interface DatabaseReplicationStatus {
  readonly database: string;
  readonly role: ReplicationRoleName;
  readonly state: ReplicationStateName;
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
  /** An ERROR_CATALOG code when halted; empty otherwise. */
  readonly haltCode: string;
  readonly haltReason: string;
  readonly haltedAtMs: number;
  /**
   * The node's own verdict: a running (connecting or streaming), non-halted replica whose files
   * verified at start. Only such a replica may be promoted by a failover. False from older servers.
   */
  readonly promotable: boolean;
}

export interface ReplicationStatusResult {
  readonly serverUuid: string;
  readonly databases: readonly DatabaseReplicationStatus[];
}

export type PermissionAction = 'grant' | 'revoke';

export async function createUser(core: ClientCore, user: string, password: string, permission: number, database: string): Promise<void> {
  await core.call('CreateUser', { user: Buffer.from(user), password: Buffer.from(password), permission, database });
}

export async function listUsers(core: ClientCore): Promise<User[]> {
  const { response } = await core.call('ListUsers', {});
  return response.users.map((u) => ({
    user: u.user.toString('utf8'),
    permissions: u.permissions.map((p) => ({ database: p.database, permission: p.permission })),
    createdBy: u.createdby,
    createdAt: u.createdat,
    active: u.active,
  }));
}

export async function changePassword(core: ClientCore, user: string, oldPassword: string, newPassword: string): Promise<void> {
  await core.call('ChangePassword', { user: Buffer.from(user), oldPassword: Buffer.from(oldPassword), newPassword: Buffer.from(newPassword) });
}

export async function changePermission(core: ClientCore, action: PermissionAction, username: string, database: string, permission: number): Promise<void> {
  await core.call('ChangePermission', { action: action === 'grant' ? 0 : 1, username, database, permission });
}

export async function setActiveUser(core: ClientCore, username: string, active: boolean): Promise<void> {
  await core.call('SetActiveUser', { username, active });
}

export async function createDatabase(core: ClientCore, name: string): Promise<void> {
  await core.call('CreateDatabase', { databaseName: name });
}

export async function createDatabaseWith(core: ClientCore, settings: LegacyDatabaseSettings): Promise<void> {
  await core.call('CreateDatabaseWith', legacySettingsToInit(settings));
}

export async function createDatabaseV2(core: ClientCore, name: string, settings: DatabaseSettings = {}, ifNotExists = false): Promise<CreateDatabaseResult> {
  const { response } = await core.call('CreateDatabaseV2', { name, settings: settingsToInit(settings), ifNotExists });
  return { name: response.name, settings: settingsFromMsg(response.settings), alreadyExisted: response.alreadyExisted };
}

export async function updateDatabase(core: ClientCore, database: string, settings: DatabaseSettings): Promise<DatabaseSettingsResult> {
  const { response } = await core.call('UpdateDatabaseV2', { database, settings: settingsToInit(settings) });
  return { database: response.database, settings: settingsFromMsg(response.settings) };
}

export async function getDatabaseSettings(core: ClientCore): Promise<DatabaseSettingsResult> {
  const { response } = await core.call('GetDatabaseSettingsV2', {});
  return { database: response.database, settings: settingsFromMsg(response.settings) };
}

export async function listDatabases(core: ClientCore): Promise<string[]> {
  const { response } = await core.call('DatabaseList', {});
  return response.databases.map((d) => d.databaseName);
}

function databaseInfoFromMsg(d: P.DatabaseInfoMsg, i: number): DatabaseInfo {
  return {
    name: d.name,
    settings: settingsFromMsg(d.settings),
    loaded: d.loaded,
    diskSize: toUint(d.diskSize, `databases[${i}].diskSize`),
    numTransactions: toUint(d.numTransactions, `databases[${i}].numTransactions`),
    createdAt: toUint(d.created_at, `databases[${i}].created_at`),
    createdBy: d.created_by,
  };
}

export async function listDatabasesV2(core: ClientCore): Promise<DatabaseInfo[]> {
  const { response } = await core.call('DatabaseListV2', {});
  return response.databases.map(databaseInfoFromMsg);
}

export async function loadDatabase(core: ClientCore, database: string): Promise<string> {
  return (await core.call('LoadDatabase', { database })).response.database;
}

export async function unloadDatabase(core: ClientCore, database: string): Promise<string> {
  return (await core.call('UnloadDatabase', { database })).response.database;
}

export async function deleteDatabase(core: ClientCore, database: string): Promise<string> {
  return (await core.call('DeleteDatabase', { database })).response.database;
}

export async function flushIndex(core: ClientCore, cleanupPercentage = 0, synced = false): Promise<string> {
  return (await core.call('FlushIndex', { cleanupPercentage, synced })).response.database;
}

export async function compactIndex(core: ClientCore): Promise<void> {
  await core.call('CompactIndex', {});
}

const roleNames: ReadonlyMap<number, ReplicationRoleName> = new Map([
  [ReplicationRole.REPLICATION_ROLE_PRIMARY, 'primary'],
  [ReplicationRole.REPLICATION_ROLE_REPLICA, 'replica'],
  [ReplicationRole.REPLICATION_ROLE_PASSIVE_REPLICA, 'passiveReplica'],
]);

const stateNames: ReadonlyMap<number, ReplicationStateName> = new Map([
  [ReplicationState.REPLICATION_STATE_NOT_RUNNING, 'notRunning'],
  [ReplicationState.REPLICATION_STATE_CONNECTING, 'connecting'],
  [ReplicationState.REPLICATION_STATE_RUNNING, 'running'],
  [ReplicationState.REPLICATION_STATE_HALTED, 'halted'],
]);

function replicationStatusFromMsg(d: P.DatabaseReplicationStatusMsg, i: number): DatabaseReplicationStatus {
  const f = (name: string): string => `databases[${i}].${name}`;
  return {
    database: d.database,
    role: roleNames.get(d.role) ?? 'unspecified',
    state: stateNames.get(d.state) ?? 'unspecified',
    primaryHost: d.primary_host,
    primaryPort: d.primary_port,
    primaryDatabase: d.primary_database,
    epoch: toUint(d.epoch, f('epoch')),
    committedTxId: toUint(d.committed_tx_id, f('committed_tx_id')),
    precommittedTxId: toUint(d.precommitted_tx_id, f('precommitted_tx_id')),
    primaryCommittedTxId: toUint(d.primary_committed_tx_id, f('primary_committed_tx_id')),
    lagTxs: toUint(d.lag_txs, f('lag_txs')),
    lagMs: toUint(d.lag_ms, f('lag_ms')),
    syncReplication: d.sync_replication,
    syncAcks: d.sync_acks,
    haltCode: d.halt_code,
    haltReason: d.halt_reason,
    haltedAtMs: toUint(d.halted_at_ms, f('halted_at_ms')),
    promotable: d.promotable,
  };
}

export async function replicationStatus(core: ClientCore, database = ''): Promise<ReplicationStatusResult> {
  const { response } = await core.callTs('ReplicationStatus', { database });
  return { serverUuid: response.server_uuid, databases: response.databases.map(replicationStatusFromMsg) };
}
