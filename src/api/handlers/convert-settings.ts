// Proto <-> TypeScript for database settings: DatabaseNullableSettings (CreateDatabaseV2,
// UpdateDatabaseV2, GetDatabaseSettingsV2, DatabaseListV2) and the flat legacy DatabaseSettings
// (CreateDatabaseWith, UpdateDatabase, GetDatabaseSettings). Nullable* wrappers keep "absent" apart
// from "zero": an absent wrapper is an undefined field of DatabaseSettingsUpdate, so the node keeps the
// current value. What does not travel, on purpose:
//   - immudb's store tuning fields (maxConcurrency, maxIOConcurrency, txLogCacheSize, *MaxOpenedFiles,
//     indexSettings) are accepted and ignored: immudb-ts has no such knobs, and immuadmin may send them;
//   - our own maxActiveTransactions and syncFrequencyMs have no field: they come from server flags.
// replication.primaryEpoch and replication.syncAckTimeoutMs travel in our extension fields of
// ReplicationNullableSettings (numbers 1001, 1002: immudb peers skip them as unknown fields).
import { ImmuError } from '../../common/errors.js';
import type { DatabaseSettings, DatabaseSettingsUpdate, ReplicationSettings } from '../../server/settings.js';
import { updateFromLegacySettings } from '../../server/settings-sources.js';
import type {
  DatabaseNullableSettingsInit,
  DatabaseNullableSettingsMsg,
  DatabaseSettingsInit,
  DatabaseSettingsMsg,
  NullableBoolMsg,
  NullableStringMsg,
  NullableUint32Msg,
  NullableUint64Msg,
  ReplicationNullableSettingsInit,
  ReplicationNullableSettingsMsg,
} from '../proto-types.js';
import { toUint, toUint32 } from '../convert.js';

type Nullable<T> = { readonly value: T } | null | undefined;

function u32(msg: NullableUint32Msg | null | undefined, field: string): number | undefined {
  return msg === null || msg === undefined ? undefined : toUint32(msg.value, field);
}

function u64(msg: NullableUint64Msg | null | undefined, field: string): number | undefined {
  return msg === null || msg === undefined ? undefined : toUint(msg.value, field);
}

function bool(msg: NullableBoolMsg | null | undefined): boolean | undefined {
  return msg === null || msg === undefined ? undefined : msg.value;
}

function str(msg: NullableStringMsg | null | undefined): string | undefined {
  return msg === null || msg === undefined ? undefined : msg.value;
}

/** Wraps a defined value; undefined stays absent on the wire. */
function wrap<T>(value: T | undefined): Nullable<T> {
  return value === undefined ? undefined : { value };
}

type ReplicationUpdate = NonNullable<DatabaseSettingsUpdate['replication']>;

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function replicationFromProto(m: ReplicationNullableSettingsMsg): ReplicationUpdate {
  const f = (name: string): string => `settings.replicationSettings.${name}`;
  return defined({
    replica: bool(m.replica),
    primaryDatabase: str(m.primaryDatabase),
    primaryHost: str(m.primaryHost),
    primaryPort: u32(m.primaryPort, f('primaryPort')),
    primaryUsername: str(m.primaryUsername),
    primaryPassword: str(m.primaryPassword),
    syncReplication: bool(m.syncReplication),
    syncAcks: u32(m.syncAcks, f('syncAcks')),
    prefetchTxBufferSize: u32(m.prefetchTxBufferSize, f('prefetchTxBufferSize')),
    replicationCommitConcurrency: u32(m.replicationCommitConcurrency, f('replicationCommitConcurrency')),
    allowTxDiscarding: bool(m.allowTxDiscarding),
    skipIntegrityCheck: bool(m.skipIntegrityCheck),
    waitForIndexing: bool(m.waitForIndexing),
    primaryEpoch: u64(m.primaryEpoch, f('primaryEpoch')),
    syncAckTimeoutMs: u32(m.syncAckTimeoutMs, f('syncAckTimeoutMs')),
  });
}

/** A create/update request: only the wrappers that are present become fields. */
export function settingsUpdateFromProto(msg: DatabaseNullableSettingsMsg | null | undefined): DatabaseSettingsUpdate {
  if (msg === null || msg === undefined) return {};
  const replication = msg.replicationSettings === null || msg.replicationSettings === undefined ? undefined : replicationFromProto(msg.replicationSettings);
  return defined({
    replication: replication !== undefined && Object.keys(replication).length > 0 ? replication : undefined,
    fileSize: u32(msg.fileSize, 'settings.fileSize'),
    maxKeyLen: u32(msg.maxKeyLen, 'settings.maxKeyLen'),
    maxValueLen: u32(msg.maxValueLen, 'settings.maxValueLen'),
    maxTxEntries: u32(msg.maxTxEntries, 'settings.maxTxEntries'),
    writeTxHeaderVersion: u32(msg.writeTxHeaderVersion, 'settings.writeTxHeaderVersion'),
    excludeCommitTime: bool(msg.excludeCommitTime),
    autoload: bool(msg.autoload),
  });
}

