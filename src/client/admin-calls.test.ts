// Every admin call once against a real in-process server (token auth, as immuadmin uses): users and
// permissions, the database lifecycle in its legacy, With and V2 forms with every replication field,
// settings round trips, index maintenance (UNIMPLEMENTED accepted) and our ReplicationStatus.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImmuError } from '../common/errors.js';
import type { ImmuClient } from './immu-client.js';
import { adminPassword, startTestServer, type TestServer } from './testing/test-server.js';
import { Permission } from './types.js';

let ts: TestServer;
let admin: ImmuClient;
beforeAll(async () => {
  ts = await startTestServer();
  admin = ts.client();
  await admin.login('immudb', adminPassword, 'defaultdb');
});
afterAll(async () => {
  await ts.stop();
});

describe('users', () => {
  it('create, list, change password, grant and revoke, deactivate', async () => {
    await admin.createUser('alice', 'Alice-pw-1234!', Permission.READ_WRITE, 'defaultdb');
    await expect(admin.createUser('alice', 'Alice-pw-1234!', Permission.READ, 'defaultdb')).rejects.toSatisfy((e) => isImmuError(e, 'USER_EXISTS'));
    const users = await admin.listUsers();
    const alice = users.find((u) => u.user === 'alice');
    expect(alice?.active).toBe(true);
    expect(alice?.createdBy).toBe('immudb');
    expect(alice?.permissions).toContainEqual({ database: 'defaultdb', permission: Permission.READ_WRITE });

    const a = ts.client();
    await a.openSession('alice', 'Alice-pw-1234!', 'defaultdb');
    await a.set(Buffer.from('alice-key'), Buffer.from('v'));
    await a.closeSession();

    await admin.changePassword('alice', '', 'Alice-pw-5678!');
    await expect(ts.client().openSession('alice', 'Alice-pw-1234!')).rejects.toSatisfy((e) => isImmuError(e, 'INVALID_CREDENTIALS'));
    await admin.changePermission('revoke', 'alice', 'defaultdb', Permission.READ_WRITE);
    await admin.changePermission('grant', 'alice', 'defaultdb', Permission.READ);
    const reader = ts.client();
    await reader.openSession('alice', 'Alice-pw-5678!', 'defaultdb');
    await expect(reader.set(Buffer.from('alice-key'), Buffer.from('w'))).rejects.toSatisfy((e) => isImmuError(e, 'PERMISSION_DENIED'));
    await reader.closeSession();
    await admin.setActiveUser('alice', false);
    expect((await admin.listUsers()).find((u) => u.user === 'alice')?.active).toBe(false);
  });
});

describe('databases', () => {
  it('legacy create, createWith, V2 create with every replication field, list V1/V2', async () => {
    await admin.createDatabase('legacydb');
    await admin.createDatabaseWith({ databaseName: 'withdb', maxKeyLen: 512 });
    const created = await admin.createDatabaseV2('replicadb', {
      maxValueLen: 4096,
      autoload: true,
      replication: {
        replica: true,
        primaryHost: '127.0.0.1',
        primaryPort: 1,
        primaryDatabase: 'defaultdb',
        primaryUsername: 'immudb',
        primaryPassword: 'secret-pw',
        syncReplication: false,
        syncAcks: 0,
        prefetchTxBufferSize: 50,
        replicationCommitConcurrency: 5,
        allowTxDiscarding: true,
        skipIntegrityCheck: false,
        waitForIndexing: true,
      },
    });
    expect(created.name).toBe('replicadb');
    expect(created.alreadyExisted).toBe(false);
    expect(created.settings.replication).toMatchObject({ replica: true, primaryHost: '127.0.0.1', primaryPort: 1, prefetchTxBufferSize: 50, allowTxDiscarding: true, waitForIndexing: true });
    expect((await admin.createDatabaseV2('replicadb', {}, true)).alreadyExisted).toBe(true);
    await expect(admin.createDatabase('legacydb')).rejects.toSatisfy((e) => isImmuError(e, 'DATABASE_EXISTS'));

    const names = await admin.listDatabases();
    expect(names).toEqual(expect.arrayContaining(['defaultdb', 'legacydb', 'withdb', 'replicadb']));
    const infos = await admin.listDatabasesV2();
    const withdb = infos.find((d) => d.name === 'withdb');
    expect(withdb?.loaded).toBe(true);
    expect(withdb?.settings.maxKeyLen).toBe(512);
  });

  it('settings of the selected database, update V2, unload, load, delete', async () => {
    await admin.useDatabase('withdb');
    const settings = await admin.getDatabaseSettings();
    expect(settings.database).toBe('withdb');
    expect(settings.settings.maxKeyLen).toBe(512);
    await admin.useDatabase('defaultdb');
    const updated = await admin.updateDatabase('withdb', { autoload: false });
    expect(updated.settings.autoload).toBe(false);
    expect(updated.settings.maxKeyLen).toBe(512);
    expect(await admin.unloadDatabase('legacydb')).toBe('legacydb');
    expect((await admin.listDatabasesV2()).find((d) => d.name === 'legacydb')?.loaded).toBe(false);
    expect(await admin.loadDatabase('legacydb')).toBe('legacydb');
    await admin.unloadDatabase('legacydb');
    expect(await admin.deleteDatabase('legacydb')).toBe('legacydb');
    expect(await admin.listDatabases()).not.toContain('legacydb');
  });

  it('flushIndex and compactIndex', async () => {
    const unimplementedIsFine = (e: unknown): void => {
      if (!isImmuError(e, 'UNIMPLEMENTED')) throw e;
    };
    await admin.flushIndex(0, true).then((db) => expect(db).toBe('defaultdb'), unimplementedIsFine);
    await admin.compactIndex().catch(unimplementedIsFine);
  });

  it('replicationStatus reports each database role', async () => {
    const status = await admin.replicationStatus();
    expect(status.serverUuid).toBe(admin.serverUuid);
    const def = status.databases.find((d) => d.database === 'defaultdb');
    expect(def?.role).toBe('primary');
    const replica = (await admin.replicationStatus('replicadb')).databases[0];
    expect(replica?.role).toBe('replica');
    expect(replica?.primaryHost).toBe('127.0.0.1');
  });
});
