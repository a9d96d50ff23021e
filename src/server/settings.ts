// The database settings model: defaults, create, merge-on-update and validation, all pure. It follows
// immudb's DatabaseNullableSettings semantics (absent fields keep their value) but fixes its traps:
// promotion clears replica-only settings itself, a primary host without a port gets 3322, demotion and
// "sync off" reset syncAcks, incomplete or contradictory replication settings are refused with
// SETTINGS_INVALID naming the field, permanent settings never change, and the primary epoch (our
// fencing addition) only grows and is raised on every promotion. JSON is in settings-json.ts,
// flag/legacy sources in settings-sources.ts; this file does no I/O and knows nothing of gRPC.
import { ImmuError } from '../common/errors.js';
import { keySizeBytesMax, txEntriesMaxHeaderV0, valueSizeBytesMaxDefault, chunkFileSizeBytesDefault, chunkFileSizeBytesMax, txEntriesMaxDefault } from '../common/limits.js';
import type { TxHeaderVersion } from '../proof/tx-header.js';
import {
  fileSizeBytesMin,
  maxActiveTransactionsDefault,
  maxActiveTransactionsMax,
  prefetchTxBufferSizeDefault,
  prefetchTxBufferSizeMax,
  primaryHostCharsMax,
  primaryPortDefault,
  replicationCommitConcurrencyDefault,
  replicationCommitConcurrencyMax,
  syncAckTimeoutMsDefault,
  syncAckTimeoutMsMax,
  syncAcksMax,
  syncFrequencyMsDefault,
  syncFrequencyMsMax,
  txEntriesMaxHard,
  valueSizeBytesMaxHard,
} from './limits.js';

export interface ReplicationSettings {
  readonly replica: boolean;
  readonly syncReplication: boolean;
  readonly primaryDatabase: string;
  readonly primaryHost: string;
  readonly primaryPort: number;
  readonly primaryUsername: string;
  readonly primaryPassword: string;
  /** Primary only: replicas that must precommit a tx before it commits. */
  readonly syncAcks: number;
  readonly prefetchTxBufferSize: number;
  readonly replicationCommitConcurrency: number;
  readonly allowTxDiscarding: boolean;
  readonly skipIntegrityCheck: boolean;
  readonly waitForIndexing: boolean;
  /**
   * Ours (fencing). On a primary: its epoch, raised on every promotion. On a replica: the highest
   * primary epoch seen; a primary from an older epoch is refused. 0 = none known yet.
   */
  readonly primaryEpoch: number;
  /** Ours. Primary only in effect: how long a sync commit waits for its acks. */
  readonly syncAckTimeoutMs: number;
}

export interface DatabaseSettings {
  readonly replication: ReplicationSettings;
  /** Permanent: fixed at creation. */
  readonly fileSize: number;
  readonly maxKeyLen: number;
  readonly maxValueLen: number;
  readonly maxTxEntries: number;
  readonly writeTxHeaderVersion: TxHeaderVersion;
  /** Changeable. */
  readonly excludeCommitTime: boolean;
  readonly maxActiveTransactions: number;
  readonly syncFrequencyMs: number;
  readonly autoload: boolean;
  readonly createdBy: string;
  /** Unix ms; undefined for databases created by defaults (systemdb, defaultdb, adopted dirs). */
  readonly createdAtMs: number | undefined;
  readonly updatedBy: string;
  readonly updatedAtMs: number | undefined;
  /** JSON fields written by immudb that we do not interpret; kept so a rewrite loses nothing. */
  readonly unknownJson: Readonly<Record<string, unknown>>;
}

/** A create or update request: absent (undefined) fields keep their current or default value. */
export interface DatabaseSettingsUpdate {
  readonly replication?: { readonly [K in keyof ReplicationSettings]?: ReplicationSettings[K] };
  readonly fileSize?: number;
  readonly maxKeyLen?: number;
  readonly maxValueLen?: number;
  readonly maxTxEntries?: number;
  readonly writeTxHeaderVersion?: number;
  readonly excludeCommitTime?: boolean;
  readonly maxActiveTransactions?: number;
  readonly syncFrequencyMs?: number;
  readonly autoload?: boolean;
}

/** Server-wide inputs to the defaults. */
export interface ServerSettingsDefaults {
  /** The server's --write-tx-header-version. */
  readonly writeTxHeaderVersion: TxHeaderVersion;
  readonly syncAckTimeoutMs?: number;
}

/** Who changes settings, and when (unix ms), supplied by the caller: no clock in here. */
export interface SettingsChange {
  readonly by: string;
  readonly atMs: number;
}

export const PERMANENT_SETTINGS = ['fileSize', 'maxKeyLen', 'maxValueLen', 'maxTxEntries', 'writeTxHeaderVersion'] as const;

