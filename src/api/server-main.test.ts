// End to end over real gRPC on loopback: the assembled server (node + handlers + metrics) with the
// official immudb-node@1.1.1 SDK as a client, plus the bad inputs issue 3 names: wrong passwords,
// path-traversal names, unknown databases, missing permissions, oversize messages, writes to a replica.
import { Client, credentials, Metadata, status, type MethodDefinition } from '@grpc/grpc-js';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../common/log.js';
import { loadProtos } from './proto-loader.js';
import { bearer, rawClient, rejection, type RawClient } from './testing/raw-client.js';
import { startServer, type RunningServer } from './server-main.js';

let dir: string;
let server: RunningServer;
let raw: RawClient;
let adminToken: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'immudb-server-'));
  server = await startServer({
    dir: join(dir, 'data'),
    address: '127.0.0.1',
    port: 0,
    logger: silentLogger(),
    adminPassword: 'immudb',
    metricsServer: true,
    metricsPort: 0,
    // the official Node SDK verifies only header-version-0 transactions (node-sdk spec 5.5)
    writeTxHeaderVersion: 0,
    recvMessageBytesMax: 1024 * 1024,
    hashWorkers: 0,
  });
  raw = rawClient(server.port, { 'grpc.max_send_message_length': 64 * 1024 * 1024 });
  adminToken = (await raw.call<{ token: string }>('Login', { user: Buffer.from('immudb'), password: Buffer.from('immudb') })).token;
});

afterAll(async () => {
  raw.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the official immudb-node SDK', () => {
  it('logs in, creates and uses a v0 database, and verifies every proof with its own code', async () => {
    const mod = (await import('immudb-node')) as unknown as { default: { default?: unknown } };
    const Ctor = (mod.default.default ?? mod.default) as new (cfg: object) => Record<string, (arg?: object) => Promise<unknown>>;
    const errors: unknown[] = [];
    const origError = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      const c = new Ctor({ host: '127.0.0.1', port: server.port, rootPath: join(dir, 'sdk-state') });
      const login = (await c['login']?.({ user: 'immudb', password: 'immudb' })) as { warning?: Uint8Array };
      expect(Buffer.from(login.warning ?? []).toString()).toMatch(/default password/);
      await c['createDatabase']?.({ databasename: 'sdkdb' });
      await c['useDatabase']?.({ databasename: 'sdkdb' });
      expect(await c['verifiedSet']?.({ key: 'k1', value: 'v1' })).toBeTruthy();
      expect(await c['verifiedSet']?.({ key: 'k1', value: 'v2' })).toBeTruthy();
      const got = (await c['verifiedGet']?.({ key: 'k1' })) as { value: string };
      expect(got.value).toBe('v2');
      expect(await c['verifiedTxById']?.({ tx: 1 })).toBeTruthy();
      const hist = (await c['history']?.({ key: 'k1' })) as { entriesList: { value: string }[] };
      expect(hist.entriesList.map((e) => e.value)).toEqual(['v1', 'v2']);
      expect(await c['verifiedZAdd']?.({ set: 'scores', score: 2.5, key: 'k1' })).toBeTruthy();
      const z = (await c['zScan']?.({ set: 'scores' })) as { entriesList: { key: string; score: number }[] };
      expect(z.entriesList).toHaveLength(1);
      expect(await c['verifiedSetReference']?.({ key: 'ref1', referencedKey: 'k1' })).toBeTruthy();
      const viaRef = (await c['verifiedGet']?.({ key: 'ref1' })) as { value: string };
      expect(viaRef.value).toBe('v2');
      const scanned = (await c['scan']?.({ prefix: 'k' })) as { entriesList: unknown[] };
      expect(scanned.entriesList).toHaveLength(1);
      await c['logout']?.();
      const afterLogout = await c['get']?.({ key: 'k1' }).then(
        () => 'resolved',
        () => 'rejected',
      );
      expect(afterLogout).toBe('rejected');
    } finally {
      console.error = origError;
    }
    expect(errors.filter((e) => !String(e).includes('Logout') && !String(e).includes('not logged in') && !String(e).includes('UNAUTHENTICATED'))).toEqual([]);
  });
});

