// immuclient as users run it: the built tool as a child process against a real server. Every command
// at least once (text and --output json), the token file's mode, exit codes, values printed as hex, a
// tampered trusted state caught by verifiedget and by audit-mode (exit 3, alert line), audit-mode's
// metrics endpoint, and bad input as exactly one stderr line.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDistOnce, oneLineError, repoRoot, runTool, startCliTestServer, startTool, type CliTestServer, type RunOptions, type RunResult } from './tool-common/testing/cli-harness.js';

let srv: CliTestServer;
let tokenFile: string;
let stateDir: string;

beforeAll(async () => {
  buildDistOnce();
  srv = await startCliTestServer();
  tokenFile = join(srv.home, 'client-token');
  stateDir = join(srv.home, 'client-state');
}, 120_000);

afterAll(async () => {
  await srv?.stop();
});

function client(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return runTool('immuclient', srv.home, ['-p', String(srv.port), '--tokenfile', tokenFile, '--dir', stateDir, ...args], opts);
}

async function ok(args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const r = await client(args, opts);
  if (r.code !== 0) throw new Error(`immuclient ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  expect(r.stderr).toBe('');
  return r.stdout;
}

async function json(args: readonly string[]): Promise<Record<string, unknown>> {
  return JSON.parse(await ok([...args, '--output', 'json'])) as Record<string, unknown>;
}

function stateFile(db: string): string {
  const uuids = readdirSync(stateDir);
  expect(uuids).toHaveLength(1);
  return join(stateDir, uuids[0] ?? '', `${db}.json`);
}

describe('immuclient', () => {
  it('help works without a server; bad input is one stderr line with exit 1 or 2', async () => {
    const help = await runTool('immuclient', srv.home, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('audit-mode');
    for (const tool of ['immuclient', 'immuadmin', 'immudb']) {
      const shim = spawnSync(process.execPath, [join(repoRoot, 'bin', `${tool}.js`), '--help'], { encoding: 'utf8' });
      expect({ tool, code: shim.status }).toEqual({ tool, code: 0 });
    }
    const cases: [readonly string[], number, RegExp][] = [
      [['frobnicate'], 1, /unknown command "frobnicate"/],
      [['get'], 1, /missing argument/],
      [['set', 'k'], 1, /missing argument/],
      [['tx', 'abc'], 1, /positive integer/],
      [['get', 'k', '--bogus'], 1, /unknown flag: --bogus/],
      [['get', 'k', '--output', 'yaml'], 1, /--output must be text or json/],
      [['login', 'immudb', '--password', 'wrong'], 2, /INVALID_CREDENTIALS|UNAUTHENTICATED/],
      [['get', 'k'], 2, /not logged in/],
      [['health', '-p', '1'], 2, /NODE_UNAVAILABLE/],
    ];
    const results = await Promise.all(cases.map(([args]) => client(args)));
    results.forEach((r, i) => {
      const [args, code, pattern] = cases[i] ?? [[], 0, /./];
      const line = oneLineError(r, 'immuclient');
      expect({ args, code: r.code }).toEqual({ args, code });
      expect(line).toMatch(pattern);
      expect(r.stderr).not.toContain('    at ');
    });
  });

  it('login reads the password from stdin and writes a 0600 token file without the password', async () => {
    const out = await ok(['login', 'immudb'], { input: 'immudb\n' });
    expect(out).toContain('logged in as: immudb');
    expect(out).toContain('default password');
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(tokenFile, 'utf8')) as Record<string, unknown>;
    expect(saved['database']).toBe('defaultdb');
    expect(saved['username']).toBe('immudb');
    expect(JSON.stringify(saved)).not.toContain('"password"');
  });

  it('runs every data command, in text and as JSON', async () => {
    // Writes in order (tx ids 1..7), then every read at once.
    expect(await ok(['set', 'k1', 'v1'])).toMatch(/tx:\s+1\n/);
    expect(await json(['verifiedset', 'k2', 'v2'])).toMatchObject({ tx: 2, key: 'k2', value: 'v2', verified: true });
    expect(await json(['safeset', 'k1', 'v1b'])).toMatchObject({ tx: 3, verified: true });
    expect(await json(['reference', 'r1', 'k2'])).toMatchObject({ tx: 4, reference: 'r1', key: 'k2' });
    expect(await json(['zadd', 'board', '2.5', 'k1'])).toMatchObject({ tx: 5, score: 2.5, set: 'board' });
    expect(await ok(['zadd', 'board', '1', 'k2'])).toMatch(/score:\s+1/);
    const [get, getRev, valueOnly, getAtTx, safeget, verifiedget, ref, zscan, zscanDesc, hist, scan, count, countAll, tx, vtx, health] = await Promise.all([
      ok(['get', 'k1']),
      ok(['get', 'k1@1']),
      ok(['get', 'k1', '--value-only']),
      json(['get', 'k1', '--at-tx', '1']),
      json(['safeget', 'k2']),
      ok(['verifiedget', 'k1']),
      json(['get', 'r1']),
      json(['zscan', 'board']),
      ok(['zscan', 'board', '--desc', '--limit', '1']),
      json(['history', 'k1']),
      json(['scan', 'k']),
      json(['count', 'k']),
      ok(['count']),
      json(['tx', '2']),
      json(['verifiedtx', '2']),
      json(['health']),
    ]);
    expect(get).toMatch(/value:\s+v1b/);
    expect(getRev).toMatch(/value:\s+v1\n/);
    expect(valueOnly).toBe('v1b\n');
    expect(getAtTx).toMatchObject({ value: 'v1', valueHex: '7631', tx: 1, revision: 1 });
    expect(safeget).toMatchObject({ key: 'k2', value: 'v2', verified: true });
    expect(verifiedget).toMatch(/verified:\s+true/);
    expect(ref).toMatchObject({ key: 'k2', value: 'v2', referencedBy: { key: 'r1' } });
    expect((zscan as { entries: { key: string; score: number }[] }).entries.map((e) => [e.key, e.score])).toEqual([['k2', 1], ['k1', 2.5]]);
    expect(zscanDesc).toMatch(/key:\s+k1/);
    expect((hist as { entries: { value: string }[] }).entries.map((e) => e.value)).toEqual(['v1', 'v1b']);
    expect((scan as { entries: { key: string }[] }).entries.map((e) => e.key)).toEqual(['k1', 'k2']);
    expect(count).toMatchObject({ count: 2 });
    expect(countAll).toMatch(/count:\s+\d+/);
    const txJson = tx as { header: { id: number; alh: string }; entries: { kind: string; key: string }[] };
    expect(txJson.header.id).toBe(2);
    expect(txJson.entries).toEqual([expect.objectContaining({ kind: 'kv', key: 'k2' })]);
    expect(vtx).toMatchObject({ verified: true, header: { alh: txJson.header.alh } });
    expect(health).toMatchObject({ status: true });

    expect(await json(['delete', 'k2'])).toMatchObject({ tx: 7, key: 'k2' });
    const [gone, current, state, status] = await Promise.all([client(['get', 'k2']), json(['current']), ok(['state']), json(['status'])]);
    expect(gone.code).toBe(2);
    expect(oneLineError(gone, 'immuclient')).toMatch(/KEY_NOT_FOUND/);
    expect(current).toMatchObject({ db: 'defaultdb', txId: 7, signed: false });
    expect(current['txHash']).toMatch(/^[0-9a-f]{64}$/);
    expect(state).toMatch(/txID:\s+7/);
    expect(status).toMatchObject({ status: true, state: { txId: 7 } });
  });

  it('prints non-printable values as hex, and the JSON always carries the hex', async () => {
    await ok(['set', 'bin', '\u0001\u0002x']);
    expect(await ok(['get', 'bin', '--value-only'])).toBe('010278\n');
    expect(await json(['get', 'bin'])).toMatchObject({ value: '010278', valueHex: '010278', key: 'bin' });
  });

  it('use selects a database for later commands; --database and IMMUCLIENT_* env override per command', async () => {
    const admin = ['--username', 'immudb', '--password', 'immudb'];
    expect((await runTool('immuadmin', srv.home, ['-p', String(srv.port), ...admin, 'database', 'create', 'shop'])).code).toBe(0);
    expect(await json(['use', 'shop'])).toEqual({ database: 'shop' });
    expect(JSON.parse(readFileSync(tokenFile, 'utf8'))).toMatchObject({ database: 'shop' });
    await ok(['set', 'item', 'apple']);
    expect(await json(['current'])).toMatchObject({ db: 'shop', txId: 1 });
    const viaEnv = await runTool('immuclient', srv.home, ['get', 'item', '--output', 'json'], {
      env: { IMMUCLIENT_IMMUDB_PORT: String(srv.port), IMMUCLIENT_USERNAME: 'immudb', IMMUCLIENT_PASSWORD: 'immudb', IMMUCLIENT_DATABASE: 'shop', IMMUCLIENT_DIR: stateDir },
    });
    expect(viaEnv.code).toBe(0);
    expect(JSON.parse(viaEnv.stdout)).toMatchObject({ value: 'apple' });
    expect(await json(['get', 'k1', '--database', 'defaultdb'])).toMatchObject({ value: 'v1b' });
    await ok(['use', 'defaultdb']);
  });

  it('a tampered saved state: verifiedget exits 3 and leaves the file alone; audit-mode alerts and exits 3', async () => {
    await ok(['verifiedget', 'k1']);
    const path = stateFile('defaultdb');
    const good = readFileSync(path, 'utf8');
    const state = JSON.parse(good) as { txHash: string };
    const flipped = (state.txHash.startsWith('0') ? '1' : '0') + state.txHash.slice(1);
    const tampered = JSON.stringify({ ...state, txHash: flipped });
    writeFileSync(path, tampered);
    await ok(['set', 'after', 'tamper']);

    const r = await client(['verifiedget', 'k1']);
    expect(r.code).toBe(3);
    expect(oneLineError(r, 'immuclient')).toMatch(/verification failed: .*PROOF_FAILED/);
    expect(readFileSync(path, 'utf8')).toBe(tampered);

    const audit = await client(['audit-mode', '--audit-interval', '200ms', '--audit-monitoring-port', '0', '--audit-monitoring-host', '127.0.0.1', '--audit-databases', 'defaultdb']);
    expect(audit.code).toBe(3);
    const events = audit.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; alert?: boolean; db?: string; code?: string });
    expect(events).toContainEqual(expect.objectContaining({ event: 'audit.inconsistency', alert: true, db: 'defaultdb', code: 'STATE_INCONSISTENT' }));
    expect(oneLineError({ ...audit, stdout: '' }, 'immuclient')).toMatch(/STATE_INCONSISTENT/);

    const keepGoing = await client(['audit-mode', '--audit-interval', '100ms', '--audit-monitoring-port', '0', '--audit-monitoring-host', '127.0.0.1', '--audit-databases', 'defaultdb', '--audit-exit-on-failure=false', '--audit-rounds', '2']);
    expect(keepGoing.code).toBe(0);
    expect(keepGoing.stdout.match(/"event":"audit.inconsistency"/g)).toHaveLength(2);
    writeFileSync(path, good);
  });

  it('audit-mode verifies rounds as the server advances and serves Prometheus metrics', async () => {
    const audit = startTool('immuclient', srv.home, [
      '-p', String(srv.port), '--tokenfile', tokenFile, '--dir', stateDir,
      'audit-mode', '--audit-interval', '300ms', '--audit-monitoring-port', '0', '--audit-monitoring-host', '127.0.0.1',
    ]);
    const started = JSON.parse(await audit.waitForLine((l) => l.includes('"audit.started"'))) as { metricsPort: number };
    await audit.waitForLine((l) => l.includes('"audit.round"'));
    await ok(['set', 'while', 'auditing']);
    await audit.waitForLine((l) => l.includes('"audit.verified"') && l.includes('"previousTxId"') && /"txId":(\d+),"previousTxId":(?!\1)\d+/.test(l));
    const body = await (await fetch(`http://127.0.0.1:${started.metricsPort}/metrics`)).text();
    expect(body).toMatch(/immuclient_audit_rounds_total\{result="ok"\} [1-9]/);
    expect(body).toMatch(/immuclient_audit_rounds_total\{result="inconsistent"\} 0/);
    expect(body).toMatch(/immuclient_audit_last_success_timestamp_seconds \d/);
    expect(body).toMatch(/immuclient_audit_last_verified_tx_id\{db="defaultdb"\} [1-9]/);
    expect(body).toMatch(/immuclient_audit_result_per_server\{server_id="[^"]+",server_address="127.0.0.1:\d+",db="shop"\} 1/);
    expect((await fetch(`http://127.0.0.1:${started.metricsPort}/health`)).status).toBe(200);
    audit.stop();
    const done = await audit.exited;
    expect(done.code).toBe(0);
    expect(done.stderr).toBe('');
    expect(done.stdout).toContain('"audit.stopped"');
    expect(done.stdout).not.toContain('immudb"'); // no password in the log
  });

  it('logout removes the token file; later commands are refused with exit 2', async () => {
    expect(await json(['logout'])).toEqual({ loggedOut: true });
    expect(existsSync(tokenFile)).toBe(false);
    const r = await client(['get', 'k1']);
    expect(r.code).toBe(2);
    expect(oneLineError(r, 'immuclient')).toMatch(/not logged in/);
    expect(await ok(['logout'])).toBe('not logged in\n');
  });
});

