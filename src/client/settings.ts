// Database settings as a plain object <-> immudb's nullable settings messages (DatabaseNullableSettings
// with its Replication and Index parts, used by CreateDatabaseV2, UpdateDatabaseV2, DatabaseListV2 and
// GetDatabaseSettingsV2), plus the legacy flat DatabaseSettings of CreateDatabaseWith. A field left
// undefined is not sent, so the server keeps its value: "absent" differs from "zero". Pure.
import { toUint } from '../api/convert.js';
import type * as P from '../api/proto-types.js';

export interface ReplicationSettings {
  readonly replica?: boolean;
  readonly primaryDatabase?: string;
  readonly primaryHost?: string;
  readonly primaryPort?: number;
  readonly primaryUsername?: string;
  readonly primaryPassword?: string;
  readonly syncReplication?: boolean;
  readonly syncAcks?: number;
  readonly prefetchTxBufferSize?: number;
  readonly replicationCommitConcurrency?: number;
  readonly allowTxDiscarding?: boolean;
  readonly skipIntegrityCheck?: boolean;
  readonly waitForIndexing?: boolean;
  /**
   * immudb-ts extension (field 1001; immudb servers ignore it). In a promotion: the minimum epoch the
   * new primary takes (the server uses max(this, its persisted epoch + 1)); otherwise a floor the
   * persisted epoch is raised to. Replies carry the database's epoch.
   */
  readonly primaryEpoch?: number;
  /** immudb-ts extension (field 1002): how long a sync primary waits for acks, in ms. */
  readonly syncAckTimeoutMs?: number;
}

export interface IndexSettings {
  readonly flushThreshold?: number;
  readonly syncThreshold?: number;
  readonly cacheSize?: number;
  readonly maxNodeSize?: number;
  readonly maxActiveSnapshots?: number;
  readonly renewSnapRootAfter?: number;
  readonly compactionThld?: number;
  readonly delayDuringCompaction?: number;
  readonly nodesLogMaxOpenedFiles?: number;
  readonly historyLogMaxOpenedFiles?: number;
  readonly commitLogMaxOpenedFiles?: number;
  readonly flushBufferSize?: number;
  readonly cleanupPercentage?: number;
}

export interface DatabaseSettings {
  readonly replication?: ReplicationSettings;
  readonly fileSize?: number;
  readonly maxKeyLen?: number;
  readonly maxValueLen?: number;
  readonly maxTxEntries?: number;
  readonly excludeCommitTime?: boolean;
  readonly maxConcurrency?: number;
  readonly maxIOConcurrency?: number;
  readonly txLogCacheSize?: number;
  readonly vLogMaxOpenedFiles?: number;
  readonly txLogMaxOpenedFiles?: number;
  readonly commitLogMaxOpenedFiles?: number;
  readonly index?: IndexSettings;
  readonly writeTxHeaderVersion?: number;
  readonly autoload?: boolean;
}

/** The flat settings of CreateDatabaseWith (immudb < 1.2). */
export interface LegacyDatabaseSettings {
  readonly databaseName: string;
  readonly replica?: boolean;
  readonly primaryDatabase?: string;
  readonly primaryHost?: string;
  readonly primaryPort?: number;
  readonly primaryUsername?: string;
  readonly primaryPassword?: string;
  readonly fileSize?: number;
  readonly maxKeyLen?: number;
  readonly maxValueLen?: number;
  readonly maxTxEntries?: number;
  readonly excludeCommitTime?: boolean;
}

type Wrapped<T> = { readonly value?: T } | undefined;

const wrap = <T>(value: T | undefined): Wrapped<T> => (value === undefined ? undefined : { value });

