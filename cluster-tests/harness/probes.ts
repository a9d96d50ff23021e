// Small outside-in probes for scenarios: poll a condition until it holds (instead of a fixed sleep),
// read one sample of a node's Prometheus metrics endpoint, and read one key on a node as a
// present/absent/error outcome. Bounded in time; they decide nothing about correctness.
import { isImmuError } from '../../src/client/index.js';
import { harnessCallTimeoutMs, pollIntervalMs } from './limits.js';
import type { NodeProcess } from './node-process.js';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `probe` every pollIntervalMs until it returns a value other than undefined; throws with `what`
 * and the last error after timeoutMs.
 */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = 'not polled';
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
      last = 'condition not met';
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(pollIntervalMs);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms (${last})`);
}

/** The value of one metric sample (`name{labels}`) on the node's metrics endpoint, or undefined. */
export async function metricValue(node: NodeProcess, name: string, labels: Readonly<Record<string, string>>): Promise<number | undefined> {
  const res = await fetch(`http://${node.host}:${node.metricsPort}/metrics`, { signal: AbortSignal.timeout(harnessCallTimeoutMs) });
  const text = await res.text();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const open = line.indexOf('{');
    const close = line.indexOf('}');
    const labelText = open >= 0 && close > open ? line.slice(open + 1, close) : '';
    const have = new Map([...labelText.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(line.slice((close >= 0 ? close : name.length) + 1).trim());
  }
  return undefined;
}

export type KeyRead = { readonly kind: 'present'; readonly value: string } | { readonly kind: 'absent' } | { readonly kind: 'error'; readonly code: string };

/** Reads `key` of `db` on `node` (Get, as of the node's committed state). */
export async function readKey(node: NodeProcess, db: string, key: string): Promise<KeyRead> {
  const client = await node.client(db);
  try {
    const entry = await client.get(Buffer.from(key));
    return { kind: 'present', value: entry.value.toString('utf8') };
  } catch (err) {
    if (isImmuError(err, 'KEY_NOT_FOUND')) return { kind: 'absent' };
    return { kind: 'error', code: isImmuError(err) ? err.code : (err as Error).message };
  } finally {
    client.close();
  }
}
