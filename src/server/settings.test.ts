import { describe, expect, it } from 'vitest';
import { ImmuError } from '../common/errors.js';
import {
  createDatabaseSettings,
  defaultDatabaseSettings,
  isReplicatorRequired,
  needsExternalCommitAllowance,
  observePrimaryEpoch,
  redactSettings,
  updateDatabaseSettings,
  type DatabaseSettings,
  type DatabaseSettingsUpdate,
  type ServerSettingsDefaults,
} from './settings.js';
import { settingsFromJson, settingsToJson } from './settings-json.js';
import { reservedDatabaseSettings, updateFromLegacySettings } from './settings-sources.js';

const server: ServerSettingsDefaults = { writeTxHeaderVersion: 1 };
const by = { by: 'immudb', atMs: 1_700_000_000_000 };
const later = { by: 'admin', atMs: 1_700_000_100_000 };

const activeReplica = {
  replica: true,
  primaryHost: '10.0.0.1',
  primaryDatabase: 'db',
  primaryUsername: 'rep',
  primaryPassword: 'secret',
} as const;

function settingsError(fn: () => unknown): { code: string; field: unknown; message: string } | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (!(e instanceof ImmuError)) throw e;
    return { code: e.code, field: e.details?.['field'], message: e.message };
  }
}

function create(req: DatabaseSettingsUpdate): DatabaseSettings {
  return createDatabaseSettings(server, req, by);
}

describe('defaults and creation', () => {
  it('takes the server header version and immudb defaults', () => {
    const s = create({});
    expect(s.writeTxHeaderVersion).toBe(1);
    expect(createDatabaseSettings({ writeTxHeaderVersion: 0 }, {}, by).writeTxHeaderVersion).toBe(0);
    expect(s.fileSize).toBe(512 * 1024 * 1024);
    expect(s.maxValueLen).toBe(32 * 1024 * 1024);
    expect(s.maxKeyLen).toBe(1024);
    expect(s.maxTxEntries).toBe(1024);
    expect(s.maxActiveTransactions).toBe(1000);
    expect(s.syncFrequencyMs).toBe(20);
    expect(s.autoload).toBe(true);
    expect(s.replication.replica).toBe(false);
    expect(s.replication.primaryEpoch).toBe(1);
    expect(s.replication.syncAckTimeoutMs).toBe(10_000);
    expect([s.createdBy, s.createdAtMs, s.updatedBy, s.updatedAtMs]).toEqual(['immudb', by.atMs, 'immudb', by.atMs]);
  });

  it('a request header version overrides the server default', () => {
    expect(create({ writeTxHeaderVersion: 0 }).writeTxHeaderVersion).toBe(0);
  });

  it('a new replica starts at epoch 0 and gets buffer defaults', () => {
    const s = create({ replication: activeReplica });
    expect(s.replication.primaryEpoch).toBe(0);
    expect(s.replication.prefetchTxBufferSize).toBe(100);
    expect(s.replication.replicationCommitConcurrency).toBe(10);
  });

  it('trap fixed: a primary host without a port gets 3322 (immudb makes a silent passive replica)', () => {
    const s = create({ replication: activeReplica });
    expect(s.replication.primaryPort).toBe(3322);
    expect(isReplicatorRequired(s)).toBe(true);
    expect(create({ replication: { ...activeReplica, primaryPort: 0 } }).replication.primaryPort).toBe(3322);
    expect(create({ replication: { ...activeReplica, primaryPort: 4000 } }).replication.primaryPort).toBe(4000);
  });

  it('a replica without host and database is a legal passive replica', () => {
    const s = create({ replication: { replica: true } });
    expect(isReplicatorRequired(s)).toBe(false);
    expect(needsExternalCommitAllowance(s)).toBe(true);
  });
});

