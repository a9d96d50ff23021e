// Authentication against a real in-process server: legacy login (token with no database until
// useDatabase swaps it), logout, sessions with their heartbeat, and the errors a client without
// credentials or a database gets. Server UUID learned from replies and from OpenSession.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImmuError } from '../common/errors.js';
import { MemoryStateStore } from './state-store.js';
import { adminPassword, startTestServer, type TestServer } from './testing/test-server.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => {
  await ts.stop();
});

const k = (s: string): Buffer => Buffer.from(s);

describe('legacy token auth', () => {
  it('login selects no database; useDatabase swaps the token; logout ends it', async () => {
    const c = ts.client({ stateStore: new MemoryStateStore() });
    const res = await c.login('immudb', adminPassword);
    expect(typeof res.warning).toBe('string');
    expect(c.authKind).toBe('token');
    expect(c.database).toBeUndefined();
    await expect(c.verifiedGet(k('x'))).rejects.toSatisfy((e) => isImmuError(e, 'NO_DATABASE_SELECTED'));
    await c.useDatabase('defaultdb');
    expect(c.database).toBe('defaultdb');
    const hdr = await c.set(k('auth-key'), k('v1'));
    expect(hdr.id).toBeGreaterThan(0);
    expect((await c.get(k('auth-key'))).value.toString()).toBe('v1');
    expect(c.serverUuid).toMatch(/^[0-9a-v]{20}$/);
    await c.logout();
    expect(c.authKind).toBe('none');
    await expect(c.get(k('auth-key'))).rejects.toSatisfy((e) => isImmuError(e, 'UNAUTHENTICATED'));
  });

  it('login with a database selects it; wrong password is INVALID_CREDENTIALS', async () => {
    const c = ts.client();
    await c.login('immudb', adminPassword, 'defaultdb');
    expect(c.database).toBe('defaultdb');
    expect(await c.countAll()).toBeGreaterThanOrEqual(0);
    const bad = ts.client();
    await expect(bad.login('immudb', 'wrong-password')).rejects.toSatisfy((e) => isImmuError(e, 'INVALID_CREDENTIALS'));
  });
});

describe('sessions', () => {
  it('openSession learns the server UUID, keepAlive works, closeSession ends the session', async () => {
    const c = ts.client({ heartbeatIntervalMs: 50 });
    const info = await c.openSession('immudb', adminPassword, 'DefaultDB');
    expect(info.database).toBe('defaultdb');
    expect(info.serverUuid).toMatch(/^[0-9a-v]{20}$/);
    expect(c.serverUuid).toBe(info.serverUuid);
    await c.keepAlive();
    await new Promise((r) => setTimeout(r, 200));
    expect(c.lastHeartbeatError).toBeUndefined();
    await c.set(k('session-key'), k('v'));
    await c.closeSession();
    expect(c.authKind).toBe('none');
    await expect(c.keepAlive()).rejects.toSatisfy((e) => isImmuError(e, 'UNAUTHENTICATED'));
  });

  it('useDatabase inside a session moves the session to another database', async () => {
    const admin = ts.client();
    await admin.login('immudb', adminPassword);
    await admin.createDatabaseV2('sessdb');
    const c = ts.client();
    await c.openSession('immudb', adminPassword, 'defaultdb');
    await c.useDatabase('SessDB');
    expect(c.authKind).toBe('session');
    expect(c.database).toBe('sessdb');
    await c.set(k('in-sessdb'), k('v'));
    expect((await c.currentState()).db).toBe('sessdb');
    await c.closeSession();
  });

  it('after closeSession the client holds no credentials and data calls are refused', async () => {
    const a = ts.client();
    await a.openSession('immudb', adminPassword);
    const health = await a.health();
    expect(health.status).toBe(true);
    await a.closeSession();
    await expect(a.get(k('session-key'))).rejects.toSatisfy((e) => isImmuError(e, 'UNAUTHENTICATED'));
  });

  it('calls without credentials that need a database fail; health and serverInfo do not need login', async () => {
    const c = ts.client();
    expect((await c.health()).status).toBe(true);
    const info = await c.serverInfo();
    expect(info.numDatabases).toBeGreaterThanOrEqual(1);
    expect(info.version).not.toBe('');
  });
});