/** Fields that only mean something on a replica; a primary holds them empty, zero or false. */
export const REPLICA_ONLY_SETTINGS = [
  'primaryDatabase',
  'primaryHost',
  'primaryPort',
  'primaryUsername',
  'primaryPassword',
  'prefetchTxBufferSize',
  'replicationCommitConcurrency',
  'allowTxDiscarding',
  'skipIntegrityCheck',
  'waitForIndexing',
] as const satisfies readonly (keyof ReplicationSettings)[];

type ReplicaOnlyKey = (typeof REPLICA_ONLY_SETTINGS)[number];

const PRIMARY_VALUES: Pick<ReplicationSettings, ReplicaOnlyKey> = {
  primaryDatabase: '',
  primaryHost: '',
  primaryPort: 0,
  primaryUsername: '',
  primaryPassword: '',
  prefetchTxBufferSize: 0,
  replicationCommitConcurrency: 0,
  allowTxDiscarding: false,
  skipIntegrityCheck: false,
  waitForIndexing: false,
};

export function defaultReplicationSettings(server: ServerSettingsDefaults): ReplicationSettings {
  return {
    replica: false,
    syncReplication: false,
    ...PRIMARY_VALUES,
    syncAcks: 0,
    primaryEpoch: 0,
    syncAckTimeoutMs: server.syncAckTimeoutMs ?? syncAckTimeoutMsDefault,
  };
}

/** Settings of a database nobody configured: systemdb, defaultdb, an adopted directory. */
export function defaultDatabaseSettings(server: ServerSettingsDefaults): DatabaseSettings {
  return {
    replication: defaultReplicationSettings(server),
    fileSize: chunkFileSizeBytesDefault,
    maxKeyLen: keySizeBytesMax,
    maxValueLen: valueSizeBytesMaxDefault,
    maxTxEntries: txEntriesMaxDefault,
    writeTxHeaderVersion: server.writeTxHeaderVersion,
    excludeCommitTime: false,
    maxActiveTransactions: maxActiveTransactionsDefault,
    syncFrequencyMs: syncFrequencyMsDefault,
    autoload: true,
    createdBy: '',
    createdAtMs: undefined,
    updatedBy: '',
    updatedAtMs: undefined,
    unknownJson: {},
  };
}

/** Settings of a new database: defaults, then the request; every rule applies. */
export function createDatabaseSettings(
  server: ServerSettingsDefaults,
  request: DatabaseSettingsUpdate,
  change: SettingsChange,
): DatabaseSettings {
  const base = defaultDatabaseSettings(server);
  const merged = applyUpdate(base, request);
  const settings: DatabaseSettings = {
    ...merged,
    replication: {
      ...merged.replication,
      // A new primary starts its lineage at epoch 1; a new replica learns it from its primary.
      primaryEpoch: Math.max(requestedEpoch(request), merged.replication.replica ? 0 : 1),
    },
    createdBy: change.by,
    createdAtMs: change.atMs,
    updatedBy: change.by,
    updatedAtMs: change.atMs,
  };
  validateDatabaseSettings(settings);
  return settings;
}

/** UpdateDatabaseV2: merge the request into the current settings, then validate the result. */
export function updateDatabaseSettings(
  current: DatabaseSettings,
  request: DatabaseSettingsUpdate,
  change: SettingsChange,
): DatabaseSettings {
  for (const field of PERMANENT_SETTINGS) {
    const wanted = request[field];
    if (wanted !== undefined && wanted !== current[field]) {
      throw invalid(`${field} can not be changed after database creation`, field);
    }
  }
  const merged = applyUpdate(current, request);
  const settings: DatabaseSettings = {
    ...merged,
    replication: { ...merged.replication, primaryEpoch: nextEpoch(current.replication, request, merged.replication) },
    updatedBy: change.by,
    updatedAtMs: change.atMs,
  };
  validateDatabaseSettings(settings);
  return settings;
}

/**
 * The epoch never goes down. A promotion takes max(requested, persisted + 1): the failover tool asks
 * for one above every epoch it saw in the cluster, since this replica may never have learned its old
 * primary's. Any other update may raise it (a floor), never lower it.
 */
function nextEpoch(
  before: ReplicationSettings,
  request: DatabaseSettingsUpdate,
  after: ReplicationSettings,
): number {
  const asked = requestedEpoch(request);
  const promoted = before.replica && !after.replica;
  return Math.max(asked, promoted ? before.primaryEpoch + 1 : before.primaryEpoch);
}