function replicationUpdateToProto(r: ReplicationUpdate): ReplicationNullableSettingsInit {
  return defined({
    replica: wrap(r.replica),
    primaryDatabase: wrap(r.primaryDatabase),
    primaryHost: wrap(r.primaryHost),
    primaryPort: wrap(r.primaryPort),
    primaryUsername: wrap(r.primaryUsername),
    primaryPassword: wrap(r.primaryPassword),
    syncReplication: wrap(r.syncReplication),
    syncAcks: wrap(r.syncAcks),
    prefetchTxBufferSize: wrap(r.prefetchTxBufferSize),
    replicationCommitConcurrency: wrap(r.replicationCommitConcurrency),
    allowTxDiscarding: wrap(r.allowTxDiscarding),
    skipIntegrityCheck: wrap(r.skipIntegrityCheck),
    waitForIndexing: wrap(r.waitForIndexing),
    primaryEpoch: wrap(r.primaryEpoch),
    syncAckTimeoutMs: wrap(r.syncAckTimeoutMs),
  });
}

/** The wire form of an update (our client, tests); fields without a wire form are dropped. */
export function settingsUpdateToProto(u: DatabaseSettingsUpdate): DatabaseNullableSettingsInit {
  return defined({
    replicationSettings: u.replication === undefined ? undefined : replicationUpdateToProto(u.replication),
    fileSize: wrap(u.fileSize),
    maxKeyLen: wrap(u.maxKeyLen),
    maxValueLen: wrap(u.maxValueLen),
    maxTxEntries: wrap(u.maxTxEntries),
    writeTxHeaderVersion: wrap(u.writeTxHeaderVersion),
    excludeCommitTime: wrap(u.excludeCommitTime),
    autoload: wrap(u.autoload),
  });
}

/** Effective settings as replies carry them: every field immudb has, present. */
export function settingsToProto(s: DatabaseSettings): DatabaseNullableSettingsInit {
  return settingsUpdateToProto({
    replication: s.replication satisfies ReplicationSettings,
    fileSize: s.fileSize,
    maxKeyLen: s.maxKeyLen,
    maxValueLen: s.maxValueLen,
    maxTxEntries: s.maxTxEntries,
    writeTxHeaderVersion: s.writeTxHeaderVersion,
    excludeCommitTime: s.excludeCommitTime,
    autoload: s.autoload,
  });
}

// ---- legacy flat DatabaseSettings -----------------------------------------------------------------

export interface LegacySettingsRequest {
  readonly name: string;
  readonly settings: DatabaseSettingsUpdate;
}

/** CreateDatabaseWith / UpdateDatabase: zero numbers mean "not given" (settings-sources.ts). */
export function legacySettingsFromProto(msg: DatabaseSettingsMsg): LegacySettingsRequest {
  if (msg.databaseName === '') throw new ImmuError('INVALID_ARGUMENT', 'databaseName: is empty', { field: 'databaseName' });
  const settings = updateFromLegacySettings({
    replica: msg.replica,
    primaryDatabase: msg.primaryDatabase,
    primaryHost: msg.primaryHost,
    primaryPort: toUint32(msg.primaryPort, 'primaryPort'),
    primaryUsername: msg.primaryUsername,
    primaryPassword: msg.primaryPassword,
    fileSize: toUint32(msg.fileSize, 'fileSize'),
    maxKeyLen: toUint32(msg.maxKeyLen, 'maxKeyLen'),
    maxValueLen: toUint32(msg.maxValueLen, 'maxValueLen'),
    maxTxEntries: toUint32(msg.maxTxEntries, 'maxTxEntries'),
    excludeCommitTime: msg.excludeCommitTime,
  });
  return { name: msg.databaseName, settings: defined(settings) };
}

/** GetDatabaseSettings (legacy): the flat message of the selected database. */
export function legacySettingsToProto(name: string, s: DatabaseSettings): DatabaseSettingsInit {
  const r = s.replication;
  return {
    databaseName: name,
    replica: r.replica,
    primaryDatabase: r.primaryDatabase,
    primaryHost: r.primaryHost,
    primaryPort: r.primaryPort,
    primaryUsername: r.primaryUsername,
    primaryPassword: r.primaryPassword,
    fileSize: s.fileSize,
    maxKeyLen: s.maxKeyLen,
    maxValueLen: s.maxValueLen,
    maxTxEntries: s.maxTxEntries,
    excludeCommitTime: s.excludeCommitTime,
  };
}
