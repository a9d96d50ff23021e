// The `immudb` binary as an operator runs it: configuration from a TOML file, a log file and a pid file,
// the admin password never written to the log, a bad flag refused with one line and exit 2, and SIGTERM
// ending in a graceful shutdown (in-flight work drained, stores closed, pid file removed, exit 0).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDistOnce, repoRoot } from './tool-common/testing/cli-harness.js';

const entry = join(repoRoot, 'dist', 'src', 'cli', 'immudb.js');
let dir: string;

beforeAll(() => {
  buildDistOnce();
  dir = mkdtempSync(join(tmpdir(), 'immudb-bin-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('immudb binary', () => {
  it('runs from a TOML config with a log file and pid file, keeps secrets out of the log, and stops gracefully on SIGTERM', async () => {
    const logFile = join(dir, 'immudb.log');
    const pidFile = join(dir, 'immudb.pid');
    const config = join(dir, 'immudb.toml');
    writeFileSync(
      config,
      [`dir = "${join(dir, 'data')}"`, 'address = "127.0.0.1"', 'port = 0', 'metrics-server = false', `logfile = "${logFile}"`, `pidfile = "${pidFile}"`, 'admin-password = "S3cret-Admin!"'].join('\n'),
    );
    const child = spawn(process.execPath, [entry, '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor(() => existsSync(logFile) && readFileSync(logFile, 'utf8').includes('"server.started"'), 30_000);
    expect(readFileSync(pidFile, 'utf8').trim()).toBe(String(child.pid));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
    const log = readFileSync(logFile, 'utf8');
    const events = log.trim().split('\n').map((l) => (JSON.parse(l) as { event?: string }).event);
    expect(events).toContain('server.stopping');
    expect(events).toContain('node.stopped');
    expect(log).toMatch(/"event":"server.stopped","drain":"graceful"/);
    expect(log).not.toContain('S3cret-Admin!');
    expect(existsSync(pidFile)).toBe(false);
  });

  it('refuses a bad flag with one line on stderr and exit 2', async () => {
    const child = spawn(process.execPath, [entry, '--port', 'not-a-number'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^immudb: invalid value "not-a-number" for --port/);
  });
});
