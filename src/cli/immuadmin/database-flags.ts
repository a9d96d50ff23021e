// The flags of `immuadmin database create|update` and the rules that turn them into the settings to
// send. This is where immudb's traps are fixed, before any call changes anything:
//   - the primary port defaults to 3322, never 0 (immudb's 0 silently makes a passive replica);
//   - incomplete or contradictory replication flags are refused with the name of the missing or
//     offending flag (primary-* without --replication-is-replica, a replica without a primary,
//     username or password, --replication-sync-acks on a replica, sync without acks on a primary);
//   - promoting (--replication-is-replica=false) sends a clean request: every replica-only setting
//     cleared, so the result validates instead of failing on a leftover allow-tx-discarding;
//   - settings fixed at creation are refused on update with a clear message.
// `--replication-primary HOST[:PORT]` is shorthand for a replica of the same-named database there.
// `--replication-sync-ack-timeout` travels in our extension field of ReplicationNullableSettings
// (syncAckTimeoutMs = 1002; immudb servers ignore it).
// Pure: flags (and, for update, the current settings) in, settings out or a UsageError.
import type { DatabaseSettings, ReplicationSettings } from '../../client/index.js';
import { UsageError } from '../tool-common/cli-error.js';
import type { FlagReader, FlagSpec } from '../flags.js';

export const primaryPortDefault = 3322;
/** Bounds of --replication-sync-ack-timeout, in ms (the server's own maximum is the same day). */
export const syncAckTimeoutMsMin = 1;
export const syncAckTimeoutMsMax = 24 * 60 * 60 * 1000;

export const replicationFlagSpecs: readonly FlagSpec[] = [
  { name: 'replication-is-replica', type: 'bool', aliases: ['replication-enabled'], description: 'the database is a replica (read-only, fed by replication)' },
  { name: 'replication-primary', type: 'string', description: 'HOST[:PORT]: make it a replica of the database of the same name on that node (port 3322 by default)' },
  { name: 'replication-passive', type: 'bool', description: 'a replica with no primary, fed only by replicateTx (hot-restore, external replicator)' },
  { name: 'replication-primary-host', type: 'string', aliases: ['replication-master-address'], description: 'primary host (replica only)' },
  { name: 'replication-primary-port', type: 'int', aliases: ['replication-master-port'], description: `primary port (replica only; default ${primaryPortDefault}, not 0)` },
  { name: 'replication-primary-database', type: 'string', aliases: ['replication-master-database'], description: 'database on the primary (replica only)' },
  { name: 'replication-primary-username', type: 'string', aliases: ['replication-follower-username'], description: 'user on the primary (replica only)' },
  { name: 'replication-primary-password', type: 'string', aliases: ['replication-follower-password'], description: 'password on the primary (replica only; prefer env IMMUADMIN_REPLICATION_PRIMARY_PASSWORD)' },
  { name: 'replication-sync-enabled', type: 'bool', description: 'synchronous replication (set it on the primary and on its replicas)' },
  { name: 'replication-sync-acks', type: 'int', description: 'replica acks each commit waits for (primary only; >= 1 with sync)' },
  { name: 'replication-prefetch-tx-buffer-size', type: 'int', description: 'txs fetched ahead (replica only; server default 100)' },
  { name: 'replication-commit-concurrency', type: 'int', description: 'concurrent appliers (replica only; server default 10)' },
  { name: 'replication-allow-tx-discarding', type: 'bool', description: 'discard precommitted txs that diverge from the primary (replica only)' },
  { name: 'replication-skip-integrity-check', type: 'bool', description: 'accepted for compatibility (replica only); immudb-ts always verifies' },
  { name: 'replication-wait-for-indexing', type: 'bool', description: 'apply each tx only after indexing the previous (replica only)' },
  { name: 'replication-sync-ack-timeout', type: 'duration', description: 'how long a sync primary waits for acks before a write fails with SYNC_ACK_TIMEOUT, e.g. 5s (primary only; server default --replication-sync-ack-timeout)' },
];

