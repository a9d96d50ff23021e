// Starts the forging relay (replication/replica/testing/forging-relay.ts, built to dist/) as a child
// process between a primary and a replica for scenario 5: the replica is pointed at the relay, which
// relays the real primary's answers and forges one tx per configured database. Like the TCP proxy it
// is a fault injector; the harness only spawns it by path and reads its JSON lines (it imports nothing
// of replication/). The child is registered, so it never outlives the test process.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { guardEnv, orphanGuardImport, registerChild } from './child-registry.js';
import { EventLog, eventNamed, type LogEvent } from './log-events.js';
import { eventWaitTimeoutMs, nodeExitWaitMs, nodeStartTimeoutMs } from './limits.js';
import { repoRoot } from './paths.js';

export type Forgery = 'value' | 'header' | 'order' | 'replay';

export interface ForgeSpec {
  readonly db: string;
  readonly kind: Forgery;
  /** The tx the replica asks for that gets the forged answer. */
  readonly txId: number;
}

export function forgingRelayPath(): string {
  return join(repoRoot, 'dist', 'replication', 'replica', 'testing', 'forging-relay.js');
}

export class ForgingRelayProcess {
  readonly host: string;
  readonly events = new EventLog();
  #child: ChildProcess | undefined;
  #port = 0;
  #exited: Promise<void> = Promise.resolve();

  private constructor(host: string) {
    this.host = host;
  }

  get port(): number {
    return this.#port;
  }

  /** Spawns the relay listening on `host` and relaying to `upstream` (HOST:PORT); waits for its port. */
  static async start(host: string, upstream: string, forge: readonly ForgeSpec[]): Promise<ForgingRelayProcess> {
    if (!existsSync(forgingRelayPath())) throw new Error(`${forgingRelayPath()} is missing: run \`npx tsc -p tsconfig.build.json\` first`);
    const relay = new ForgingRelayProcess(host);
    const args = [...orphanGuardImport, forgingRelayPath(), '--upstream', upstream, '--listen', host];
    for (const f of forge) args.push('--forge', `${f.db}=${f.kind}:${f.txId}`);
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...guardEnv() } });
    relay.#child = child;
    registerChild(child);
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => relay.events.push(chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-2_000)));
    relay.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const failed = relay.#exited.then(() => {
      throw new Error(`forging relay exited during start: ${stderr.trim() || 'no output'}`);
    });
    failed.catch(() => undefined);
    const started: LogEvent = await Promise.race([relay.events.waitFor(eventNamed('relay.started'), nodeStartTimeoutMs, 0, 'relay.started'), failed]);
    const port = started.fields['port'];
    if (typeof port !== 'number') throw new Error('relay.started without a port');
    relay.#port = port;
    return relay;
  }

  /** Resolves with the relay's `relay.forged` event for `db`. */
  waitForForged(db: string, timeoutMs = eventWaitTimeoutMs): Promise<LogEvent> {
    return this.events.waitFor(eventNamed('relay.forged', { db }), timeoutMs, 0, `relay.forged ${db}`);
  }

  async close(): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#exited, new Promise<void>((r) => (timer = setTimeout(r, nodeExitWaitMs)))]);
    clearTimeout(timer);
  }
}