/** The request's primaryEpoch (0 when absent), refused with SETTINGS_INVALID when it is not an epoch. */
function requestedEpoch(request: DatabaseSettingsUpdate): number {
  const asked = request.replication?.primaryEpoch;
  if (asked === undefined) return 0;
  intIn('primaryEpoch', asked, 0, Number.MAX_SAFE_INTEGER);
  return asked;
}

/** The merge alone: no permanence check, no epoch step, no timestamps, no validation. */
export function applyUpdate(current: DatabaseSettings, request: DatabaseSettingsUpdate): DatabaseSettings {
  return {
    ...current,
    replication: mergeReplication(current.replication, request.replication ?? {}),
    fileSize: request.fileSize ?? current.fileSize,
    maxKeyLen: request.maxKeyLen ?? current.maxKeyLen,
    maxValueLen: request.maxValueLen ?? current.maxValueLen,
    maxTxEntries: request.maxTxEntries ?? current.maxTxEntries,
    writeTxHeaderVersion: headerVersion(request.writeTxHeaderVersion ?? current.writeTxHeaderVersion),
    excludeCommitTime: request.excludeCommitTime ?? current.excludeCommitTime,
    maxActiveTransactions: request.maxActiveTransactions ?? current.maxActiveTransactions,
    syncFrequencyMs: request.syncFrequencyMs ?? current.syncFrequencyMs,
    autoload: request.autoload ?? current.autoload,
  };
}

function headerVersion(v: number): TxHeaderVersion {
  if (v !== 0 && v !== 1) throw invalid(`writeTxHeaderVersion must be 0 or 1, not ${v}`, 'writeTxHeaderVersion');
  return v;
}

type ReplicationUpdate = NonNullable<DatabaseSettingsUpdate['replication']>;

function mergeReplication(current: ReplicationSettings, req: ReplicationUpdate): ReplicationSettings {
  const defined = Object.fromEntries(Object.entries(req).filter(([, v]) => v !== undefined));
  const r: ReplicationSettings = { ...current, ...defined };
  return r.replica ? asReplica(r, req) : asPrimary(current, req, r);
}

/**
 * The result is a primary: replica-only settings are cleared, unless the request sets them (then
 * refused). "Sync off" without a word about acks turns the acks off too; a promotion that says
 * nothing about sync yields an async primary (a replica's syncReplication meant "report to my
 * primary", and there is no ack count to inherit).
 */
function asPrimary(current: ReplicationSettings, req: ReplicationUpdate, r: ReplicationSettings): ReplicationSettings {
  for (const field of REPLICA_ONLY_SETTINGS) {
    const v = req[field];
    if (v !== undefined && v !== PRIMARY_VALUES[field]) {
      throw invalid(`${field} can only be set on a replica (replica is false)`, field);
    }
  }
  const promoted = current.replica;
  const syncSaid = req.syncReplication !== undefined || req.syncAcks !== undefined;
  const syncReplication = promoted && !syncSaid ? false : r.syncReplication;
  const syncAcks = req.syncReplication === false && req.syncAcks === undefined ? 0 : r.syncAcks;
  return { ...r, ...PRIMARY_VALUES, syncReplication, syncAcks };
}

/** The result is a replica: acks reset unless given, buffers defaulted, port defaulted. */
function asReplica(r: ReplicationSettings, req: ReplicationUpdate): ReplicationSettings {
  return {
    ...r,
    syncAcks: req.syncAcks ?? 0,
    primaryPort: r.primaryHost !== '' && r.primaryPort === 0 ? primaryPortDefault : r.primaryPort,
    prefetchTxBufferSize: r.prefetchTxBufferSize === 0 ? prefetchTxBufferSizeDefault : r.prefetchTxBufferSize,
    replicationCommitConcurrency:
      r.replicationCommitConcurrency === 0 ? replicationCommitConcurrencyDefault : r.replicationCommitConcurrency,
  };
}

/** Throws SETTINGS_INVALID naming the first missing, out-of-range or contradictory field. */
export function validateDatabaseSettings(s: DatabaseSettings): void {
  validateStoreSettings(s);
  validateReplicationSettings(s.replication);
}

function validateStoreSettings(s: DatabaseSettings): void {
  intIn('fileSize', s.fileSize, fileSizeBytesMin, chunkFileSizeBytesMax);
  intIn('maxKeyLen', s.maxKeyLen, 1, keySizeBytesMax);
  intIn('maxValueLen', s.maxValueLen, 1, valueSizeBytesMaxHard);
  intIn('maxTxEntries', s.maxTxEntries, 1, s.writeTxHeaderVersion === 0 ? txEntriesMaxHeaderV0 : txEntriesMaxHard);
  headerVersion(s.writeTxHeaderVersion);
  intIn('maxActiveTransactions', s.maxActiveTransactions, 1, maxActiveTransactionsMax);
  intIn('syncFrequencyMs', s.syncFrequencyMs, 1, syncFrequencyMsMax);
}

