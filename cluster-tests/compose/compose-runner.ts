// Runs docker-compose.cluster.yml without Docker: every service becomes a local process running exactly
// the service's entrypoint + command and environment, over the image's ENV (deploy/Dockerfile's runtime
// stage), in dependency order (service_started / service_healthy / service_completed_successfully),
// with the healthcheck's own command deciding health. The only translations are the ones a container
// boundary implies, applied to argv and environment values:
//   - the image's WORKDIR (/usr/share/immudb) is this checkout (dist/ must be built), `node` is this node;
//   - a named volume is a directory under the run directory; paths under its mount target follow it;
//   - each listening service (one with ports) gets its own loopback address (127.0.0.1, .2, .3 by
//     default): its hostname resolves to it, and inside it 0.0.0.0, 127.0.0.1 and localhost mean it.
//     Services keep their container ports (each on its own address); published host ports are for Docker.
// Health is polled every healthPollMs instead of the file's interval (same command, same retry budget).
// It does not restart anything: a service that exits stays exited, as with restart: "no".
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { guardEnv, orphanGuardImport, registerChild } from '../harness/child-registry.js';
import { parseComposeModel, type ComposeModel, type ComposeService } from './compose-model.js';

/** How often health is polled (the file's interval is for Docker; the same command runs here). */
export const healthPollMsDefault = 250;
/** How long `down` waits after SIGTERM before SIGKILL. */
export const serviceStopTimeoutMs = 10_000;
/** Upper bound on `up` as a whole. */
export const composeUpTimeoutMs = 90_000;

export const defaultAddresses: readonly string[] = ['127.0.0.1', '127.0.0.2', '127.0.0.3'];

export interface ComposeUpOptions {
  readonly repoRoot: string;
  /** Where volumes and logs go. */
  readonly runDir: string;
  readonly composeFile?: string;
  readonly dockerfile?: string;
  /** Loopback addresses given to the listening services, in file order. */
  readonly addresses?: readonly string[];
  readonly healthPollMs?: number;
  /** Only these services (and what they depend on); default every service. */
  readonly services?: readonly string[];
  /** Progress lines (service started, healthy, exited). */
  readonly log?: (line: string) => void;
  /**
   * false: do not SIGKILL the services when this process gets SIGINT (the dev script stops them
   * gracefully itself; each child still dies if this process dies, through the orphan guard).
   */
  readonly killOnSignal?: boolean;
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

interface Running {
  readonly service: ComposeService;
  readonly child: ChildProcess;
  readonly exited: Promise<ExitInfo>;
  readonly logPath: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Environment a container would not have: the developer's own immudb settings. */
function hostEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^(IMMUDB|IMMUADMIN|IMMUCLIENT)_/.test(k)) out[k] = v;
  }
  return out;
}

export class ComposeRunner {
  readonly model: ComposeModel;
  readonly #opts: ComposeUpOptions;
  readonly #ips = new Map<string, string>();
  readonly #running = new Map<string, Running>();
  readonly #log: (line: string) => void;