describe('validation (table)', () => {
  const cases: readonly [string, DatabaseSettingsUpdate, string][] = [
    ['replica host without database', { replication: { ...activeReplica, primaryDatabase: '' } }, 'primaryDatabase'],
    ['replica database without host', { replication: { ...activeReplica, primaryHost: '' } }, 'primaryHost'],
    ['replica without username', { replication: { ...activeReplica, primaryUsername: '' } }, 'primaryUsername'],
    ['replica without password', { replication: { ...activeReplica, primaryPassword: '' } }, 'primaryPassword'],
    ['passive replica with a port', { replication: { replica: true, primaryPort: 3322 } }, 'primaryPort'],
    ['passive replica with a username', { replication: { replica: true, primaryUsername: 'x' } }, 'primaryUsername'],
    ['replica port out of range', { replication: { ...activeReplica, primaryPort: 70000 } }, 'primaryPort'],
    ['replica host with a slash', { replication: { ...activeReplica, primaryHost: 'a/b' } }, 'primaryHost'],
    ['replica host with a space', { replication: { ...activeReplica, primaryHost: 'a b' } }, 'primaryHost'],
    ['replica with syncAcks', { replication: { ...activeReplica, syncAcks: 1 } }, 'syncAcks'],
    ['replica with a huge prefetch buffer', { replication: { ...activeReplica, prefetchTxBufferSize: 10_000_000 } }, 'prefetchTxBufferSize'],
    ['replica with negative concurrency', { replication: { ...activeReplica, replicationCommitConcurrency: -1 } }, 'replicationCommitConcurrency'],
    ['primary with a primary host', { replication: { primaryHost: 'h' } }, 'primaryHost'],
    ['primary with allowTxDiscarding', { replication: { allowTxDiscarding: true } }, 'allowTxDiscarding'],
    ['primary with skipIntegrityCheck', { replication: { skipIntegrityCheck: true } }, 'skipIntegrityCheck'],
    ['primary with waitForIndexing', { replication: { waitForIndexing: true } }, 'waitForIndexing'],
    ['primary with prefetch buffer', { replication: { prefetchTxBufferSize: 5 } }, 'prefetchTxBufferSize'],
    ['sync primary without acks', { replication: { syncReplication: true } }, 'syncAcks'],
    ['acks without sync', { replication: { syncAcks: 2 } }, 'syncReplication'],
    ['too many acks', { replication: { syncReplication: true, syncAcks: 1000 } }, 'syncAcks'],
    ['negative acks', { replication: { syncReplication: true, syncAcks: -1 } }, 'syncAcks'],
    ['fractional acks', { replication: { syncReplication: true, syncAcks: 1.5 } }, 'syncAcks'],
    ['zero ack timeout', { replication: { syncAckTimeoutMs: 0 } }, 'syncAckTimeoutMs'],
    ['negative epoch', { replication: { primaryEpoch: -1 } }, 'primaryEpoch'],
    ['header version 2', { writeTxHeaderVersion: 2 }, 'writeTxHeaderVersion'],
    ['v0 header with > 65535 entries', { writeTxHeaderVersion: 0, maxTxEntries: 70_000 }, 'maxTxEntries'],
    ['zero maxTxEntries', { maxTxEntries: 0 }, 'maxTxEntries'],
    ['key length above 1024', { maxKeyLen: 2048 }, 'maxKeyLen'],
    ['zero value length', { maxValueLen: 0 }, 'maxValueLen'],
    ['tiny file size', { fileSize: 10 }, 'fileSize'],
    ['file size at 2^31', { fileSize: 2 ** 31 }, 'fileSize'],
    ['zero active transactions', { maxActiveTransactions: 0 }, 'maxActiveTransactions'],
    ['zero sync frequency', { syncFrequencyMs: 0 }, 'syncFrequencyMs'],
    ['NaN file size', { fileSize: Number.NaN }, 'fileSize'],
  ];
  it.each(cases)('create refuses %s, naming the field', (_why, req, field) => {
    const err = settingsError(() => create(req));
    expect(err?.code).toBe('SETTINGS_INVALID');
    expect(err?.field).toBe(field);
    expect(err?.message).toContain(field);
  });

  it.each<[string, DatabaseSettingsUpdate]>([
    ['sync primary with acks', { replication: { syncReplication: true, syncAcks: 2 } }],
    ['sync replica', { replication: { ...activeReplica, syncReplication: true } }],
    ['replica with discarding', { replication: { ...activeReplica, allowTxDiscarding: true, waitForIndexing: true } }],
    ['v0 with 65535 entries', { writeTxHeaderVersion: 0, maxTxEntries: 65535 }],
    ['explicit empty replica-only fields on a primary', { replication: { primaryHost: '', primaryPort: 0, allowTxDiscarding: false } }],
  ])('create accepts %s', (_why, req) => {
    expect(settingsError(() => create(req))).toBeUndefined();
  });
});

