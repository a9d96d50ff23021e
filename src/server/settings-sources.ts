// Settings that do not come from a CreateDatabaseV2/UpdateDatabaseV2 request: systemdb and defaultdb
// (defaults plus the server's --replication-* flags, never persisted) and the flat legacy
// `DatabaseSettings` message of CreateDatabaseWith/UpdateDatabase. Pure conversions into settings.ts.
import {
  applyUpdate,
  defaultDatabaseSettings,
  validateDatabaseSettings,
  type DatabaseSettings,
  type DatabaseSettingsUpdate,
  type ServerSettingsDefaults,
} from './settings.js';

/** Replication flags of the server (--replication-*), applied to systemdb and defaultdb only. */
export interface ServerReplicationFlags {
  readonly replica: boolean;
  readonly syncReplication?: boolean;
  readonly primaryHost?: string;
  readonly primaryPort?: number;
  readonly primaryUsername?: string;
  readonly primaryPassword?: string;
  readonly syncAcks?: number;
  readonly prefetchTxBufferSize?: number;
  readonly replicationCommitConcurrency?: number;
  readonly allowTxDiscarding?: boolean;
  readonly skipIntegrityCheck?: boolean;
  readonly waitForIndexing?: boolean;
  readonly syncAckTimeoutMs?: number;
}

/**
 * Settings of systemdb or defaultdb: defaults plus the server's replication flags. A replica of
 * either always replicates the database of the same name. Same validation as user databases.
 */
export function reservedDatabaseSettings(
  name: string,
  server: ServerSettingsDefaults,
  flags: ServerReplicationFlags,
): DatabaseSettings {
  const { replica, ...rest } = flags;
  const replication = replica ? { replica, ...rest, primaryDatabase: flags.primaryHost ? name : '' } : { replica, ...rest };
  const merged = applyUpdate(defaultDatabaseSettings(server), { replication });
  validateDatabaseSettings(merged);
  return merged;
}

/** The flat legacy `DatabaseSettings` message (CreateDatabaseWith, UpdateDatabase) as an update. */
export interface LegacyDatabaseSettings {
  readonly replica: boolean;
  readonly primaryDatabase: string;
  readonly primaryHost: string;
  readonly primaryPort: number;
  readonly primaryUsername: string;
  readonly primaryPassword: string;
  readonly fileSize: number;
  readonly maxKeyLen: number;
  readonly maxValueLen: number;
  readonly maxTxEntries: number;
  readonly excludeCommitTime: boolean;
}

/** Zero numbers mean "not given" in the legacy message. */
export function updateFromLegacySettings(l: LegacyDatabaseSettings): DatabaseSettingsUpdate {
  const nz = (n: number): number | undefined => (n === 0 ? undefined : n);
  return {
    replication: l.replica
      ? {
          replica: true,
          primaryDatabase: l.primaryDatabase,
          primaryHost: l.primaryHost,
          primaryPort: l.primaryPort,
          primaryUsername: l.primaryUsername,
          primaryPassword: l.primaryPassword,
        }
      : { replica: false },
    fileSize: nz(l.fileSize),
    maxKeyLen: nz(l.maxKeyLen),
    maxValueLen: nz(l.maxValueLen),
    maxTxEntries: nz(l.maxTxEntries),
    excludeCommitTime: l.excludeCommitTime,
  };
}