describe('bad input gets a typed status and changes nothing', () => {
  it('wrong passwords and unknown users look the same, and repeated failures are throttled', async () => {
    const wrong = await rejection(raw.call('Login', { user: Buffer.from('immudb'), password: Buffer.from('nope') }));
    const unknown = await rejection(raw.call('Login', { user: Buffer.from('ghost'), password: Buffer.from('nope') }));
    expect(wrong.code).toBe(status.UNAUTHENTICATED);
    expect(unknown.code).toBe(wrong.code);
    expect(unknown.details).toBe(wrong.details);
    const codes = new Map<number, number>();
    for (let i = 0; i < 1000; i++) {
      const e = await rejection(raw.call('Login', { user: Buffer.from('immudb'), password: Buffer.from(`bad${i}`) }));
      codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
    }
    expect(codes.get(status.RESOURCE_EXHAUSTED) ?? 0).toBeGreaterThan(950);
    expect([...codes.keys()].every((c) => c === status.UNAUTHENTICATED || c === status.RESOURCE_EXHAUSTED)).toBe(true);
  }, 120_000);

  it.each(['../evil', '..', 'a/b', 'a\\b', '/abs', 'x\u0000y', 'systemdb', 'DEFAULTDB', '', 'a'.repeat(129), 'dot.name'])(
    'refuses database name %j without touching the filesystem',
    async (name) => {
      const before = readdirSync(dir).sort();
      const beforeData = readdirSync(join(dir, 'data')).sort();
      const e = await rejection(raw.call('CreateDatabaseV2', { name, settings: {} }, bearer(adminToken)));
      // reserved names are PERMISSION_DENIED (DATABASE_RESERVED); the rest INVALID_ARGUMENT (DATABASE_NAME_INVALID)
      expect([status.INVALID_ARGUMENT, status.PERMISSION_DENIED]).toContain(e.code);
      expect(readdirSync(dir).sort()).toEqual(before);
      expect(readdirSync(join(dir, 'data')).sort()).toEqual(beforeData);
      expect(existsSync(join(dir, 'evil'))).toBe(false);
    },
  );

  it('an unknown database is NOT_FOUND', async () => {
    const e = await rejection(raw.call('UseDatabase', { databaseName: 'nosuchdb' }, bearer(adminToken)));
    expect(e.code).toBe(status.NOT_FOUND);
  });

  it('calls without a login are UNAUTHENTICATED, a stale token too', async () => {
    expect((await rejection(raw.call('Get', { key: Buffer.from('k') }))).code).toBe(status.UNAUTHENTICATED);
    expect((await rejection(raw.call('Get', { key: Buffer.from('k') }, bearer('forged')))).code).toBe(status.UNAUTHENTICATED);
  });

  it('a read-only user cannot write; a password change ends that user’s tokens at once', async () => {
    const md = bearer(adminToken);
    await raw.call('CreateUser', { user: Buffer.from('reader'), password: Buffer.from('Reader1!pw'), permission: 1, database: 'defaultdb' }, md);
    const login = await raw.call<{ token: string }>('Login', { user: Buffer.from('reader'), password: Buffer.from('Reader1!pw') });
    const use = await raw.call<{ token: string }>('UseDatabase', { databaseName: 'defaultdb' }, bearer(login.token));
    const e = await rejection(raw.call('Set', { KVs: [{ key: Buffer.from('k'), value: Buffer.from('v') }] }, bearer(use.token)));
    expect(e.code).toBe(status.PERMISSION_DENIED);
    await raw.call('CurrentState', {}, bearer(use.token));
    await raw.call('ChangePassword', { user: Buffer.from('reader'), oldPassword: Buffer.from(''), newPassword: Buffer.from('Reader2!pw') }, md);
    expect((await rejection(raw.call('CurrentState', {}, bearer(use.token)))).code).toBe(status.UNAUTHENTICATED);
  });

  it('an oversize message is RESOURCE_EXHAUSTED and writes nothing', async () => {
    const use = await raw.call<{ token: string }>('UseDatabase', { databaseName: 'defaultdb' }, bearer(adminToken));
    const before = await raw.call<{ txId: { toNumber(): number } }>('CurrentState', {}, bearer(use.token));
    const e = await rejection(raw.call('Set', { KVs: [{ key: Buffer.from('big'), value: Buffer.alloc(2 * 1024 * 1024) }] }, bearer(use.token)));
    expect(e.code).toBe(status.RESOURCE_EXHAUSTED);
    const after = await raw.call<{ txId: { toNumber(): number } }>('CurrentState', {}, bearer(use.token));
    expect(after.txId.toNumber()).toBe(before.txId.toNumber());
  });

  it('malformed and oversized keys are INVALID_ARGUMENT and write nothing', async () => {
    const use = await raw.call<{ token: string }>('UseDatabase', { databaseName: 'defaultdb' }, bearer(use0()));
    const md = bearer(use.token);
    const before = await raw.call<{ txId: { toNumber(): number } }>('CurrentState', {}, md);
    for (const KVs of [[{ key: Buffer.alloc(0), value: Buffer.from('v') }], [{ key: Buffer.alloc(1025, 1), value: Buffer.from('v') }], []]) {
      expect((await rejection(raw.call('Set', { KVs }, md))).code).toBe(status.INVALID_ARGUMENT);
    }
    const dup = [{ key: Buffer.from('d'), value: Buffer.from('1') }, { key: Buffer.from('d'), value: Buffer.from('2') }];
    expect((await rejection(raw.call('Set', { KVs: dup }, md))).code).toBe(status.INVALID_ARGUMENT);
    expect((await rejection(raw.call('TxById', { tx: 999_999 }, md))).code).toBe(status.NOT_FOUND);
    const proveBeyond = { setRequest: { KVs: [{ key: Buffer.from('k'), value: Buffer.from('v') }] }, proveSinceTx: 999_999 };
    expect((await rejection(raw.call('VerifiableSet', proveBeyond, md))).code).toBe(status.OUT_OF_RANGE);
    const after = await raw.call<{ txId: { toNumber(): number } }>('CurrentState', {}, md);
    expect(after.txId.toNumber()).toBe(before.txId.toNumber());
  });

  it('writes to a replica database are refused with FAILED_PRECONDITION', async () => {
    await raw.call('CreateDatabaseV2', { name: 'passive', settings: { replicationSettings: { replica: { value: true } } } }, bearer(adminToken));
    const use = await raw.call<{ token: string }>('UseDatabase', { databaseName: 'passive' }, bearer(adminToken));
    const e = await rejection(raw.call('Set', { KVs: [{ key: Buffer.from('k'), value: Buffer.from('v') }] }, bearer(use.token)));
    expect(e.code).toBe(status.FAILED_PRECONDITION);
    expect(e.details).toMatch(/replica/);
  });
});

function use0(): string {
  return adminToken;
}

describe('operations', () => {
  it('serves /metrics with per-database watermarks, and /readyz', async () => {
    const base = `http://127.0.0.1:${server.metricsPort}`;
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/immudb_last_committed_trx_id\{db="defaultdb"\} \d+/);
    expect(metrics).toMatch(/immudb_index_lag_txs\{db="systemdb"\} \d+/);
    expect(metrics).toMatch(/immudb_query_latency_seconds_bucket\{le="[0-9.]+",method="Login"\}/);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/livez`)).status).toBe(200);
  });

  it('every response carries the server uuid header', async () => {
    const protos = loadProtos();
    const def = protos.immuService['Health'] as unknown as MethodDefinition<object, unknown>;
    const client = new Client(`127.0.0.1:${server.port}`, credentials.createInsecure());
    const header = await new Promise<Metadata>((resolve, reject) => {
      const call = client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, {}, new Metadata(), {}, (err) => {
        if (err) reject(err);
      });
      call.on('metadata', resolve);
    });
    client.close();
    expect(header.get('immudb-uuid')[0]).toBe(server.node.serverUuid);
  });
});
