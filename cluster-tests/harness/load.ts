// Write load for scenarios: a few concurrent writers, each setting unique keys (`<prefix>w<i>-<seq>`)
// with unique values on whatever node `target()` names at that moment, every attempt recorded in a
// WriteHistory. Bounded twice, by duration and by attempt count, and stoppable at any time; a writer
// whose node is unreachable backs off and retries its login, which is not a write attempt. It decides
// nothing about correctness: the history checker does.
import type { ImmuClient } from '../../src/client/index.js';
import type { WriteHistory } from './history.js';
import { loadDurationMsMax, loadWritesMax, pollIntervalMs } from './limits.js';
import type { NodeProcess } from './node-process.js';

export interface LoadOptions {
  readonly db: string;
  readonly history: WriteHistory;
  /** Where writes go now; undefined pauses the writers. */
  readonly target: () => NodeProcess | undefined;
  readonly keyPrefix: string;
  readonly writers: number;
  readonly durationMs: number;
  readonly writesMax: number;
  /** Deadline of each write call. */
  readonly callTimeoutMs: number;
}

export interface LoadRun {
  /** Asks the writers to stop and waits for their in-flight writes. */
  stop(): Promise<void>;
  /** Resolves when the load ends by itself (duration or count reached) or after stop(). */
  readonly done: Promise<void>;
  /** Acked writes so far. */
  acked(): number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function startLoad(options: LoadOptions): LoadRun {
  const durationMs = Math.min(options.durationMs, loadDurationMsMax);
  const writesMax = Math.min(options.writesMax, loadWritesMax);
  const deadline = Date.now() + durationMs;
  let stopped = false;
  let attempts = 0;
  let acked = 0;
  const salt = Math.random().toString(36).slice(2, 8);
  const more = (): boolean => !stopped && attempts < writesMax && Date.now() < deadline;

  async function writer(index: number): Promise<void> {
    let client: ImmuClient | undefined;
    let clientNode: NodeProcess | undefined;
    let seq = 0;
    try {
      while (more()) {
        const node = options.target();
        if (node === undefined) {
          await sleep(pollIntervalMs);
          continue;
        }
        if (client === undefined || clientNode !== node) {
          client?.close();
          client = undefined;
          try {
            client = await node.client(options.db, options.callTimeoutMs);
            clientNode = node;
          } catch {
            await sleep(pollIntervalMs);
            continue;
          }
        }
        if (!more()) break;
        attempts += 1;
        const key = `${options.keyPrefix}w${index}-${seq}`;
        const value = `v-${salt}-${index}-${seq}`;
        seq += 1;
        const c = client;
        const rec = await options.history.attempt(key, value, node.name, async () => (await c.set(Buffer.from(key), Buffer.from(value))).id);
        if (rec.outcome.kind === 'acked') acked += 1;
        else {
          // Reconnect (possibly to another target) before the next attempt.
          client.close();
          client = undefined;
          await sleep(pollIntervalMs);
        }
      }
    } finally {
      client?.close();
    }
  }

  const done = Promise.all(Array.from({ length: options.writers }, (_, i) => writer(i))).then(() => undefined);
  return {
    async stop() {
      stopped = true;
      await done;
    },
    done,
    acked: () => acked,
  };
}
