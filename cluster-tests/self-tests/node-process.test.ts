// Self-test of the node supervisor with a real immudb process on 127.0.0.2: start until healthy, data
// written before a SIGKILL is there after a restart on the same port, SIGSTOP makes calls time out and
// SIGCONT recovers, SIGTERM stops gracefully, events are parsed; and the orphan guard kills a child
// whose parent was SIGKILLed (so a crashed test run leaves no immudb behind).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImmuError } from '../../src/client/index.js';
import { guardParentEnv, liveChildCount, orphanGuardImport } from '../harness/child-registry.js';
import { NodeProcess } from '../harness/node-process.js';
import { makeRunDir, type RunDir } from '../harness/paths.js';

const pausedCallTimeoutMs = 500;
const orphanDeathWaitMs = 5_000;

/** Running or sleeping; a zombie (dead, not yet reaped by its new parent) counts as dead. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

describe('NodeProcess', () => {
  let run: RunDir;
  let node: NodeProcess;

  beforeAll(async () => {
    run = makeRunDir('self-node-process');
    node = new NodeProcess({ name: 'solo', host: '127.0.0.2', nodeDir: join(run.path, 'solo') });
    await node.start();
  });

  afterAll(async () => {
    await node.stop();
    run.remove();
  });

  it('starts healthy on the requested loopback address with kernel-chosen ports', async () => {
    expect(node.status).toBe('running');
    expect(node.port).toBeGreaterThan(0);
    expect(node.metricsPort).toBeGreaterThan(0);
    expect(await node.probe()).toBe('ok');
    const started = await node.waitForEvent('server.started');
    expect(started.fields['address']).toBe('127.0.0.2');
  });

  it('keeps acknowledged data across SIGKILL and restart on the same port', async () => {
    const port = node.port;
    const c = await node.client('defaultdb');
    const hdr = await c.set(Buffer.from('survivor'), Buffer.from('v1'));
    c.close();
    const exit = await node.kill9();
    expect(exit.signal).toBe('SIGKILL');
    expect(node.status).toBe('exited');
    await node.start();
    expect(node.port).toBe(port);
    expect(node.starts).toBe(2);
    const d = await node.client('defaultdb');
    const entry = await d.get(Buffer.from('survivor'));
    expect(entry.value.toString()).toBe('v1');
    expect(entry.tx).toBe(hdr.id);
    d.close();
  });

  it('SIGSTOP makes calls time out and SIGCONT recovers', async () => {
    const c = await node.client('defaultdb', pausedCallTimeoutMs);
    try {
      node.pause();
      expect(node.status).toBe('paused');
      const err = await c.get(Buffer.from('survivor')).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isImmuError(err) && err.code).toBe('TIMEOUT');
      node.resume();
      const entry = await c.get(Buffer.from('survivor'));
      expect(entry.value.toString()).toBe('v1');
    } finally {
      c.close();
    }
  });

  it('stops gracefully on SIGTERM and restart() brings it back', async () => {
    const cursor = node.events.cursor;
    expect(await node.stop()).toBe('graceful');
    await node.waitForEvent('server.stopped', {}, 1_000, cursor);
    await node.restart();
    expect(await node.probe()).toBe('ok');
    expect(liveChildCount()).toBe(1);
  });

  it('the orphan guard kills a child whose parent died', async () => {
    // sh starts a guarded long-lived node in the background, prints its pid, then waits; we SIGKILL sh.
    const guarded = ['node', ...orphanGuardImport.map((a) => `'${a}'`), '-e', "'setInterval(() => {}, 1000)'"].join(' ');
    const sh = spawn('sh', ['-c', `${guardParentEnv}=$$ ${guarded} & echo $!; sleep 30`], { stdio: ['ignore', 'pipe', 'ignore'] });
    const pid = await new Promise<number>((resolve) => sh.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    try {
      expect(alive(pid)).toBe(true);
      sh.kill('SIGKILL');
      const deadline = Date.now() + orphanDeathWaitMs;
      while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(alive(pid)).toBe(false);
    } finally {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
      sh.kill('SIGKILL');
    }
  });
});