describe('immuclient with several addresses', () => {
  const admin = ['--username', 'immudb', '--password', 'immudb'];

  async function deadPort(): Promise<number> {
    const { createServer } = await import('node:net');
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const address = s.address();
    await new Promise<void>((r) => s.close(() => r()));
    if (address === null || typeof address === 'string') throw new Error('no port');
    return address.port;
  }

  it('fails over past a dead address, and refuses what cannot work per node', async () => {
    const dir = join(srv.home, 'multi-state');
    const addresses = `127.0.0.1:${await deadPort()},127.0.0.1:${srv.port}`;
    const run = (args: readonly string[]): Promise<RunResult> =>
      runTool('immuclient', srv.home, ['-a', addresses, '--tokenfile', join(srv.home, 'multi-token'), '--dir', dir, ...args]);
    const set = await run([...admin, '--read-preference', 'any', 'set', 'multi-key', 'multi-value']);
    expect(set.code, set.stderr).toBe(0);
    const got = await run([...admin, '--output', 'json', 'safeget', 'multi-key']);
    expect(got.code, got.stderr).toBe(0);
    expect(got.stdout).toContain('multi-value');
    const noUser = await run(['get', 'multi-key']);
    expect(noUser.code).toBe(1);
    expect(oneLineError(noUser, 'immuclient')).toMatch(/--username/);
    const badPref = await run([...admin, '--read-preference', 'nearest', 'get', 'multi-key']);
    expect(badPref.code).toBe(1);
    const dup = await run([...admin, '-a', `127.0.0.1:${srv.port},127.0.0.1:${srv.port}`, 'get', 'multi-key']);
    expect(dup.code).toBe(1);
  });
});