describe('merge on update', () => {
  const replica = create({
    replication: { ...activeReplica, syncReplication: true, allowTxDiscarding: true, skipIntegrityCheck: true, waitForIndexing: true, prefetchTxBufferSize: 7 },
  });

  it('absent fields keep their value; updatedBy/At change, createdBy/At do not', () => {
    const s = updateDatabaseSettings(replica, { maxActiveTransactions: 5 }, later);
    expect(s.maxActiveTransactions).toBe(5);
    expect(s.replication).toEqual(replica.replication);
    expect([s.createdBy, s.createdAtMs, s.updatedBy, s.updatedAtMs]).toEqual(['immudb', by.atMs, 'admin', later.atMs]);
  });

  it('trap fixed: promotion clears every replica-only setting itself', () => {
    const s = updateDatabaseSettings(replica, { replication: { replica: false } }, later);
    const r = s.replication;
    expect(r.replica).toBe(false);
    expect([r.primaryHost, r.primaryDatabase, r.primaryUsername, r.primaryPassword, r.primaryPort]).toEqual(['', '', '', '', 0]);
    expect([r.allowTxDiscarding, r.skipIntegrityCheck, r.waitForIndexing]).toEqual([false, false, false]);
    expect([r.prefetchTxBufferSize, r.replicationCommitConcurrency]).toEqual([0, 0]);
    expect(isReplicatorRequired(s)).toBe(false);
  });

  it('promotion that says nothing about sync yields an async primary', () => {
    const s = updateDatabaseSettings(replica, { replication: { replica: false } }, later);
    expect([s.replication.syncReplication, s.replication.syncAcks]).toEqual([false, 0]);
    expect(needsExternalCommitAllowance(s)).toBe(false);
  });

  it('promotion to a sync primary', () => {
    const s = updateDatabaseSettings(replica, { replication: { replica: false, syncReplication: true, syncAcks: 1 } }, later);
    expect([s.replication.syncReplication, s.replication.syncAcks]).toEqual([true, 1]);
    expect(needsExternalCommitAllowance(s)).toBe(true);
  });

  it('promotion with acks but sync inherited from the sync replica works', () => {
    const s = updateDatabaseSettings(replica, { replication: { replica: false, syncAcks: 2 } }, later);
    expect([s.replication.syncReplication, s.replication.syncAcks]).toEqual([true, 2]);
  });

  it('promotion that also sets a replica-only field is contradictory', () => {
    const err = settingsError(() => updateDatabaseSettings(replica, { replication: { replica: false, primaryHost: 'x' } }, later));
    expect(err).toMatchObject({ code: 'SETTINGS_INVALID', field: 'primaryHost' });
  });

  it('epoch: a promotion takes max(requested, persisted + 1); no update ever lowers it', () => {
    const r = observePrimaryEpoch(replica, 4, later);
    expect(updateDatabaseSettings(r, { replication: { replica: false } }, later).replication.primaryEpoch).toBe(5);
    expect(updateDatabaseSettings(r, { replication: { replica: false, primaryEpoch: 9 } }, later).replication.primaryEpoch).toBe(9);
    // A requested minimum at or below the persisted epoch still yields persisted + 1.
    expect(updateDatabaseSettings(r, { replication: { replica: false, primaryEpoch: 4 } }, later).replication.primaryEpoch).toBe(5);
    expect(updateDatabaseSettings(r, { replication: { replica: false, primaryEpoch: 2 } }, later).replication.primaryEpoch).toBe(5);
    // Without a promotion: a floor, never a decrease.
    expect(updateDatabaseSettings(r, { replication: { primaryEpoch: 3 } }, later).replication.primaryEpoch).toBe(4);
    expect(updateDatabaseSettings(r, { replication: { primaryEpoch: 7 } }, later).replication.primaryEpoch).toBe(7);
    // A replica that never learned its primary's epoch (0) promoted with the failover's minimum.
    expect(updateDatabaseSettings(replica, { replication: { replica: false, primaryEpoch: 2 } }, later).replication.primaryEpoch).toBe(2);
    const primary = create({});
    expect(updateDatabaseSettings(primary, { maxActiveTransactions: 3 }, later).replication.primaryEpoch).toBe(1);
  });

  it('demotion keeps the epoch, resets acks when absent and defaults the port', () => {
    const primary = create({ replication: { syncReplication: true, syncAcks: 2 } });
    const s = updateDatabaseSettings(primary, { replication: activeReplica }, later);
    expect(s.replication).toMatchObject({ replica: true, syncAcks: 0, syncReplication: true, primaryPort: 3322, primaryEpoch: 1 });
    expect(isReplicatorRequired(s)).toBe(true);
  });

  it('demotion with explicit acks is contradictory', () => {
    const primary = create({ replication: { syncReplication: true, syncAcks: 2 } });
    expect(settingsError(() => updateDatabaseSettings(primary, { replication: { ...activeReplica, syncAcks: 2 } }, later))).toMatchObject({
      code: 'SETTINGS_INVALID',
      field: 'syncAcks',
    });
  });

  it('trap fixed: turning sync off also turns the acks off', () => {
    const primary = create({ replication: { syncReplication: true, syncAcks: 2 } });
    const s = updateDatabaseSettings(primary, { replication: { syncReplication: false } }, later);
    expect([s.replication.syncReplication, s.replication.syncAcks]).toEqual([false, 0]);
  });

  it('lowering the ack quorum of a sync primary is a plain update', () => {
    const primary = create({ replication: { syncReplication: true, syncAcks: 2 } });
    expect(updateDatabaseSettings(primary, { replication: { syncAcks: 1 } }, later).replication.syncAcks).toBe(1);
    expect(settingsError(() => updateDatabaseSettings(primary, { replication: { syncAcks: 0 } }, later))).toMatchObject({ field: 'syncAcks' });
  });

  it('repointing a replica: a new host keeps the old port, incomplete repoint refused', () => {
    const r = create({ replication: { ...activeReplica, primaryPort: 4000 } });
    expect(updateDatabaseSettings(r, { replication: { primaryHost: '10.0.0.2' } }, later).replication.primaryPort).toBe(4000);
    expect(settingsError(() => updateDatabaseSettings(r, { replication: { primaryDatabase: '' } }, later))).toMatchObject({
      field: 'primaryDatabase',
    });
  });

  it.each(['fileSize', 'maxKeyLen', 'maxValueLen', 'maxTxEntries', 'writeTxHeaderVersion'] as const)(
    'permanent %s cannot change after creation (same value is fine)',
    (field) => {
      const s = create({});
      const other = field === 'writeTxHeaderVersion' ? 0 : s[field] - 1;
      const err = settingsError(() => updateDatabaseSettings(s, { [field]: other }, later));
      expect(err).toMatchObject({ code: 'SETTINGS_INVALID', field });
      expect(err?.message).toContain('can not be changed after database creation');
      expect(settingsError(() => updateDatabaseSettings(s, { [field]: s[field] }, later))).toBeUndefined();
    },
  );

  it('changeable settings change', () => {
    const s = updateDatabaseSettings(create({}), { excludeCommitTime: true, autoload: false, syncFrequencyMs: 5 }, later);
    expect([s.excludeCommitTime, s.autoload, s.syncFrequencyMs]).toEqual([true, false, 5]);
  });
});

