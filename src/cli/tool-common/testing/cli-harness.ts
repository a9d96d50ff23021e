// TEST SUPPORT ONLY: runs the real immuclient / immuadmin as child processes (`node dist/src/cli/…`)
// against a real server started in-process. dist/ is built once per test run: the first test file takes
// a directory lock, runs tsc, and leaves a stamp keyed by the vitest process so the others skip the
// build instead of rewriting files a running child may be loading.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, type RunningServer } from '../../../api/server-main.js';
import { silentLogger } from '../../../common/log.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const distCli = join(repoRoot, 'dist', 'src', 'cli');

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Builds dist/ once per vitest run (tsc emits even when unrelated files have type errors). */
export function buildDistOnce(): void {
  const lock = join(repoRoot, 'dist', '.cli-test-build.lock');
  const stamp = join(repoRoot, 'dist', `.cli-test-built-${process.ppid}`);
  mkdirSync(join(repoRoot, 'dist'), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (existsSync(stamp)) break;
    try {
      mkdirSync(lock);
    } catch {
      if (Date.now() > deadline) throw new Error('timed out waiting for another test file to build dist/');
      sleepSync(200);
      continue;
    }
    try {
      if (!existsSync(stamp)) {
        spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: repoRoot, stdio: 'ignore' });
        for (const old of readdirSync(join(repoRoot, 'dist'))) if (old.startsWith('.cli-test-built-')) rmSync(join(repoRoot, 'dist', old), { force: true });
        writeFileSync(stamp, `${new Date().toISOString()}\n`);
      }
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
    break;
  }
  for (const tool of ['immuclient', 'immuadmin', 'immudb']) {
    if (!existsSync(join(distCli, `${tool}.js`))) throw new Error(`tsc did not emit dist/src/cli/${tool}.js`);
  }
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly input?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

/** A clean environment: no IMMUCLIENT_ / IMMUADMIN_ leaking in from the caller, HOME in `home`. */
function childEnv(home: string, extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('IMMUCLIENT_') && !k.startsWith('IMMUADMIN_')) env[k] = v;
  return { ...env, HOME: home, ...extra };
}

export function runTool(tool: 'immuclient' | 'immuadmin', home: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(distCli, `${tool}.js`), ...args], { env: childEnv(home, opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** A long-running tool (audit-mode): lines as they come, a way to wait for one, and the exit. */
export interface LiveTool {
  readonly lines: string[];
  waitForLine(pred: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  readonly exited: Promise<RunResult>;
  stop(): void;
}

export function startTool(tool: 'immuclient' | 'immuadmin', home: string, args: readonly string[], opts: RunOptions = {}): LiveTool {
  const child = spawn(process.execPath, [join(distCli, `${tool}.js`), ...args], { env: childEnv(home, opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  let stdout = '';
  let stderr = '';
  const waiters: { pred: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    partial += d.toString();
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const w of [...waiters]) if (w.pred(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(opts.input ?? '');
  const killTimer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
  const exited = new Promise<RunResult>((r) =>
    child.on('close', (code) => {
      clearTimeout(killTimer);
      r({ code, stdout, stderr });
    }),
  );
  return {
    lines,
    exited,
    stop: () => child.kill('SIGTERM'),
    waitForLine(pred, timeoutMs = 15_000) {
      const seen = lines.find(pred);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error(`no matching line within ${timeoutMs}ms; got:\n${lines.join('\n')}\nstderr: ${stderr}`)), timeoutMs);
        waiters.push({ pred, resolve: (l) => (clearTimeout(t), res(l)) });
      });
    },
  };
}

export interface CliTestServer {
  readonly server: RunningServer;
  readonly port: number;
  readonly metricsPort: number;
  /** A temporary directory used as HOME, token files and trusted-state dirs. */
  readonly home: string;
  stop(): Promise<void>;
}

export async function startCliTestServer(): Promise<CliTestServer> {
  const home = mkdtempSync(join(tmpdir(), 'immu-cli-test-'));
  const server = await startServer({
    dir: join(home, 'data'),
    address: '127.0.0.1',
    port: 0,
    logger: silentLogger(),
    adminPassword: 'immudb',
    metricsServer: true,
    metricsPort: 0,
    shutdownDrainMs: 1000,
  });
  return {
    server,
    port: server.port,
    metricsPort: server.metricsPort ?? 0,
    home,
    async stop() {
      await server.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Asserts the failure shape every bad input must have: non-zero exit, one stderr line, nothing on stdout. */
export function oneLineError(r: RunResult, tool: string): string {
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  if (lines.length !== 1 || !(lines[0] ?? '').startsWith(`${tool}: `) || r.stdout !== '' || r.code === 0) {
    throw new Error(`expected one "${tool}: ..." stderr line and a non-zero exit, got code ${r.code}, stdout ${JSON.stringify(r.stdout)}, stderr ${JSON.stringify(r.stderr)}`);
  }
  return lines[0] ?? '';
}
