// Many databases on one node, over real gRPC: create (legacy, With, V2, ifNotExists), list V1/V2, use,
// update V2 (permanent settings refused), unload/load, delete only when unloaded, settings surviving a
// restart; the session auth model (OpenSession/KeepAlive/CloseSession with `sessionid`); and a signed
// CurrentState when the server has a signing key.
import { Metadata, status } from '@grpc/grpc-js';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../common/log.js';
import { verifyStateSignature } from '../proof/state-signature.js';
import { bearer, header, rawClient, rejection, type RawClient } from './testing/raw-client.js';
import { startServer, type RunningServer } from './server-main.js';

let dir: string;
let server: RunningServer;
let raw: RawClient;
const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });

async function boot(): Promise<string> {
  server = await startServer({
    dir: join(dir, 'data'),
    address: '127.0.0.1',
    port: 0,
    logger: silentLogger(),
    adminPassword: 'immudb',
    metricsServer: false,
    signingKey: signingKey.privateKey,
    hashWorkers: 0,
  });
  raw = rawClient(server.port);
  return (await raw.call<{ token: string }>('Login', { user: Buffer.from('immudb'), password: Buffer.from('immudb') })).token;
}

async function shutdown(): Promise<void> {
  raw.close();
  await server.stop();
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'immudb-lifecycle-'));
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
});

describe('database lifecycle', () => {
  it('creates, lists, updates, unloads, deletes, and keeps settings across a restart', async () => {
    let token = await boot();
    const md = (): Metadata => bearer(token);
    await raw.call('CreateDatabase', { databaseName: 'legacy' }, md());
    await raw.call('CreateDatabaseWith', { databaseName: 'withdb', maxKeyLen: 256 }, md());
    const v2 = await raw.call<{ name: string; alreadyExisted: boolean }>(
      'CreateDatabaseV2',
      { name: 'MixedCase', settings: { maxValueLen: { value: 4096 }, writeTxHeaderVersion: { value: 0 } } },
      md(),
    );
    expect(v2.name).toBe('mixedcase');
    expect((await rejection(raw.call('CreateDatabaseV2', { name: 'mixedcase', settings: {} }, md()))).code).toBe(status.ALREADY_EXISTS);
    const again = await raw.call<{ alreadyExisted: boolean }>('CreateDatabaseV2', { name: 'mixedcase', settings: {}, ifNotExists: true }, md());
    expect(again.alreadyExisted).toBe(true);

    const v1 = await raw.call<{ databases: { databaseName: string }[] }>('DatabaseList', {}, md());
    expect(v1.databases.map((d) => d.databaseName).sort()).toEqual(['defaultdb', 'legacy', 'mixedcase', 'withdb']);

    // permanent settings cannot change; changeable ones do
    const perm = await rejection(raw.call('UpdateDatabaseV2', { database: 'withdb', settings: { maxKeyLen: { value: 100 } } }, md()));
    expect(perm.code).toBe(status.INVALID_ARGUMENT);
    await raw.call('UpdateDatabaseV2', { database: 'withdb', settings: { excludeCommitTime: { value: true } } }, md());

    // write something, then unload: the database refuses use; delete refuses while loaded
    const use = await raw.call<{ token: string }>('UseDatabase', { databaseName: 'mixedcase' }, md());
    await raw.call('Set', { KVs: [{ key: Buffer.from('k'), value: Buffer.from('v') }] }, bearer(use.token));
    expect((await rejection(raw.call('DeleteDatabase', { database: 'mixedcase' }, md()))).code).toBe(status.FAILED_PRECONDITION);
    await raw.call('UnloadDatabase', { database: 'mixedcase' }, md());
    expect((await rejection(raw.call('UseDatabase', { databaseName: 'mixedcase' }, md()))).code).toBe(status.FAILED_PRECONDITION);
    const listed = await raw.call<{ databases: { name: string; loaded: boolean }[] }>('DatabaseListV2', {}, md());
    expect(listed.databases.find((d) => d.name === 'mixedcase')?.loaded).toBe(false);
    await raw.call('LoadDatabase', { database: 'mixedcase' }, md());
    await raw.call('UnloadDatabase', { database: 'legacy' }, md());
    await raw.call('DeleteDatabase', { database: 'legacy' }, md());
    expect(existsSync(join(dir, 'data', 'legacy'))).toBe(false);
    expect((await rejection(raw.call('UnloadDatabase', { database: 'defaultdb' }, md()))).code).toBe(status.PERMISSION_DENIED);

    await shutdown();
    token = await boot();
    const after = await raw.call<{ databases: { name: string; settings: { maxValueLen?: { value: number }; writeTxHeaderVersion?: { value: number }; excludeCommitTime?: { value: boolean } } }[] }>(
      'DatabaseListV2',
      {},
      md(),
    );
    expect(after.databases.map((d) => d.name).sort()).toEqual(['defaultdb', 'mixedcase', 'withdb']);
    const mixed = after.databases.find((d) => d.name === 'mixedcase');
    expect(mixed?.settings.maxValueLen?.value).toBe(4096);
    expect(mixed?.settings.writeTxHeaderVersion?.value).toBe(0);
    expect(after.databases.find((d) => d.name === 'withdb')?.settings.excludeCommitTime?.value).toBe(true);
    const use2 = await raw.call<{ token: string }>('UseDatabase', { databaseName: 'mixedcase' }, md());
    const got = await raw.call<{ value: Buffer }>('Get', { key: Buffer.from('k') }, bearer(use2.token));
    expect(got.value.toString()).toBe('v');
    await shutdown();
  });
});

describe('sessions and signed state', () => {
  it('opens a session, keeps it alive, serves calls by sessionid, and closes it', async () => {
    await boot();
    try {
      const s = await raw.call<{ sessionID: string; serverUUID: string }>('OpenSession', {
        username: Buffer.from('immudb'),
        password: Buffer.from('immudb'),
        databaseName: 'defaultdb',
      });
      expect(s.serverUUID).toBe(server.node.serverUuid);
      const md = (): Metadata => header('sessionid', s.sessionID);
      await raw.call('KeepAlive', {}, md());
      await raw.call('Set', { KVs: [{ key: Buffer.from('sk'), value: Buffer.from('sv') }] }, md());
      const st = await raw.call<{ db: string; txId: { toNumber(): number }; txHash: Buffer; signature: { signature: Buffer; publicKey: Buffer } }>('CurrentState', {}, md());
      expect(st.db).toBe('defaultdb');
      expect(verifyStateSignature(signingKey.publicKey, st.db, st.txId.toNumber(), st.txHash, st.signature.signature)).toBe(true);
      expect(verifyStateSignature(signingKey.publicKey, st.db, st.txId.toNumber() + 1, st.txHash, st.signature.signature)).toBe(false);
      await raw.call('CloseSession', {}, md());
      expect((await rejection(raw.call('KeepAlive', {}, md()))).code).toBe(status.UNAUTHENTICATED);
      const wrong = await rejection(
        raw.call('OpenSession', { username: Buffer.from('immudb'), password: Buffer.from('x'), databaseName: 'defaultdb' }),
      );
      expect(wrong.code).toBe(status.UNAUTHENTICATED);
    } finally {
      await shutdown();
    }
  });
});