describe('epoch observation (fencing)', () => {
  const r = create({ replication: activeReplica });
  it('raises, keeps, refuses older', () => {
    const raised = observePrimaryEpoch(r, 3, later);
    expect(raised.replication.primaryEpoch).toBe(3);
    expect(observePrimaryEpoch(raised, 3, later)).toBe(raised);
    expect(settingsError(() => observePrimaryEpoch(raised, 2, later))?.code).toBe('REPLICATION_STALE_EPOCH');
  });
});

describe('reserved databases and legacy settings', () => {
  it('systemdb/defaultdb follow the server flags and replicate the same name', () => {
    const s = reservedDatabaseSettings('defaultdb', server, {
      replica: true,
      primaryHost: 'p',
      primaryUsername: 'u',
      primaryPassword: 'pw',
    });
    expect(s.replication).toMatchObject({ replica: true, primaryDatabase: 'defaultdb', primaryPort: 3322 });
    expect(reservedDatabaseSettings('systemdb', server, { replica: false }).replication.replica).toBe(false);
    expect(settingsError(() => reservedDatabaseSettings('systemdb', server, { replica: false, primaryHost: 'x' }))?.field).toBe('primaryHost');
  });

  it('the legacy flat message converts, zero numbers meaning absent', () => {
    const u = updateFromLegacySettings({
      replica: false, primaryDatabase: '', primaryHost: '', primaryPort: 0, primaryUsername: '', primaryPassword: '',
      fileSize: 0, maxKeyLen: 0, maxValueLen: 0, maxTxEntries: 100, excludeCommitTime: true,
    });
    const s = create(u);
    expect([s.maxTxEntries, s.fileSize, s.excludeCommitTime]).toEqual([100, 512 * 1024 * 1024, true]);
  });

  it('redaction hides the replication password', () => {
    const s = create({ replication: activeReplica });
    expect(redactSettings(s).replication.primaryPassword).toBe('[redacted]');
    expect(JSON.stringify(redactSettings(s))).not.toContain('secret');
  });
});