export function validateReplicationSettings(r: ReplicationSettings): void {
  intIn('syncAcks', r.syncAcks, 0, syncAcksMax);
  intIn('primaryEpoch', r.primaryEpoch, 0, Number.MAX_SAFE_INTEGER);
  intIn('syncAckTimeoutMs', r.syncAckTimeoutMs, 1, syncAckTimeoutMsMax);
  if (r.replica) validateReplica(r);
  else validatePrimary(r);
}

function validateReplica(r: ReplicationSettings): void {
  if (r.syncAcks !== 0) throw invalid('syncAcks must be 0 on a replica (acks are counted by the primary)', 'syncAcks');
  intIn('prefetchTxBufferSize', r.prefetchTxBufferSize, 1, prefetchTxBufferSizeMax);
  intIn('replicationCommitConcurrency', r.replicationCommitConcurrency, 1, replicationCommitConcurrencyMax);
  const active = r.primaryHost !== '' || r.primaryDatabase !== '';
  if (!active) {
    // A passive replica (fed by an external ReplicateTx caller) carries no connection settings.
    for (const field of ['primaryPort', 'primaryUsername', 'primaryPassword'] as const) {
      if (r[field] !== PRIMARY_VALUES[field]) {
        throw invalid(`${field} is set but primaryHost and primaryDatabase are not`, field);
      }
    }
    return;
  }
  for (const field of ['primaryHost', 'primaryDatabase', 'primaryUsername', 'primaryPassword'] as const) {
    if (r[field] === '') throw invalid(`${field} is required for a replica with a primary to replicate from`, field);
  }
  if (r.primaryHost.length > primaryHostCharsMax || /[\s\x00-\x1f/\\@]/.test(r.primaryHost)) {
    throw invalid('primaryHost is not a host name or address', 'primaryHost');
  }
  intIn('primaryPort', r.primaryPort, 1, 65535);
}

function validatePrimary(r: ReplicationSettings): void {
  for (const field of REPLICA_ONLY_SETTINGS) {
    if (r[field] !== PRIMARY_VALUES[field]) throw invalid(`${field} can only be set on a replica`, field);
  }
  if (r.syncReplication && r.syncAcks < 1) {
    throw invalid('syncAcks must be at least 1 when syncReplication is on', 'syncAcks');
  }
  if (!r.syncReplication && r.syncAcks > 0) {
    throw invalid('syncReplication must be on when syncAcks is above 0', 'syncReplication');
  }
}

function intIn(field: string, v: number, min: number, max: number): void {
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw invalid(`${field} must be an integer in ${min}..${max}, not ${String(v)}`, field);
  }
}

function invalid(message: string, field: string): ImmuError {
  return new ImmuError('SETTINGS_INVALID', message, { field });
}

/**
 * True when the node must run a replicator for this database. A replica without primary host and
 * database is passive (an external process feeds it through ReplicateTx).
 */
export function isReplicatorRequired(s: DatabaseSettings): boolean {
  const r = s.replication;
  return r.replica && r.primaryDatabase !== '' && r.primaryHost !== '' && r.primaryPort > 0;
}

/** Commits wait for replica acks (sync primary) or for the primary's commit notice (sync replica). */
export function needsExternalCommitAllowance(s: DatabaseSettings): boolean {
  return s.replication.replica || (s.replication.syncReplication && s.replication.syncAcks > 0);
}

/**
 * A replica saw its primary's epoch. A lower epoch than the one recorded means a stale primary:
 * REPLICATION_STALE_EPOCH. A higher one returns settings to persist (before acting on the primary's
 * data); an equal one returns the same object.
 */
export function observePrimaryEpoch(s: DatabaseSettings, primaryEpoch: number, change: SettingsChange): DatabaseSettings {
  const known = s.replication.primaryEpoch;
  if (!Number.isSafeInteger(primaryEpoch) || primaryEpoch < known) {
    throw new ImmuError('REPLICATION_STALE_EPOCH', `primary epoch ${primaryEpoch} is older than ${known}`, {
      primaryEpoch,
      knownEpoch: known,
    });
  }
  if (primaryEpoch === known) return s;
  return {
    ...s,
    replication: { ...s.replication, primaryEpoch },
    updatedBy: change.by,
    updatedAtMs: change.atMs,
  };
}

/** The settings with the replication password replaced, for logs and non-admin callers. */
export function redactSettings(s: DatabaseSettings): DatabaseSettings {
  if (s.replication.primaryPassword === '') return s;
  return { ...s, replication: { ...s.replication, primaryPassword: '[redacted]' } };
}