/** Drops undefined members so protobufjs sees only what the caller set. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function replicationToInit(r: ReplicationSettings): P.ReplicationNullableSettingsInit {
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

function indexToInit(i: IndexSettings): P.IndexNullableSettingsInit {
  return defined({
    flushThreshold: wrap(i.flushThreshold),
    syncThreshold: wrap(i.syncThreshold),
    cacheSize: wrap(i.cacheSize),
    maxNodeSize: wrap(i.maxNodeSize),
    maxActiveSnapshots: wrap(i.maxActiveSnapshots),
    renewSnapRootAfter: wrap(i.renewSnapRootAfter),
    compactionThld: wrap(i.compactionThld),
    delayDuringCompaction: wrap(i.delayDuringCompaction),
    nodesLogMaxOpenedFiles: wrap(i.nodesLogMaxOpenedFiles),
    historyLogMaxOpenedFiles: wrap(i.historyLogMaxOpenedFiles),
    commitLogMaxOpenedFiles: wrap(i.commitLogMaxOpenedFiles),
    flushBufferSize: wrap(i.flushBufferSize),
    cleanupPercentage: wrap(i.cleanupPercentage),
  });
}

export function settingsToInit(s: DatabaseSettings): P.DatabaseNullableSettingsInit {
  return defined({
    replicationSettings: s.replication === undefined ? undefined : replicationToInit(s.replication),
    fileSize: wrap(s.fileSize),
    maxKeyLen: wrap(s.maxKeyLen),
    maxValueLen: wrap(s.maxValueLen),
    maxTxEntries: wrap(s.maxTxEntries),
    excludeCommitTime: wrap(s.excludeCommitTime),
    maxConcurrency: wrap(s.maxConcurrency),
    maxIOConcurrency: wrap(s.maxIOConcurrency),
    txLogCacheSize: wrap(s.txLogCacheSize),
    vLogMaxOpenedFiles: wrap(s.vLogMaxOpenedFiles),
    txLogMaxOpenedFiles: wrap(s.txLogMaxOpenedFiles),
    commitLogMaxOpenedFiles: wrap(s.commitLogMaxOpenedFiles),
    indexSettings: s.index === undefined ? undefined : indexToInit(s.index),
    writeTxHeaderVersion: wrap(s.writeTxHeaderVersion),
    autoload: wrap(s.autoload),
  });
}

const unwrap = <T>(w: { readonly value: T } | null | undefined): T | undefined => (w === null || w === undefined ? undefined : w.value);

function replicationFromMsg(m: P.ReplicationNullableSettingsMsg): ReplicationSettings {
  return defined({
    replica: unwrap(m.replica),
    primaryDatabase: unwrap(m.primaryDatabase),
    primaryHost: unwrap(m.primaryHost),
    primaryPort: unwrap(m.primaryPort),
    primaryUsername: unwrap(m.primaryUsername),
    primaryPassword: unwrap(m.primaryPassword),
    syncReplication: unwrap(m.syncReplication),
    syncAcks: unwrap(m.syncAcks),
    prefetchTxBufferSize: unwrap(m.prefetchTxBufferSize),
    replicationCommitConcurrency: unwrap(m.replicationCommitConcurrency),
    allowTxDiscarding: unwrap(m.allowTxDiscarding),
    skipIntegrityCheck: unwrap(m.skipIntegrityCheck),
    waitForIndexing: unwrap(m.waitForIndexing),
    primaryEpoch: m.primaryEpoch === null || m.primaryEpoch === undefined ? undefined : toUint(m.primaryEpoch.value, 'replicationSettings.primaryEpoch'),
    syncAckTimeoutMs: unwrap(m.syncAckTimeoutMs),
  });
}

function indexFromMsg(m: P.IndexNullableSettingsMsg): IndexSettings {
  const renew = m.renewSnapRootAfter;
  return defined({
    flushThreshold: unwrap(m.flushThreshold),
    syncThreshold: unwrap(m.syncThreshold),
    cacheSize: unwrap(m.cacheSize),
    maxNodeSize: unwrap(m.maxNodeSize),
    maxActiveSnapshots: unwrap(m.maxActiveSnapshots),
    renewSnapRootAfter: renew === null || renew === undefined ? undefined : toUint(renew.value, 'indexSettings.renewSnapRootAfter'),
    compactionThld: unwrap(m.compactionThld),
    delayDuringCompaction: unwrap(m.delayDuringCompaction),
    nodesLogMaxOpenedFiles: unwrap(m.nodesLogMaxOpenedFiles),
    historyLogMaxOpenedFiles: unwrap(m.historyLogMaxOpenedFiles),
    commitLogMaxOpenedFiles: unwrap(m.commitLogMaxOpenedFiles),
    flushBufferSize: unwrap(m.flushBufferSize),
    cleanupPercentage: unwrap(m.cleanupPercentage),
  });
}

export function settingsFromMsg(m: P.DatabaseNullableSettingsMsg | null | undefined): DatabaseSettings {
  if (m === null || m === undefined) return {};
  return defined({
    replication: m.replicationSettings === null || m.replicationSettings === undefined ? undefined : replicationFromMsg(m.replicationSettings),
    fileSize: unwrap(m.fileSize),
    maxKeyLen: unwrap(m.maxKeyLen),
    maxValueLen: unwrap(m.maxValueLen),
    maxTxEntries: unwrap(m.maxTxEntries),
    excludeCommitTime: unwrap(m.excludeCommitTime),
    maxConcurrency: unwrap(m.maxConcurrency),
    maxIOConcurrency: unwrap(m.maxIOConcurrency),
    txLogCacheSize: unwrap(m.txLogCacheSize),
    vLogMaxOpenedFiles: unwrap(m.vLogMaxOpenedFiles),
    txLogMaxOpenedFiles: unwrap(m.txLogMaxOpenedFiles),
    commitLogMaxOpenedFiles: unwrap(m.commitLogMaxOpenedFiles),
    index: m.indexSettings === null || m.indexSettings === undefined ? undefined : indexFromMsg(m.indexSettings),
    writeTxHeaderVersion: unwrap(m.writeTxHeaderVersion),
    autoload: unwrap(m.autoload),
  });
}

export function legacySettingsToInit(s: LegacyDatabaseSettings): P.DatabaseSettingsInit {
  return defined({ ...s });
}
