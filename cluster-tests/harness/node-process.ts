// Supervises one real `immudb` child process for cluster tests: spawn on a loopback address with its
// own data directory, wait until it answers Health and /readyz, capture stdout/stderr to files while
// parsing its JSON events, and inject process faults (SIGKILL, SIGTERM, SIGSTOP/SIGCONT, restart).
// Ports default to 0 (the kernel picks free ones, read back from `server.started`) and are pinned for
// restarts, so replicas and proxies pointing at a node stay valid across its restarts.
// It drives the server only from outside: never imports src/server or src/store.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { ImmuClient, MemoryStateStore } from '../../src/client/index.js';
import { guardEnv, orphanGuardImport, registerChild } from './child-registry.js';
import { EventLog, eventNamed, type EventMatcher, type LogEvent } from './log-events.js';
import {
  eventWaitTimeoutMs,
  harnessCallTimeoutMs,
  nodeExitWaitMs,
  nodeStartTimeoutMs,
  nodeStopTimeoutMs,
  pollIntervalMs,
} from './limits.js';
import { immudbBinPath } from './paths.js';

export const adminUser = 'immudb';
export const adminPasswordDefault = 'immudb-cluster-Test1!';

export interface NodeSpec {
  /** node1, node2, ...: names the directory and the logs. */
  readonly name: string;
  /** A loopback address (127.0.0.0/8). */
  readonly host: string;
  /** The node's own directory (data, logs, pidfile live under it). */
  readonly nodeDir: string;
  /** gRPC port; 0 (default) lets the kernel choose at first start. */
  readonly port?: number;
  readonly metricsPort?: number;
  readonly adminPassword?: string;
  /** More `immudb` flags, e.g. `--replication-is-replica`. */
  readonly extraArgs?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

export type NodeStatus = 'new' | 'starting' | 'running' | 'paused' | 'exited';

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const loopback = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class NodeProcess {
  readonly spec: NodeSpec;
  readonly events = new EventLog();
  #child: ChildProcess | undefined;
  #exited: Promise<ExitInfo> = Promise.resolve({ code: null, signal: null });
  #status: NodeStatus = 'new';
  #port: number;
  #metricsPort: number;
  #stdout: WriteStream | undefined;
  #stderr: WriteStream | undefined;
  #stderrTail = '';
  #starts = 0;

  constructor(spec: NodeSpec) {
    if (!loopback.test(spec.host)) throw new Error(`node ${spec.name}: ${spec.host} is not a loopback address`);
    this.spec = spec;
    this.#port = spec.port ?? 0;
    this.#metricsPort = spec.metricsPort ?? 0;
    mkdirSync(this.dataDir, { recursive: true });
  }

  get name(): string {
    return this.spec.name;
  }
  get host(): string {
    return this.spec.host;
  }
  get dataDir(): string {
    return join(this.spec.nodeDir, 'data');
  }
  get stdoutPath(): string {
    return join(this.spec.nodeDir, 'stdout.log');
  }
  get stderrPath(): string {
    return join(this.spec.nodeDir, 'stderr.log');
  }
  get port(): number {
    return this.#port;
  }
  get metricsPort(): number {
    return this.#metricsPort;
  }
  get address(): string {
    return `${this.spec.host}:${this.#port}`;
  }
  get status(): NodeStatus {
    return this.#status;
  }
  get running(): boolean {
    return this.#status === 'running' || this.#status === 'paused' || this.#status === 'starting';
  }
  get pid(): number | undefined {
    return this.running ? this.#child?.pid : undefined;
  }
  get adminPassword(): string {
    return this.spec.adminPassword ?? adminPasswordDefault;
  }
  /** How many times the process was spawned. */
  get starts(): number {
    return this.#starts;
  }

  #args(): string[] {
    return [
      ...orphanGuardImport,
      immudbBinPath(),
      '--dir', this.dataDir,
      '--address', this.spec.host,
      '--port', String(this.#port),
      '--metrics-server-port', String(this.#metricsPort),
      '--admin-password', this.adminPassword,
      '--pidfile', join(this.spec.nodeDir, 'immudb.pid'),
      '--log-level', 'info',
      ...(this.spec.extraArgs ?? []),
    ];
  }

  /** Spawns the process and waits until it is healthy. */
  async start(timeoutMs = nodeStartTimeoutMs): Promise<void> {
    if (this.running) throw new Error(`node ${this.name} is already running`);
    if (!existsSync(immudbBinPath())) throw new Error(`${immudbBinPath()} is missing: run \`npx tsc -p tsconfig.build.json\` first`);
    this.#status = 'starting';
    this.#starts += 1;
    const cursor = this.events.cursor;
    this.#stdout = createWriteStream(this.stdoutPath, { flags: 'a' });
    this.#stderr = createWriteStream(this.stderrPath, { flags: 'a' });
    this.#stderrTail = '';
    const child = spawn(process.execPath, this.#args(), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...(this.spec.env ?? {}), ...guardEnv() },
    });
    this.#child = child;
    registerChild(child);
    const stdout = this.#stdout;
    const stderr = this.#stderr;
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout.write(chunk);
      this.events.push(chunk.toString('utf8'));
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr.write(chunk);
      this.#stderrTail = (this.#stderrTail + chunk.toString('utf8')).slice(-4_000);
    });
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        if (this.#child === child) this.#status = 'exited';
        stdout.end();
        stderr.end();
        resolve({ code, signal });
      });
    });
    const deadline = Date.now() + timeoutMs;
    const failed = this.#exited.then((info) => {
      const why = this.#stderrTail.trim() || 'no output on stderr (an empty entry point? is dist being rebuilt right now?)';
      throw new Error(`node ${this.name} exited during start (code ${info.code}, signal ${info.signal}): ${why}`);
    });
    failed.catch(() => undefined);
    const started = await Promise.race([
      this.events.waitFor(eventNamed('server.started'), timeoutMs, cursor, `${this.name} server.started`),
      failed,
    ]);
    this.#learnPorts(started);
    await Promise.race([this.waitHealthy(Math.max(0, deadline - Date.now())), failed]);
    this.#status = 'running';
  }

  #learnPorts(started: LogEvent): void {
    const port = started.fields['port'];
    const metricsPort = started.fields['metricsPort'];
    if (typeof port === 'number') this.#port = port;
    if (typeof metricsPort === 'number') this.#metricsPort = metricsPort;
  }

  /** Health RPC and /readyz both answer OK, polled until timeoutMs. */
  async waitHealthy(timeoutMs = nodeStartTimeoutMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'not polled';
    while (Date.now() < deadline) {
      last = await this.probe();
      if (last === 'ok') return;
      await sleep(pollIntervalMs);
    }
    throw new Error(`node ${this.name} not healthy after ${timeoutMs} ms: ${last}`);
  }

  /** One health probe: 'ok' or what failed. */
  async probe(): Promise<string> {
    const client = new ImmuClient({ address: this.address, timeoutMs: harnessCallTimeoutMs, stateStore: new MemoryStateStore() });
    try {
      const health = await client.health();
      if (!health.status) return 'Health reports not serving';
    } catch (err) {
      return `Health: ${(err as Error).message}`;
    } finally {
      client.close();
    }
    try {
      const res = await fetch(`http://${this.spec.host}:${this.#metricsPort}/readyz`, { signal: AbortSignal.timeout(harnessCallTimeoutMs) });
      return res.ok ? 'ok' : `/readyz ${res.status}: ${(await res.text()).trim()}`;
    } catch (err) {
      return `/readyz: ${(err as Error).message}`;
    }
  }

  /** Resolves with the first matching event logged from `fromCursor` on (default: since the first start). */
  waitForEvent(name: string, fields: Readonly<Record<string, unknown>> = {}, timeoutMs = eventWaitTimeoutMs, fromCursor = 0): Promise<LogEvent> {
    return this.events.waitFor(eventNamed(name, fields), timeoutMs, fromCursor, `${this.name} ${name}`);
  }

  waitForMatch(match: EventMatcher, timeoutMs = eventWaitTimeoutMs, fromCursor = 0): Promise<LogEvent> {
    return this.events.waitFor(match, timeoutMs, fromCursor, `${this.name} matching event`);
  }

  #signal(signal: NodeJS.Signals): void {
    const pid = this.#child?.pid;
    if (pid === undefined || !this.running) throw new Error(`node ${this.name} is not running`);
    process.kill(pid, signal);
  }

  async #awaitExit(timeoutMs: number): Promise<ExitInfo | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
    const info = await Promise.race([this.#exited, timeout]);
    clearTimeout(timer);
    return info;
  }

  /** SIGKILL: the crash fault. Resolves once the process is gone. */
  async kill9(): Promise<ExitInfo> {
    this.#signal('SIGKILL');
    const info = await this.#awaitExit(nodeExitWaitMs);
    if (info === undefined) throw new Error(`node ${this.name} did not exit ${nodeExitWaitMs} ms after SIGKILL`);
    return info;
  }

  /** SIGTERM (graceful), SIGKILL after timeoutMs. Reports which one ended it. */
  async stop(timeoutMs = nodeStopTimeoutMs): Promise<'graceful' | 'killed' | 'not-running'> {
    if (!this.running) return 'not-running';
    if (this.#status === 'paused') this.resume();
    this.#signal('SIGTERM');
    if ((await this.#awaitExit(timeoutMs)) !== undefined) return 'graceful';
    await this.kill9();
    return 'killed';
  }

  /** SIGSTOP: the process holds its sockets but answers nothing. */
  pause(): void {
    this.#signal('SIGSTOP');
    this.#status = 'paused';
  }

  /** SIGCONT after pause(). */
  resume(): void {
    this.#signal('SIGCONT');
    this.#status = 'running';
  }

  /** Stops (gracefully unless `crash`) and starts again on the same ports and data directory. */
  async restart(options: { readonly crash?: boolean } = {}): Promise<void> {
    if (this.running) {
      if (options.crash === true) await this.kill9();
      else await this.stop();
    }
    await this.start();
  }

  /** A client logged in as the admin (token auth), with `database` selected when given. */
  async client(database?: string, timeoutMs = harnessCallTimeoutMs): Promise<ImmuClient> {
    const client = new ImmuClient({ address: this.address, timeoutMs, stateStore: new MemoryStateStore() });
    try {
      await client.login(adminUser, this.adminPassword, database);
    } catch (err) {
      client.close();
      throw err;
    }
    return client;
  }

  /** The last lines of stderr (for failure messages). */
  stderrTail(): string {
    return existsSync(this.stderrPath) ? readFileSync(this.stderrPath, 'utf8').slice(-2_000) : '';
  }
}
