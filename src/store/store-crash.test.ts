// Crash safety with a real process: a child writes in a loop and prints each acknowledged tx id; it is
// killed with SIGKILL mid-stream. On reopen every acknowledged tx is there and verify() passes.
// The child imports the compiled store from dist/ (built here with tsc).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { ImmuStore } from './immu-store.js';
import { currentBootId, readUnsyncedMarker } from './index/unsynced-marker.js';
import { openTestStore, tempDir } from './test-support.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = path.join(repo, 'dist/src/store');

const childSource = `
import { ImmuStore } from ${JSON.stringify(path.join(dist, 'immu-store.js'))};
import { MemoryIndex } from ${JSON.stringify(path.join(dist, 'test-support.js'))};
import { pino } from 'pino';
const dir = process.argv[2];
const store = await ImmuStore.openWith({ dir, logger: pino({ level: 'silent' }) }, MemoryIndex.open);
let n = 0;
const writer = async (w) => {
  for (;;) {
    const i = n++;
    const entries = Array.from({ length: 1 + (i % 100) }, (_, j) => ({ key: Buffer.from('k' + i + '-' + j), value: Buffer.alloc(64 + (j % 50), i % 251) }));
    const c = await store.commit({ entries });
    process.stdout.write(c.header.id + ' ' + c.alh.toString('hex') + '\\n');
  }
};
await Promise.all([writer(0), writer(1), writer(2), writer(3)]);
`;

// The real key index, unsynced (the default): each acknowledged write was indexed (read-your-writes)
// before the child printed it.
const indexedChildSource = `
import { ImmuStore } from ${JSON.stringify(path.join(dist, 'immu-store.js'))};
import { pino } from 'pino';
const dir = process.argv[2];
const store = await ImmuStore.open({ dir, logger: pino({ level: 'silent' }) });
let n = 0;
const writer = async () => {
  for (;;) {
    const i = n++;
    const entries = Array.from({ length: 1 + (i % 50) }, (_, j) => ({ key: Buffer.from('k' + i + '-' + j), value: Buffer.alloc(40, i % 251) }));
    const c = await store.commit({ entries });
    await store.index.waitForIndexedTx(c.header.id);
    process.stdout.write(c.header.id + ' ' + i + '\\n');
  }
};
await Promise.all([writer(), writer(), writer(), writer()]);
`;

beforeAll(() => {
  spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: repo, stdio: 'ignore' });
  expect(fs.existsSync(path.join(dist, 'immu-store.js'))).toBe(true);
}, 120_000);

describe('SIGKILL while writing', () => {
  for (const delayMs of [150, 400, 900]) {
    it(`every acknowledged tx survives a kill after ${delayMs} ms`, async () => {
      const dir = tempDir();
      const script = path.join(repo, 'dist', `store-crash-child-${process.pid}-${delayMs}.mjs`);
      fs.writeFileSync(script, childSource);
      const child = spawn(process.execPath, [script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      await new Promise((r) => setTimeout(r, delayMs));
      await new Promise<void>((resolve) => {
        const wait = (): void => {
          if (out.split('\n').length > 5) resolve();
          else setTimeout(wait, 20);
        };
        wait();
      });
      child.kill('SIGKILL');
      await new Promise((r) => child.on('exit', r));
      fs.rmSync(script, { force: true });
      const acked = out
        .split('\n')
        .filter((l) => /^\d+ [0-9a-f]{64}$/.test(l))
        .map((l) => l.split(' ') as [string, string]);
      expect(acked.length).toBeGreaterThan(0);
      const store = await openTestStore({ dir });
      const maxAcked = Math.max(...acked.map(([id]) => Number(id)));
      expect(store.committedState().txId).toBeGreaterThanOrEqual(maxAcked);
      for (const [id, alh] of acked) expect((await store.readTx(Number(id))).alh.toString('hex')).toBe(alh);
      const report = await store.verify();
      expect(report.lastTxId).toBe(store.committedState().txId);
      await store.commit({ entries: [{ key: Buffer.from('after'), value: Buffer.from('kill') }] });
      await store.close();
    });
  }
});

describe('SIGKILL while writing with the unsynced key index', () => {
  it('after restart the index is reused (same boot) and every acknowledged key reads back from it', async () => {
    const dir = tempDir();
    const script = path.join(repo, 'dist', `store-crash-index-child-${process.pid}.mjs`);
    fs.writeFileSync(script, indexedChildSource);
    const child = spawn(process.execPath, [script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    await new Promise<void>((resolve) => {
      const wait = (): void => {
        if (out.split('\n').length > 200) resolve();
        else setTimeout(wait, 20);
      };
      wait();
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    fs.rmSync(script, { force: true });
    // the child ran lmdb without fsync: its marker for this boot is still there
    expect(readUnsyncedMarker(path.join(dir, 'index'))).toBe(currentBootId());
    const acked = out
      .split('\n')
      .filter((l) => /^\d+ \d+$/.test(l))
      .map((l) => l.split(' ').map(Number) as [number, number]);
    expect(acked.length).toBeGreaterThan(100);
    const lines: { event?: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as { event?: string }) });
    const store = await ImmuStore.open({ dir, logger });
    await store.index.waitForIndexedTx(store.committedState().txId, 10_000);
    expect(lines.map((l) => l.event)).not.toContain('index.discarded');
    for (const [txId, i] of acked) {
      for (let j = 0; j < 1 + (i % 50); j += 7) {
        const v = store.index.get(Buffer.from(`k${i}-${j}`));
        expect(v?.txId).toBe(txId);
        expect(await store.readValue(v!.value, v!.hVal)).toEqual(Buffer.alloc(40, i % 251));
      }
    }
    await store.close();
    expect(readUnsyncedMarker(path.join(dir, 'index'))).toBeUndefined();
  }, 60_000);
});