  private constructor(model: ComposeModel, opts: ComposeUpOptions) {
    this.model = model;
    this.#opts = opts;
    this.#log = opts.log ?? (() => undefined);
    const addresses = opts.addresses ?? defaultAddresses;
    const listening = model.services.filter((s) => s.ports.length > 0);
    if (listening.length > addresses.length) throw new Error(`${listening.length} listening services but only ${addresses.length} addresses`);
    listening.forEach((s, i) => this.#ips.set(s.name, addresses[i] as string));
  }

  static load(opts: ComposeUpOptions): ComposeRunner {
    const composeFile = opts.composeFile ?? join(opts.repoRoot, 'docker-compose.cluster.yml');
    const dockerfile = opts.dockerfile ?? join(opts.repoRoot, 'deploy', 'Dockerfile');
    return new ComposeRunner(parseComposeModel(readFileSync(composeFile, 'utf8'), readFileSync(dockerfile, 'utf8')), opts);
  }

  /** Loads the file and starts every service in dependency order; resolves when all are up (one-shots done). */
  static async up(opts: ComposeUpOptions): Promise<ComposeRunner> {
    const runner = ComposeRunner.load(opts);
    try {
      await runner.#upAll();
    } catch (err) {
      await runner.down();
      throw err;
    }
    return runner;
  }

  /** The loopback address of a listening service. */
  ip(service: string): string {
    const ip = this.#ips.get(service);
    if (ip === undefined) throw new Error(`service ${service} has no address (it publishes no ports)`);
    return ip;
  }

  /** `ip:containerPort` of a service: where its hostname:port points. */
  address(service: string, containerPort: number): string {
    return `${this.ip(service)}:${containerPort}`;
  }

  /** The translation of one argv or environment value for `service` (see the file header). */
  localize(value: string, service: ComposeService): string {
    const repoRoot = this.#opts.repoRoot;
    const workdir = this.model.image.workdir;
    let v = value;
    for (const vol of service.volumes) {
      if (v === vol.target || v.startsWith(`${vol.target}/`)) v = join(this.#volumeDir(vol.name), v.slice(vol.target.length));
    }
    if (v === workdir || v.startsWith(`${workdir}/`)) v = join(repoRoot, v.slice(workdir.length));
    for (const s of this.model.services) {
      const ip = this.#ips.get(s.name);
      if (ip === undefined) continue;
      if (v === s.hostname || v === s.name) v = ip;
      else if (v.startsWith(`${s.hostname}:`) || v.startsWith(`${s.name}:`)) v = ip + v.slice(v.indexOf(':'));
    }
    const own = this.#ips.get(service.name);
    if (own !== undefined) {
      if (v === '0.0.0.0') v = own;
      v = v.replace(/\b127\.0\.0\.1\b|\blocalhost\b/g, own);
    }
    return v;
  }

  #volumeDir(name: string): string {
    const dir = join(this.#opts.runDir, 'volumes', name);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** argv for spawn: `node` becomes this node with the orphan guard preloaded. */
  #command(argv: readonly string[], service: ComposeService): { file: string; args: string[] } {
    const [first, ...rest] = argv.map((a) => this.localize(a, service));
    if (first === undefined) throw new Error(`service ${service.name} has no command`);
    if (first === 'node') return { file: process.execPath, args: [...orphanGuardImport, ...rest] };
    return { file: first, args: rest };
  }

  #env(service: ComposeService): Record<string, string> {
    const env: Record<string, string> = { ...hostEnv(), ...guardEnv() };
    for (const [k, v] of Object.entries({ ...this.model.image.env, ...service.environment })) env[k] = this.localize(v, service);
    return env;
  }

  #spawn(service: ComposeService): Running {
    const logsDir = join(this.#opts.runDir, 'logs');
    mkdirSync(logsDir, { recursive: true });
    const logPath = join(logsDir, `${service.name}.log`);
    const out: WriteStream = createWriteStream(logPath, { flags: 'a' });
    const { file, args } = this.#command(service.argv, service);
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: this.#env(service), cwd: this.#opts.repoRoot });
    if (this.#opts.killOnSignal !== false) registerChild(child);
    child.stdout?.pipe(out, { end: false });
    child.stderr?.pipe(out, { end: false });
    const exited = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => {
        this.#log(`${service.name} exited (code ${code}, signal ${signal})`);
        setTimeout(() => out.end(), 50);
        resolve({ code, signal });
      });
    });
    const running: Running = { service, child, exited, logPath };
    this.#running.set(service.name, running);
    this.#log(`${service.name} started (pid ${child.pid ?? '?'}${this.#ips.has(service.name) ? `, ${this.#ips.get(service.name) ?? ''}` : ''})`);
    return running;
  }

  /** Runs the healthcheck command once: true on exit 0 within its timeout. */
  async #healthy(service: ComposeService): Promise<boolean> {
    const hc = service.healthcheck;
    if (hc === undefined) return true;
    const { file, args } = this.#command(hc.command, service);
    return new Promise((resolve) => {
      const child = spawn(file, args, { stdio: 'ignore', env: this.#env(service), timeout: hc.timeoutMs, killSignal: 'SIGKILL' });
      if (this.#opts.killOnSignal !== false) registerChild(child);
      child.once('exit', (code) => resolve(code === 0));
      child.once('error', () => resolve(false));
    });
  }

  async #waitHealthy(r: Running): Promise<void> {
    const hc = r.service.healthcheck;
    if (hc === undefined) throw new Error(`service ${r.service.name} has no healthcheck (service_healthy needs one)`);
    const deadline = Date.now() + hc.startPeriodMs + hc.intervalMs * hc.retries;
    let exit: ExitInfo | undefined;
    void r.exited.then((e) => (exit = e));
    while (Date.now() < deadline) {
      if (exit !== undefined) throw new Error(`service ${r.service.name} exited before it was healthy (code ${exit.code}); see ${r.logPath}`);
      if (await this.#healthy(r.service)) {
        this.#log(`${r.service.name} healthy`);
        return;
      }
      await sleep(this.#opts.healthPollMs ?? healthPollMsDefault);
    }
    throw new Error(`service ${r.service.name} not healthy within ${deadline - Date.now()} ms; see ${r.logPath}`);
  }

  #selected(): ComposeService[] {
    const wanted = this.#opts.services;
    if (wanted === undefined) return [...this.model.services];
    const out = new Set<string>();
    const add = (name: string): void => {
      if (out.has(name)) return;
      out.add(name);
      for (const d of this.model.services.find((s) => s.name === name)?.dependsOn ?? []) add(d.service);
    };
    wanted.forEach(add);
    return this.model.services.filter((s) => out.has(s.name));
  }

  async #upAll(): Promise<void> {
    const services = this.#selected();
    const started = new Map<string, Promise<Running>>();
    const healthy = new Map<string, Promise<void>>();
    const completed = new Map<string, Promise<void>>();
    const start = (s: ComposeService): Promise<Running> => {
      let p = started.get(s.name);
      if (p === undefined) {
        p = (async () => {
          for (const d of s.dependsOn) {
            const dep = services.find((x) => x.name === d.service);
            if (dep === undefined) throw new Error(`${s.name} depends on ${d.service}, which is not selected`);
            if (d.condition === 'service_started') await start(dep);
            if (d.condition === 'service_healthy') await waitHealthy(dep);
            if (d.condition === 'service_completed_successfully') await waitCompleted(dep);
          }
          return this.#spawn(s);
        })();
        started.set(s.name, p);
      }
      return p;
    };
    const waitHealthy = (s: ComposeService): Promise<void> => {
      let p = healthy.get(s.name);
      if (p === undefined) {
        p = start(s).then((r) => this.#waitHealthy(r));
        healthy.set(s.name, p);
      }
      return p;
    };
    const waitCompleted = (s: ComposeService): Promise<void> => {
      let p = completed.get(s.name);
      if (p === undefined) {
        p = start(s).then(async (r) => {
          const e = await r.exited;
          if (e.code !== 0) throw new Error(`service ${s.name} failed (code ${e.code}, signal ${e.signal}): ${readFileSync(r.logPath, 'utf8').trim().slice(-500)}`);
        });
        completed.set(s.name, p);
      }
      return p;
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`compose up did not finish in ${composeUpTimeoutMs} ms`)), composeUpTimeoutMs);
    });
    try {
      await Promise.race([
        Promise.all(services.map((s) => (s.oneShot ? waitCompleted(s) : s.healthcheck !== undefined ? waitHealthy(s) : start(s).then(() => undefined)))),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends a signal to a running service (SIGKILL: the crash fault; SIGSTOP/SIGCONT: a hung node). */
  signal(service: string, signal: NodeJS.Signals): void {
    const r = this.#running.get(service);
    if (r?.child.pid === undefined) throw new Error(`service ${service} is not running`);
    process.kill(r.child.pid, signal);
  }

  /** SIGKILL and wait for the exit. */
  async kill9(service: string): Promise<ExitInfo> {
    this.signal(service, 'SIGKILL');
    return (this.#running.get(service) as Running).exited;
  }

  /**
   * Runs a one-shot service again with its own command and environment, as a second `docker compose
   * up` does; resolves with its exit and what it printed (stdout and stderr).
   */
  async rerunOneShot(service: string): Promise<ExitInfo & { readonly output: string }> {
    const s = this.model.services.find((x) => x.name === service);
    if (s === undefined || !s.oneShot) throw new Error(`${service} is not a one-shot service`);
    const r = this.#spawn(s);
    const chunks: Buffer[] = [];
    r.child.stdout?.on('data', (c: Buffer) => void chunks.push(c));
    r.child.stderr?.on('data', (c: Buffer) => void chunks.push(c));
    const e = await r.exited;
    return { ...e, output: Buffer.concat(chunks).toString('utf8') };
  }

  /** Resolves when the service's process has exited (it must have been started). */
  exited(service: string): Promise<ExitInfo> {
    const r = this.#running.get(service);
    if (r === undefined) throw new Error(`service ${service} was never started`);
    return r.exited;
  }

  logPath(service: string): string {
    return join(this.#opts.runDir, 'logs', `${service}.log`);
  }

  /** SIGTERM every running service, SIGKILL what is left after serviceStopTimeoutMs. */
  async down(): Promise<void> {
    const live = [...this.#running.values()].filter((r) => r.child.exitCode === null && r.child.signalCode === null);
    for (const r of live) {
      try {
        if (r.child.pid !== undefined) {
          process.kill(r.child.pid, 'SIGCONT');
          process.kill(r.child.pid, 'SIGTERM');
        }
      } catch {
        // already gone
      }
    }
    await Promise.all(
      live.map(async (r) => {
        const done = await Promise.race([r.exited, sleep(serviceStopTimeoutMs).then(() => undefined)]);
        if (done === undefined && r.child.pid !== undefined) {
          try {
            process.kill(r.child.pid, 'SIGKILL');
          } catch {
            // already gone
          }
          await r.exited;
        }
      }),
    );
  }
}
