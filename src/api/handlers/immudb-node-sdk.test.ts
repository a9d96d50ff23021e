// The official Node SDK, immudb-node@1.1.1, against the handlers over a real header-version-0 Database
// (the only kind whose proofs that SDK can verify; sdk spec 5.5, 9) behind the single-database test
// double. The SDK checks our proofs with its own code: a failed check rejects with undefined/null or is
// only console.error-ed (sdk spec Q2, Q8), so the test fails on any rejection and on any console.error.
// Auth is the double's (fixed tokens); the full login/permission flow is the real node's test.
// The SDK installs exit/SIGINT/uncaughtException listeners and writes its state file to rootPath: both
// are confined (temp dir, listeners removed afterwards).
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { openTestDb, type TestDb } from '../../database/testing/test-db.js';
import { startHandlerTestServer, type HandlerTestServer } from './testing/handler-test-server.js';
import { SingleDatabaseNodeDouble } from './testing/single-database-node.js';

/** The part of immudb-node's ImmudbClient this test drives (the package is CommonJS, typed loosely). */
interface SdkClient {
  login(p: { user: string; password: string }): Promise<{ token: string }>;
  useDatabase(p: { databasename: string }): Promise<unknown>;
  currentState(): Promise<unknown>;
  health(): Promise<unknown>;
  verifiedSet(p: { key: string; value: string }): Promise<{ id: number } | undefined>;
  verifiedGet(p: { key: string }): Promise<{ tx: number; key: string; value: string } | undefined>;
  verifiedTxById(p: { tx: number }): Promise<unknown>;
  verifiedZAdd(p: { set: string; score: number; key: string }): Promise<unknown>;
  verifiedSetReference(p: { key: string; referencedKey: string }): Promise<unknown>;
  history(p: { key: string }): Promise<{ entriesList: { value: string }[] } | undefined>;
  scan(p: { prefix: string; seekkey?: string; desc?: boolean; limit?: number; sincetx?: number; nowait?: boolean }): Promise<{ entriesList: unknown[] } | undefined>;
  set(p: { key: string; value: string }): Promise<{ id: number } | undefined>;
}

type SdkClientCtor = new (cfg: { host: string; port: string; rootPath: string }) => SdkClient;

const require = createRequire(import.meta.url);
const processEvents = ['exit', 'SIGINT', 'uncaughtException'] as const;

let testDb: TestDb;
let srv: HandlerTestServer;
let sdk: SdkClient;
let stateDir: string;
let consoleError: MockInstance<typeof console.error>;
const listenersBefore = new Map<string, Set<unknown>>();

beforeAll(async () => {
  testDb = await openTestDb({ backend: 'real', writeTxHeaderVersion: 0 });
  srv = await startHandlerTestServer(new SingleDatabaseNodeDouble({ database: testDb.db }));
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'immudb-node-sdk-'));
  for (const ev of processEvents) listenersBefore.set(ev, new Set((process as NodeJS.EventEmitter).listeners(ev)));
  const ImmudbClient = (require('immudb-node') as { default: SdkClientCtor }).default;
  sdk = new ImmudbClient({ host: '127.0.0.1', port: String(srv.port), rootPath: path.join(stateDir, 'root') });
  consoleError = vi.spyOn(console, 'error');
  await sdk.login({ user: 'immudb', password: 'immudb' });
  await sdk.useDatabase({ databasename: 'testdb' });
});

afterAll(async () => {
  consoleError.mockRestore();
  for (const ev of processEvents) {
    for (const l of (process as NodeJS.EventEmitter).listeners(ev)) if (!listenersBefore.get(ev)?.has(l)) process.removeListener(ev, l as () => void);
  }
  await srv.close();
  await testDb.close();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

describe('immudb-node@1.1.1 verifies our proofs on a header-version-0 database', () => {
  it('verifiedSet from an empty database (trust on first use), then again from the trusted state', async () => {
    const first = await sdk.verifiedSet({ key: 'alpha', value: 'one' });
    expect(first?.id).toBe(1);
    const second = await sdk.verifiedSet({ key: 'beta', value: 'two' });
    expect(second?.id).toBe(2);
    expect(consoleError).not.toHaveBeenCalled();
  });

  it('verifiedGet of the latest tx and of an older one', async () => {
    await sdk.set({ key: 'alpha', value: 'one-b' });
    const latest = await sdk.verifiedGet({ key: 'alpha' });
    expect(latest).toMatchObject({ tx: 3, key: 'alpha', value: 'one-b' });
    const older = await sdk.verifiedGet({ key: 'beta' });
    expect(older).toMatchObject({ tx: 2, value: 'two' });
    expect(consoleError).not.toHaveBeenCalled();
  });

  it('verifiedTxById, verifiedZAdd and verifiedSetReference', async () => {
    await expect(sdk.verifiedTxById({ tx: 1 })).resolves.toBeDefined();
    await expect(sdk.verifiedZAdd({ set: 'scores', score: 3, key: 'alpha' })).resolves.toBeDefined();
    await expect(sdk.verifiedSetReference({ key: 'ref', referencedKey: 'beta' })).resolves.toBeDefined();
    const viaRef = await sdk.verifiedGet({ key: 'ref' });
    expect(viaRef?.value).toBe('two');
    expect(consoleError).not.toHaveBeenCalled();
  });

  it('history and scan decode with the SDK schema', async () => {
    const hist = await sdk.history({ key: 'alpha' });
    expect(hist?.entriesList.map((e) => e.value)).toEqual(['one', 'one-b']);
    const scan = await sdk.scan({ prefix: '' });
    expect(scan?.entriesList.length).toBeGreaterThanOrEqual(3);
    expect(consoleError).not.toHaveBeenCalled();
  });
});

describe('canary: the same SDK checks fail on a header-version-1 database', () => {
  it('verifiedSet is rejected (dual proof fails in the SDK), so the checks above can fail', async () => {
    const v1Db = await openTestDb({ backend: 'real', writeTxHeaderVersion: 1 });
    const v1Srv = await startHandlerTestServer(new SingleDatabaseNodeDouble({ database: v1Db.db }));
    try {
      const ImmudbClient = (require('immudb-node') as { default: SdkClientCtor }).default;
      const v1Sdk = new ImmudbClient({ host: '127.0.0.1', port: String(v1Srv.port), rootPath: path.join(stateDir, 'root-v1') });
      await v1Sdk.login({ user: 'immudb', password: 'immudb' });
      await v1Sdk.useDatabase({ databasename: 'testdb' });
      consoleError.mockImplementation(() => undefined);
      consoleError.mockClear();
      await v1Sdk.set({ key: 'a', value: '1' });
      await v1Sdk.currentState();
      const outcome = await v1Sdk.verifiedSet({ key: 'b', value: '2' }).then(
        () => 'resolved',
        () => 'rejected',
      );
      expect(outcome).toBe('rejected');
      expect(consoleError.mock.calls.map((c) => String(c[0]))).toContain('verifiedSet dual verification failed');
    } finally {
      consoleError.mockClear();
      await v1Srv.close();
      await v1Db.close();
    }
  });
});
