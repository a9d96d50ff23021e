// Settings and control-plane conversions through the real wire codec: DatabaseNullableSettings keeps
// "absent" apart from "zero", updates round-trip, effective settings carry every immudb field, the
// legacy flat DatabaseSettings maps through settings-sources, and UserList, DatabaseList(V2),
// ServerInfo, Health and ChangePermission encode as immudb clients expect.
import { describe, expect, it } from 'vitest';
import { ImmuError } from '../../common/errors.js';
import type { DatabaseInfo, UserInfo } from '../../server/node-api.js';
import { defaultDatabaseSettings, type DatabaseSettingsUpdate } from '../../server/settings.js';
import { toUint } from '../convert.js';
import type {
  ChangePermissionRequestMsg,
  DatabaseListResponseMsg,
  DatabaseListResponseV2Msg,
  DatabaseNullableSettingsMsg,
  DatabaseSettingsMsg,
  ServerInfoResponseMsg,
  UserListMsg,
} from '../proto-types.js';
import {
  databaseListToProto,
  databaseListV2ToProto,
  healthToProto,
  permissionActionFromProto,
  serverInfoToProto,
  userListToProto,
} from './convert-server.js';
import { legacySettingsFromProto, legacySettingsToProto, settingsToProto, settingsUpdateFromProto, settingsUpdateToProto } from './convert-settings.js';
import { throughWire } from './testing/wire.js';

const S = 'immudb.schema.';
const nullable = (init: object): DatabaseNullableSettingsMsg => throughWire<DatabaseNullableSettingsMsg>(`${S}DatabaseNullableSettings`, init);

describe('DatabaseNullableSettings', () => {
  it('absent wrappers are absent fields; a present zero is a zero', () => {
    expect(settingsUpdateFromProto(nullable({}))).toEqual({});
    expect(settingsUpdateFromProto(null)).toEqual({});
    expect(settingsUpdateFromProto(nullable({ writeTxHeaderVersion: {} }))).toEqual({ writeTxHeaderVersion: 0 });
    expect(settingsUpdateFromProto(nullable({ excludeCommitTime: {}, replicationSettings: { replica: {} } }))).toEqual({
      excludeCommitTime: false,
      replication: { replica: false },
    });
    expect(settingsUpdateFromProto(nullable({ replicationSettings: {} }))).toEqual({});
  });

  it('an update round-trips, every replication field included', () => {
    const update: DatabaseSettingsUpdate = {
      replication: {
        replica: true,
        primaryDatabase: 'db',
        primaryHost: 'primary.example',
        primaryPort: 3322,
        primaryUsername: 'repl',
        primaryPassword: 'secret',
        syncReplication: true,
        syncAcks: 0,
        prefetchTxBufferSize: 50,
        replicationCommitConcurrency: 4,
        allowTxDiscarding: true,
        skipIntegrityCheck: false,
        waitForIndexing: true,
      },
      fileSize: 1 << 20,
      maxKeyLen: 512,
      maxValueLen: 1 << 16,
      maxTxEntries: 100,
      writeTxHeaderVersion: 0,
      excludeCommitTime: true,
      autoload: false,
    };
    expect(settingsUpdateFromProto(nullable(settingsUpdateToProto(update)))).toEqual(update);
  });

  it('store tuning fields immudb-ts does not have are accepted and ignored', () => {
    expect(settingsUpdateFromProto(nullable({ maxConcurrency: { value: 4 }, indexSettings: { cacheSize: { value: 10 } }, maxKeyLen: { value: 9 } }))).toEqual({ maxKeyLen: 9 });
  });

  it('effective settings carry every immudb field plus our extension fields 1001 and 1002', () => {
    const s = defaultDatabaseSettings({ writeTxHeaderVersion: 0 });
    const back = settingsUpdateFromProto(nullable(settingsToProto({ ...s, replication: { ...s.replication, primaryEpoch: 2 ** 40, syncAckTimeoutMs: 2_500 } })));
    expect(back).toMatchObject({ writeTxHeaderVersion: 0, fileSize: s.fileSize, maxKeyLen: s.maxKeyLen, maxTxEntries: s.maxTxEntries, autoload: true });
    expect(Object.keys(back.replication ?? {}).sort()).toHaveLength(15);
    expect(back.replication).toMatchObject({ primaryEpoch: 2 ** 40, syncAckTimeoutMs: 2_500 });
  });

  it('a request without our extension fields leaves them absent (an immudb client keeps the current values)', () => {
    const back = settingsUpdateFromProto(nullable({ replicationSettings: { replica: { value: false } } }));
    expect(back.replication).toEqual({ replica: false });
  });
});

