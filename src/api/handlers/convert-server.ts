// Proto encodings of the node's control-plane results: UserList, DatabaseListResponse (V1 and V2),
// ServerInfoResponse and HealthResponse, plus the decoding of the user-management requests. Pure.
// Times: immudb sends unix seconds in ServerInfo.startedAt and DatabaseInfo.created_at; both fields
// are UNCONFIRMED in proto/schema.proto.
import { ImmuError } from '../../common/errors.js';
import type { DatabaseInfo, PermissionAction, ServerInfo, UserInfo } from '../../server/node-api.js';
import { toUtf8 } from '../convert.js';
import {
  PermissionAction as PermissionActionNumbers,
  type ChangePermissionRequestMsg,
  type DatabaseInfoInit,
  type DatabaseListResponseInit,
  type DatabaseListResponseV2Init,
  type HealthResponseInit,
  type ServerInfoResponseInit,
  type UserInit,
  type UserListInit,
} from '../proto-types.js';
import { settingsToProto } from './convert-settings.js';

export function userListToProto(users: readonly UserInfo[]): UserListInit {
  return { users: users.map(userToProto) };
}

function userToProto(u: UserInfo): UserInit {
  return {
    user: Buffer.from(u.username, 'utf8'),
    permissions: u.permissions.map((p) => ({ database: p.database, permission: p.permission })),
    createdby: u.createdBy,
    createdat: u.createdAt,
    active: u.active,
  };
}

export function databaseListToProto(dbs: readonly DatabaseInfo[]): DatabaseListResponseInit {
  return { databases: dbs.map((d) => ({ databaseName: d.name })) };
}

function msToSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}

function databaseInfoToProto(d: DatabaseInfo): DatabaseInfoInit {
  return {
    name: d.name,
    settings: settingsToProto(d.settings),
    loaded: d.loaded,
    diskSize: d.diskSizeBytes,
    numTransactions: d.numTransactions,
    created_at: d.createdAtMs === undefined ? 0 : msToSeconds(d.createdAtMs),
    created_by: d.createdBy,
  };
}

export function databaseListV2ToProto(dbs: readonly DatabaseInfo[]): DatabaseListResponseV2Init {
  return { databases: dbs.map(databaseInfoToProto) };
}

export function serverInfoToProto(info: ServerInfo): ServerInfoResponseInit {
  return {
    version: info.version,
    startedAt: msToSeconds(info.startedAtMs),
    numTransactions: info.numTransactions,
    numDatabases: info.numDatabases,
    databasesDiskSize: info.databasesDiskSizeBytes,
  };
}

export function healthToProto(version: string): HealthResponseInit {
  return { status: true, version };
}

export function permissionActionFromProto(msg: ChangePermissionRequestMsg): PermissionAction {
  if (msg.action === PermissionActionNumbers.GRANT) return 'grant';
  if (msg.action === PermissionActionNumbers.REVOKE) return 'revoke';
  throw new ImmuError('INVALID_ARGUMENT', `action: unknown permission action ${msg.action}`, { field: 'action' });
}

/** User names travel as bytes; immudb treats them as UTF-8 text. */
export function userNameFromProto(bytes: Uint8Array, field: string): string {
  return toUtf8(bytes, field);
}
