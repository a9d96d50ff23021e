// immuadmin as users run it: the built tool as a child process against a real server. login/logout,
// status, stats, every user and database command, settings via GetDatabaseSettingsV2, a replica created
// with the --replication-primary shorthand and promoted with a clean request, and the replication flag
// mistakes refused before anything changes (exit 1, one stderr line naming the flag).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDistOnce, oneLineError, runTool, startCliTestServer, type CliTestServer, type RunOptions, type RunResult } from './tool-common/testing/cli-harness.js';

let srv: CliTestServer;
let tokenFile: string;

beforeAll(async () => {
  buildDistOnce();
  srv = await startCliTestServer();
  tokenFile = join(srv.home, 'admin-token');
}, 120_000);

afterAll(async () => {
  await srv?.stop();
});

function admin(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return runTool('immuadmin', srv.home, ['-p', String(srv.port), '--tokenfile', tokenFile, ...args], opts);
}

async function ok(args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const r = await admin(args, opts);
  if (r.code !== 0) throw new Error(`immuadmin ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  expect(r.stderr).toBe('');
  return r.stdout;
}

async function json(args: readonly string[]): Promise<Record<string, unknown>> {
  return JSON.parse(await ok([...args, '--output', 'json'])) as Record<string, unknown>;
}

async function refused(args: readonly string[], code: number, pattern: RegExp): Promise<void> {
  const r = await admin(args);
  expect({ args, code: r.code }).toEqual({ args, code });
  expect(oneLineError(r, 'immuadmin')).toMatch(pattern);
}

interface Settings {
  readonly replication: Record<string, unknown>;
}

describe('immuadmin', () => {
  it('bad input, wrong password and no login are one stderr line with a non-zero exit', async () => {
    await Promise.all([
      refused(['frobnicate'], 1, /unknown command "frobnicate"/),
      refused(['database'], 1, /needs a subcommand/),
      refused(['database', 'frob'], 1, /unknown command "database frob"/),
      refused(['user', 'create', 'bob'], 1, /missing argument/),
      refused(['database', 'create'], 1, /missing argument/),
      refused(['user', 'create', 'bob', 'owner', 'defaultdb', '--new-password', 'Xx1!xxxxx'], 1, /permission must be read, readwrite, admin or sysadmin/),
      refused(['login', 'immudb', '--password', 'wrong'], 2, /INVALID_CREDENTIALS|UNAUTHENTICATED/),
      refused(['database', 'list'], 2, /not logged in/),
    ]);
  });

  it('status and stats need no login; login writes a 0600 token file', async () => {
    const [status, statusJson] = await Promise.all([ok(['status']), json(['status'])]);
    const stats = await json(['stats', '--metrics-url', `http://127.0.0.1:${srv.metricsPort}/metrics`]);
    expect(status).toMatch(/^OK - server is reachable/);
    expect(statusJson).toMatchObject({ ok: true, version: expect.any(String) as string });
    expect((stats['databases'] as { db: string }[]).map((d) => d.db)).toContain('defaultdb');
    expect(stats['databases']).toContainEqual(expect.objectContaining({ db: 'defaultdb', committedTxId: expect.any(Number) as number, indexedTxId: expect.any(Number) as number }));
    expect(stats['rpcs']).toMatchObject({ ServerInfo: expect.any(Number) as number });
    const text = await ok(['stats', '--metrics-url', `http://127.0.0.1:${srv.metricsPort}/metrics`]);
    expect(text).toMatch(/DATABASE\s+COMMITTED TX/);
    const login = await ok(['login', 'immudb'], { input: 'immudb\n' });
    expect(login).toMatch(/logged in as: immudb/);
    expect(login).toMatch(/default password/);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(tokenFile, 'utf8')).not.toContain('"password"');
  });

  it('manages users: create, list, permissions, activate/deactivate, change password', async () => {
    await refused(['user', 'create', 'weak', 'read', 'defaultdb', '--new-password', 'short'], 1, /allow-weak-password/);
    expect(await json(['user', 'create', 'alice', 'readwrite', 'defaultdb', '--new-password', 'Alice1!pass'])).toMatchObject({ ok: true, user: 'alice' });
    expect(await ok(['user', 'create', 'weak', 'read', 'defaultdb', '--allow-weak-password'], { input: 'weakpass\n' })).toMatch(/created user: weak/);
    await Promise.all([
      ok(['user', 'permission', 'grant', 'alice', 'admin', 'defaultdb']),
      ok(['user', 'deactivate', 'weak']),
    ]);
    const listed = (await json(['user', 'list'])) as { users: { user: string; active: boolean; permissions: { database: string; permission: string }[] }[] };
    expect(listed.users.find((u) => u.user === 'alice')).toMatchObject({ active: true, permissions: [{ database: 'defaultdb', permission: 'admin' }] });
    expect(listed.users.find((u) => u.user === 'weak')).toMatchObject({ active: false });
    expect(await ok(['user', 'list'])).toMatch(/alice\s+yes\s+defaultdb:admin/);
    await Promise.all([ok(['user', 'permission', 'revoke', 'alice', 'admin', 'defaultdb']), ok(['user', 'activate', 'weak'])]);
    expect(await ok(['user', 'changepassword', 'alice', '--new-password', 'Alice2!pass'])).toBe('password of alice changed\n');
    const asAlice = await runTool('immuclient', srv.home, ['-p', String(srv.port), '--username', 'alice', '--password', 'Alice2!pass', '--dir', join(srv.home, 'alice-state'), 'health']);
    expect(asAlice.code).toBe(0);
    const listedAfter = (await json(['user', 'list'])) as { users: { user: string; active: boolean; permissions: unknown[] }[] };
    expect(listedAfter.users.find((u) => u.user === 'alice')?.permissions).toEqual([]);
    expect(listedAfter.users.find((u) => u.user === 'weak')?.active).toBe(true);
  });

  it('manages databases: create, list, settings, update, unload, load, delete', async () => {
    const created = (await json(['database', 'create', 'inventory', '--max-key-len', '512', '--max-value-len', '4096', '--max-tx-entries', '64', '--file-size', '1048576', '--exclude-commit-time', '--write-tx-header-version', '1'])) as { settings: Record<string, unknown> };
    expect(created.settings).toMatchObject({ maxKeyLen: 512, maxValueLen: 4096, maxTxEntries: 64, fileSize: 1048576, excludeCommitTime: true });
    const settings = (await json(['database', 'settings', 'inventory'])) as { database: string; settings: Record<string, unknown> };
    expect(settings).toMatchObject({ database: 'inventory', settings: { maxKeyLen: 512, autoload: true } });
    await refused(['database', 'update', 'inventory', '--max-key-len', '10'], 1, /--max-key-len can not be changed after database creation/);
    expect(await json(['database', 'update', 'inventory', '--autoload=false'])).toMatchObject({ updated: true, settings: { autoload: false } });
    const list = (await json(['database', 'list'])) as { databases: { name: string; loaded: boolean }[] };
    expect(list.databases.map((d) => d.name)).toEqual(expect.arrayContaining(['defaultdb', 'inventory']));
    expect(await ok(['database', 'list'])).toMatch(/inventory\s+LOADED\s+primary/);
    await refused(['database', 'delete', 'inventory'], 1, /--yes-i-know-what-i-am-doing/);
    expect(await ok(['database', 'unload', 'inventory'])).toBe('database inventory unloaded\n');
    expect(await ok(['database', 'load', 'inventory'])).toBe('database inventory loaded\n');
    await ok(['database', 'unload', 'inventory']);
    expect(await json(['database', 'delete', 'inventory', '--yes-i-know-what-i-am-doing'])).toEqual({ database: 'inventory', deleted: true });
    await refused(['database', 'settings', 'inventory'], 2, /DATABASE_NOT_FOUND|does not exist/);
  });

  it('refuses incomplete or contradictory replication flags before any change, naming the flag', async () => {
    const creds = ['--replication-primary-username', 'repl', '--replication-primary-password', 'Repl1!pass'];
    await Promise.all([
      refused(['database', 'create', 'r0', '--replication-primary-host', 'node1'], 1, /--replication-primary-host applies only to a replica/),
      refused(['database', 'create', 'r0', '--replication-is-replica'], 1, /needs --replication-primary-host/),
      refused(['database', 'create', 'r0', '--replication-primary', 'node1'], 1, /needs --replication-primary-username/),
      refused(['database', 'create', 'r0', '--replication-primary', 'node1', '--replication-primary-username', 'repl'], 1, /needs --replication-primary-password/),
      refused(['database', 'create', 'r0', '--replication-is-replica', '--replication-primary-host', 'node1', ...creds], 1, /needs --replication-primary-database/),
      refused(['database', 'create', 'r0', '--replication-primary', 'node1', '--replication-sync-acks', '1', ...creds], 1, /--replication-sync-acks is a primary setting/),
      refused(['database', 'create', 'r0', '--replication-sync-enabled'], 1, /needs --replication-sync-acks/),
      refused(['database', 'create', 'r0', '--replication-sync-acks', '2'], 1, /needs --replication-sync-enabled/),
      refused(['database', 'create', 'r0', '--replication-primary', 'node1', '--replication-is-replica=false', ...creds], 1, /contradicts --replication-is-replica=false/),
      refused(['database', 'create', 'r0', '--replication-primary', 'node1', '--replication-primary-port', '1', ...creds], 1, /drop --replication-primary-port/),
      refused(['database', 'create', 'r0', '--replication-primary', 'node1:99999', ...creds], 1, /HOST or HOST:PORT/),
      refused(['database', 'create', 'r0', '--replication-prefetch-tx-buffer-size', '10'], 1, /applies only to a replica/),
    ]);
    const list = (await json(['database', 'list'])) as { databases: { name: string }[] };
    expect(list.databases.map((d) => d.name)).not.toContain('r0');
  });

  it('creates a replica with --replication-primary (same-named db, port 3322) and promotes it with a clean request', async () => {
    const secret = 'Repl1!secret';
    const created = JSON.parse(
      await ok(
        ['database', 'create', 'orders', '--replication-primary', '127.0.0.1', '--replication-follower-username', 'repl', '--replication-allow-tx-discarding', '--replication-prefetch-tx-buffer-size', '50', '--output', 'json'],
        { env: { IMMUADMIN_REPLICATION_PRIMARY_PASSWORD: secret } },
      ),
    ) as { settings: Settings };
    expect(created.settings.replication).toMatchObject({
      replica: true,
      primaryHost: '127.0.0.1',
      primaryPort: 3322,
      primaryDatabase: 'orders',
      primaryUsername: 'repl',
      primaryPassword: '[redacted]',
      allowTxDiscarding: true,
      prefetchTxBufferSize: 50,
    });
    const [text, listed] = await Promise.all([ok(['database', 'settings', 'orders']), ok(['database', 'list'])]);
    expect(text).toMatch(/primary port:\s+3322/);
    expect(text + listed).not.toContain(secret);
    expect(listed).toMatch(/orders\s+LOADED\s+replica of orders@127.0.0.1:3322/);

    await refused(['database', 'update', 'orders', '--replication-is-replica=false', '--replication-primary-host', 'x'], 1, /applies only to a replica \(promoting/);
    await refused(['database', 'update', 'orders', '--replication-sync-acks', '1'], 1, /--replication-sync-acks is a primary setting/);
    const promoted = (await json(['database', 'update', 'orders', '--replication-is-replica=false'])) as { settings: Settings };
    expect(promoted.settings.replication).toMatchObject({
      replica: false,
      primaryHost: '',
      primaryPort: 0,
      primaryDatabase: '',
      primaryUsername: '',
      allowTxDiscarding: false,
      waitForIndexing: false,
      prefetchTxBufferSize: 0,
      replicationCommitConcurrency: 0,
    });
    await refused(['database', 'update', 'orders', '--replication-sync-enabled'], 1, /needs --replication-sync-acks/);
    await refused(['database', 'update', 'orders', '--replication-sync-ack-timeout', '0s'], 1, /--replication-sync-ack-timeout must be between/);
    const sync = (await json(['database', 'update', 'orders', '--replication-sync-enabled', '--replication-sync-acks', '1'])) as { settings: Settings };
    expect(sync.settings.replication).toMatchObject({ replica: false, syncReplication: true, syncAcks: 1 });
    // Per database, through our extension field (syncAckTimeoutMs = 1002): on update and on create.
    const timed = (await json(['database', 'update', 'orders', '--replication-sync-ack-timeout', '5s'])) as { settings: Settings };
    expect(timed.settings.replication).toMatchObject({ syncAcks: 1, syncAckTimeoutMs: 5_000 });
    const timedCreated = (await json(['database', 'create', 'timed', '--replication-sync-enabled', '--replication-sync-acks', '1', '--replication-sync-ack-timeout', '2s'])) as { settings: Settings };
    expect(timedCreated.settings.replication).toMatchObject({ syncAcks: 1, syncAckTimeoutMs: 2_000 });
    // --if-not-exists: a second create exits 0 and says so; without it, DATABASE_EXISTS (exit 2).
    await refused(['database', 'create', 'timed'], 2, /DATABASE_EXISTS/);
    expect(await json(['database', 'create', 'timed', '--if-not-exists'])).toMatchObject({ database: 'timed', created: false, alreadyExisted: true });
    expect(await ok(['database', 'create', 'timed', '--if-not-exists'])).toMatch(/database timed already exists: nothing changed/);
    expect(await json(['database', 'create', 'fresh', '--if-not-exists'])).toMatchObject({ database: 'fresh', created: true, alreadyExisted: false });
  });

  it('logout removes the token file', async () => {
    expect(await json(['logout'])).toEqual({ loggedOut: true });
    expect(existsSync(tokenFile)).toBe(false);
    await refused(['user', 'list'], 2, /not logged in/);
  });
});