describe('legacy DatabaseSettings', () => {
  it('CreateDatabaseWith: zero numbers are "not given"; a replica carries its primary', () => {
    const msg = throughWire<DatabaseSettingsMsg>(`${S}DatabaseSettings`, {
      databaseName: 'db1',
      replica: true,
      primaryDatabase: 'src',
      primaryHost: 'h',
      primaryPort: 3322,
      primaryUsername: 'u',
      primaryPassword: 'p',
      maxKeyLen: 256,
    });
    const { name, settings } = legacySettingsFromProto(msg);
    expect(name).toBe('db1');
    expect(settings).toEqual({
      replication: { replica: true, primaryDatabase: 'src', primaryHost: 'h', primaryPort: 3322, primaryUsername: 'u', primaryPassword: 'p' },
      maxKeyLen: 256,
      excludeCommitTime: false,
    });
  });

  it('an empty database name is refused; GetDatabaseSettings encodes the flat message', () => {
    expect(() => legacySettingsFromProto(throughWire<DatabaseSettingsMsg>(`${S}DatabaseSettings`, {}))).toThrow(ImmuError);
    const s = defaultDatabaseSettings({ writeTxHeaderVersion: 1 });
    const flat = throughWire<DatabaseSettingsMsg>(`${S}DatabaseSettings`, legacySettingsToProto('db1', s));
    expect(flat).toMatchObject({ databaseName: 'db1', replica: false, maxKeyLen: s.maxKeyLen, fileSize: s.fileSize, maxTxEntries: s.maxTxEntries });
  });
});

describe('control-plane replies', () => {
  it('UserList', () => {
    const users: UserInfo[] = [{ username: 'alice', permissions: [{ database: 'db1', permission: 2 }], createdBy: 'immudb', createdAt: '2024-01-01 00:00:00', active: true }];
    const msg = throughWire<UserListMsg>(`${S}UserList`, userListToProto(users));
    expect(msg.users[0]?.user.toString()).toBe('alice');
    expect(msg.users[0]).toMatchObject({ permissions: [{ database: 'db1', permission: 2 }], createdby: 'immudb', createdat: '2024-01-01 00:00:00', active: true });
  });

  it('DatabaseList and DatabaseListV2', () => {
    const info: DatabaseInfo = {
      name: 'db1',
      settings: defaultDatabaseSettings({ writeTxHeaderVersion: 1 }),
      loaded: true,
      diskSizeBytes: 4096,
      numTransactions: 12,
      createdAtMs: 1_700_000_000_999,
      createdBy: 'immudb',
    };
    expect(throughWire<DatabaseListResponseMsg>(`${S}DatabaseListResponse`, databaseListToProto([info])).databases.map((d) => d.databaseName)).toEqual(['db1']);
    const v2 = throughWire<DatabaseListResponseV2Msg>(`${S}DatabaseListResponseV2`, databaseListV2ToProto([info])).databases[0];
    expect(v2?.name).toBe('db1');
    expect(v2?.loaded).toBe(true);
    expect(toUint(v2?.diskSize, 'test')).toBe(4096);
    expect(toUint(v2?.numTransactions, 'test')).toBe(12);
    expect(toUint(v2?.created_at, 'test')).toBe(1_700_000_000);
    expect(v2?.settings?.writeTxHeaderVersion?.value).toBe(1);
  });

  it('ServerInfo (seconds) and Health', () => {
    const msg = throughWire<ServerInfoResponseMsg>(
      `${S}ServerInfoResponse`,
      serverInfoToProto({ version: '1.0', startedAtMs: 1_700_000_000_500, numTransactions: 7, numDatabases: 2, databasesDiskSizeBytes: 10 }),
    );
    expect(toUint(msg.startedAt, 'test')).toBe(1_700_000_000);
    expect(msg.numDatabases).toBe(2);
    expect(toUint(msg.databasesDiskSize, 'test')).toBe(10);
    expect(healthToProto('1.0')).toEqual({ status: true, version: '1.0' });
  });

  it('ChangePermission actions', () => {
    const grant = throughWire<ChangePermissionRequestMsg>(`${S}ChangePermissionRequest`, { action: 0 });
    const revoke = throughWire<ChangePermissionRequestMsg>(`${S}ChangePermissionRequest`, { action: 1 });
    expect(permissionActionFromProto(grant)).toBe('grant');
    expect(permissionActionFromProto(revoke)).toBe('revoke');
    expect(() => permissionActionFromProto({ ...grant, action: 7 })).toThrow(ImmuError);
  });
});