export const storeFlagSpecs: readonly FlagSpec[] = [
  { name: 'max-key-len', type: 'int', description: 'largest key, bytes (creation only)' },
  { name: 'max-value-len', type: 'int', description: 'largest value, bytes (creation only)' },
  { name: 'max-tx-entries', type: 'int', description: 'most entries per transaction (creation only)' },
  { name: 'file-size', type: 'int', description: 'size of each log file, bytes (creation only)' },
  { name: 'exclude-commit-time', type: 'bool', description: 'leave the commit time out of tx hashes' },
  { name: 'write-tx-header-version', type: 'int', description: 'tx header version 0 (immudb 1.1) or 1 (creation only)' },
  { name: 'autoload', type: 'bool', description: 'load the database when the server starts (default true)' },
];

export const databaseFlagSpecs: readonly FlagSpec[] = [...replicationFlagSpecs, ...storeFlagSpecs];

const permanentFlags = ['max-key-len', 'max-value-len', 'max-tx-entries', 'file-size', 'write-tx-header-version'] as const;

/** Flags that only mean something on a replica, with the setting each one sets. */
const replicaOnlyFlags = [
  ['replication-primary-host', 'primaryHost'],
  ['replication-primary-port', 'primaryPort'],
  ['replication-primary-database', 'primaryDatabase'],
  ['replication-primary-username', 'primaryUsername'],
  ['replication-primary-password', 'primaryPassword'],
  ['replication-prefetch-tx-buffer-size', 'prefetchTxBufferSize'],
  ['replication-commit-concurrency', 'replicationCommitConcurrency'],
  ['replication-allow-tx-discarding', 'allowTxDiscarding'],
  ['replication-skip-integrity-check', 'skipIntegrityCheck'],
  ['replication-wait-for-indexing', 'waitForIndexing'],
] as const satisfies readonly (readonly [string, keyof ReplicationSettings])[];