describe('JSON persistence', () => {
  it('uses immudb field names, adds ours, round-trips', () => {
    const s = create({ replication: { ...activeReplica, allowTxDiscarding: true }, autoload: false });
    const doc = JSON.parse(settingsToJson('mydb', s).toString()) as Record<string, unknown>;
    expect(doc).toMatchObject({
      database: 'mydb', replica: true, masterDatabase: 'db', masterAddress: '10.0.0.1', masterPort: 3322,
      followerUsername: 'rep', followerPassword: 'secret', syncAcks: 0, prefetchTxBufferSize: 100,
      replicationCommitConcurrency: 10, allowTxDiscarding: true, autoload: 2, syncFrequency: 20,
      writeTxHeaderVersion: 1, primaryEpoch: 0, syncAckTimeoutMs: 10_000, createdBy: 'immudb',
      createdAt: new Date(by.atMs).toISOString(),
    });
    const back = settingsFromJson(settingsToJson('mydb', s), server);
    expect(back.database).toBe('mydb');
    expect(back.settings).toEqual(s);
  });

  it('reads an immudb document: missing fields default, unknown fields survive a rewrite, Go times parse', () => {
    const immudbDoc = {
      database: 'old', replica: false, syncReplication: false, masterDatabase: '', masterAddress: '', masterPort: 0,
      followerUsername: '', followerPassword: '', syncAcks: 0, fileSize: 1 << 26, maxKeyLen: 512, maxValueLen: 4096,
      maxTxEntries: 1024, excludeCommitTime: false, autoload: 0, embeddedValues: true, maxConcurrency: 30,
      indexOptions: { cacheSize: 100 }, createdBy: 'immudb', createdAt: '2024-01-02T03:04:05.123456789+01:00',
      updatedAt: '0001-01-01T00:00:00Z',
    };
    const { settings } = settingsFromJson(Buffer.from(JSON.stringify(immudbDoc)), { writeTxHeaderVersion: 0 });
    expect(settings.fileSize).toBe(1 << 26);
    expect(settings.maxKeyLen).toBe(512);
    expect(settings.writeTxHeaderVersion).toBe(0);
    expect(settings.autoload).toBe(true);
    expect(settings.replication.syncAckTimeoutMs).toBe(10_000);
    expect(settings.createdAtMs).toBe(Date.parse('2024-01-02T02:04:05.123Z'));
    expect(settings.updatedAtMs).toBeUndefined();
    const rewritten = JSON.parse(settingsToJson('old', settings).toString()) as Record<string, unknown>;
    expect(rewritten['indexOptions']).toEqual({ cacheSize: 100 });
    expect(rewritten['embeddedValues']).toBe(true);
    expect(rewritten['updatedAt']).toBe('0001-01-01T00:00:00Z');
  });

  it.each([
    ['not JSON', '{'],
    ['an array', '[]'],
    ['a string replica flag', '{"replica":"yes"}'],
    ['a string port', '{"masterPort":"3322"}'],
    ['header version 7', '{"writeTxHeaderVersion":7}'],
    ['a bad time', '{"createdAt":"yesterday"}'],
  ])('a stored document that is %s is CORRUPTED_DATA', (_why, text) => {
    expect(settingsError(() => settingsFromJson(Buffer.from(text), server))?.code).toBe('CORRUPTED_DATA');
  });

  it('defaults are a valid settings object', () => {
    expect(settingsError(() => updateDatabaseSettings(defaultDatabaseSettings(server), {}, later))).toBeUndefined();
  });
});