/** What a promoted database sends for every replica-only setting. */
export const clearedReplicaSettings: ReplicationSettings = {
  primaryHost: '',
  primaryPort: 0,
  primaryDatabase: '',
  primaryUsername: '',
  primaryPassword: '',
  prefetchTxBufferSize: 0,
  replicationCommitConcurrency: 0,
  allowTxDiscarding: false,
  skipIntegrityCheck: false,
  waitForIndexing: false,
};

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function intIn(f: FlagReader, name: string, min: number, max: number): number | undefined {
  const v = f.int(name);
  if (v !== undefined && (v < min || v > max)) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${v}`);
  return v;
}

/** `HOST[:PORT]` of --replication-primary. */
export function parsePrimary(text: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.\-_]+)(?::(\d{1,5}))?$/.exec(text.trim());
  const port = m?.[2] === undefined ? primaryPortDefault : Number(m[2]);
  if (m === null || port < 1 || port > 65535) throw new UsageError(`--replication-primary must be HOST or HOST:PORT, got ${JSON.stringify(text)}`);
  return { host: (m[1] ?? '').replace(/^\[|\]$/g, ''), port };
}

/** The replication settings the flags name explicitly (shorthand expanded), without any rule applied. */
function givenReplication(dbName: string, f: FlagReader): { given: Mutable<ReplicationSettings>; passive: boolean } {
  const given: Mutable<ReplicationSettings> = {};
  const isReplica = f.bool('replication-is-replica');
  const passive = f.bool('replication-passive') === true;
  const shorthand = f.string('replication-primary');
  if (shorthand !== undefined) {
    if (isReplica === false) throw new UsageError('--replication-primary makes a replica: it contradicts --replication-is-replica=false');
    if (passive) throw new UsageError('--replication-primary names a primary: it contradicts --replication-passive');
    for (const long of ['replication-primary-host', 'replication-primary-port', 'replication-primary-database']) {
      if (f.has(long)) throw new UsageError(`--replication-primary already sets host, port and database: drop --${long}`);
    }
    const { host, port } = parsePrimary(shorthand);
    Object.assign(given, { replica: true, primaryHost: host, primaryPort: port, primaryDatabase: dbName });
  }
  if (passive) {
    if (isReplica === false) throw new UsageError('--replication-passive makes a replica: it contradicts --replication-is-replica=false');
    for (const long of ['replication-primary-host', 'replication-primary-port', 'replication-primary-database', 'replication-primary-username', 'replication-primary-password']) {
      if (f.has(long)) throw new UsageError(`a passive replica has no primary: drop --${long}`);
    }
    Object.assign(given, { replica: true, ...clearedReplicaSettings });
  }
  if (isReplica !== undefined && given.replica === undefined) given.replica = isReplica;
  const str = (name: string): string | undefined => f.string(name);
  const set = <K extends keyof ReplicationSettings>(key: K, value: ReplicationSettings[K] | undefined): void => {
    if (value !== undefined) given[key] = value;
  };
  set('primaryHost', str('replication-primary-host'));
  set('primaryPort', intIn(f, 'replication-primary-port', 1, 65535));
  set('primaryDatabase', str('replication-primary-database'));
  set('primaryUsername', str('replication-primary-username'));
  set('primaryPassword', str('replication-primary-password'));
  set('syncReplication', f.bool('replication-sync-enabled'));
  set('syncAcks', intIn(f, 'replication-sync-acks', 0, 1_000_000));
  set('prefetchTxBufferSize', intIn(f, 'replication-prefetch-tx-buffer-size', 1, 1_000_000));
  set('replicationCommitConcurrency', intIn(f, 'replication-commit-concurrency', 1, 10_000));
  set('allowTxDiscarding', f.bool('replication-allow-tx-discarding'));
  set('skipIntegrityCheck', f.bool('replication-skip-integrity-check'));
  set('waitForIndexing', f.bool('replication-wait-for-indexing'));
  set('syncAckTimeoutMs', intIn(f, 'replication-sync-ack-timeout', syncAckTimeoutMsMin, syncAckTimeoutMsMax));
  return { given, passive };
}

function firstReplicaOnlyFlag(f: FlagReader): string | undefined {
  return replicaOnlyFlags.map(([flag]) => flag).find((flag) => f.has(flag));
}

/** The rules on the resulting replication settings (merged with the current ones on update). */
function checkResult(r: ReplicationSettings, f: FlagReader, passive: boolean, primaryDetailsRequired: boolean): void {
  if (r.replica === true) {
    if (f.has('replication-sync-acks')) throw new UsageError('--replication-sync-acks is a primary setting: a replica must not set it (set --replication-sync-enabled on both sides, acks on the primary)');
    if (f.has('replication-sync-ack-timeout')) throw new UsageError('--replication-sync-ack-timeout is a primary setting: a replica must not set it');
    if (passive || !primaryDetailsRequired) return;
    const missing: [keyof ReplicationSettings, string][] = [
      ['primaryHost', '--replication-primary-host (or --replication-primary HOST[:PORT]; --replication-passive for a replica without a primary)'],
      ['primaryDatabase', '--replication-primary-database (or --replication-primary HOST[:PORT] for the database of the same name)'],
      ['primaryUsername', '--replication-primary-username'],
      ['primaryPassword', '--replication-primary-password'],
    ];
    for (const [key, flag] of missing) {
      const v = r[key];
      if (v === undefined || v === '') throw new UsageError(`a replica needs ${flag}`);
    }
    return;
  }
  const sync = r.syncReplication === true;
  const acks = r.syncAcks ?? 0;
  if (sync && acks < 1) throw new UsageError('synchronous replication on a primary needs --replication-sync-acks N (N >= 1), or --replication-sync-enabled=false');
  if (!sync && acks > 0) throw new UsageError('--replication-sync-acks needs --replication-sync-enabled on the primary');
}

function storeSettings(f: FlagReader): Mutable<DatabaseSettings> {
  const s: Mutable<DatabaseSettings> = {};
  const maxKeyLen = intIn(f, 'max-key-len', 1, 1 << 30);
  const maxValueLen = intIn(f, 'max-value-len', 1, 2 ** 31 - 1);
  const maxTxEntries = intIn(f, 'max-tx-entries', 1, 1 << 30);
  const fileSize = intIn(f, 'file-size', 1, 2 ** 31 - 1);
  const version = intIn(f, 'write-tx-header-version', 0, 1);
  if (maxKeyLen !== undefined) s.maxKeyLen = maxKeyLen;
  if (maxValueLen !== undefined) s.maxValueLen = maxValueLen;
  if (maxTxEntries !== undefined) s.maxTxEntries = maxTxEntries;
  if (fileSize !== undefined) s.fileSize = fileSize;
  if (version !== undefined) s.writeTxHeaderVersion = version;
  const exclude = f.bool('exclude-commit-time');
  if (exclude !== undefined) s.excludeCommitTime = exclude;
  const autoload = f.bool('autoload');
  if (autoload !== undefined) s.autoload = autoload;
  return s;
}

/** Settings for `database create <name>`. */
export function createSettings(dbName: string, f: FlagReader): DatabaseSettings {
  const { given, passive } = givenReplication(dbName, f);
  if (given.replica !== true) {
    const flag = firstReplicaOnlyFlag(f);
    if (flag !== undefined) throw new UsageError(`--${flag} applies only to a replica: add --replication-is-replica (or use --replication-primary HOST[:PORT])`);
  } else if (given.primaryHost !== undefined && given.primaryHost !== '' && given.primaryPort === undefined) {
    given.primaryPort = primaryPortDefault;
  }
  checkResult(given, f, passive, true);
  const settings = storeSettings(f);
  if (Object.keys(given).length > 0) settings.replication = given;
  return settings;
}

/** Checks that need no call: flags that cannot be given to `database update` at all. */
export function preflightUpdate(f: FlagReader): void {
  for (const flag of permanentFlags) {
    if (f.has(flag)) throw new UsageError(`--${flag} can not be changed after database creation`);
  }
}

/**
 * Settings for `database update <name>`: only what the flags change (plus the cleanup a promotion
 * needs), checked against the current settings merged with the change.
 */
export function updateSettings(dbName: string, f: FlagReader, current: DatabaseSettings): DatabaseSettings {
  preflightUpdate(f);
  const { given, passive } = givenReplication(dbName, f);
  const before = current.replication ?? {};
  const willBeReplica = given.replica ?? before.replica === true;
  if (!willBeReplica) {
    const flag = firstReplicaOnlyFlag(f);
    if (flag !== undefined) {
      const why = given.replica === false ? 'promoting with --replication-is-replica=false clears the replica settings' : `${dbName} is a primary`;
      throw new UsageError(`--${flag} applies only to a replica (${why})`);
    }
    if (before.replica === true) Object.assign(given, clearedReplicaSettings, { replica: false });
  } else {
    if (before.replica !== true && given.syncAcks === undefined && (before.syncAcks ?? 0) > 0) given.syncAcks = 0;
    const host = given.primaryHost ?? before.primaryHost ?? '';
    const port = given.primaryPort ?? before.primaryPort ?? 0;
    if (host !== '' && port === 0) given.primaryPort = primaryPortDefault;
  }
  const merged: ReplicationSettings = { ...before, ...given, replica: willBeReplica };
  // An existing replica changing unrelated settings is not re-checked for its primary details (the
  // server may not return the stored password); becoming a replica or moving the primary is.
  const touchesPrimary = before.replica !== true || given.primaryHost !== undefined || given.primaryDatabase !== undefined || given.primaryPort !== undefined;
  checkResult(merged, f, passive, touchesPrimary);
  const settings = storeSettings(f);
  if (Object.keys(given).length > 0) settings.replication = given;
  return settings;
}
