// A user database that fails to open at start does not stop the node. Two databases are written, the
// server stops, one database's tx chunk is truncated inside its header (as a crash mid-copy or a bad
// disk would leave it), and the server starts again: it logs `node.database_open_failed` with the
// reason, lists the database as not loaded, reports it on /readyz (still ready: the others serve) and
// in `immudb_database_open_failed`, refuses its use naming the failure, and serves the other database.
import { mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImmuClient } from '../client/index.js';
import { ImmuError } from '../common/errors.js';
import { startServer, type RunningServer, type ServerOptions } from './server-main.js';

/** Bytes kept of the bad database's first tx chunk: inside its header (a few hundred bytes). */
const truncatedChunkBytes = 10;

let dir: string;
let server: RunningServer | undefined;
let client: ImmuClient | undefined;
const lines: string[] = [];

function options(): ServerOptions {
  return {
    dir: join(dir, 'data'),
    address: '127.0.0.1',
    port: 0,
    logger: pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }),
    adminPassword: 'immudb',
    metricsServer: true,
    metricsPort: 0,
    hashWorkers: 0,
  };
}

function connect(s: RunningServer): ImmuClient {
  return new ImmuClient({ address: `127.0.0.1:${s.port}`, stateDir: join(dir, 'client-state'), timeoutMs: 10_000 });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'immudb-open-failure-'));
  const first = await startServer(options());
  const c = connect(first);
  try {
    await c.login('immudb', 'immudb');
    for (const db of ['good', 'bad']) {
      await c.createDatabaseV2(db);
      await c.useDatabase(db);
      for (let i = 0; i < 3; i++) await c.set(Buffer.from(`k${i}`), Buffer.from(`${db}-${i}`));
    }
  } finally {
    c.close();
    await first.stop();
  }
  truncateSync(join(dir, 'data', 'bad', 'tx', '00000000.tx'), truncatedChunkBytes);
  lines.length = 0;
  server = await startServer(options());
  client = connect(server);
  await client.login('immudb', 'immudb');
});

afterAll(async () => {
  client?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a database that fails to open at start', () => {
  it('is logged with its reason, and the node starts', () => {
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const failed = events.find((e) => e['event'] === 'node.database_open_failed');
    expect(failed).toMatchObject({ db: 'bad', code: 'CORRUPTED_DATA' });
    expect(String(failed?.['reason'])).toMatch(/bad/);
    expect(events.some((e) => e['event'] === 'node.started')).toBe(true);
  });

  it('is listed as not loaded, and using it names the failure', async () => {
    if (client === undefined) throw new Error('not started');
    const listed = await client.listDatabasesV2();
    expect(listed.map((d) => [d.name, d.loaded])).toEqual(expect.arrayContaining([['good', true], ['bad', false]]));
    const err = await client.useDatabase('bad').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ImmuError);
    expect((err as ImmuError).code).toBe('DATABASE_NOT_LOADED');
    expect((err as ImmuError).message).toMatch(/failed to open at start \(CORRUPTED_DATA/);
  });

  it('is reported by /readyz and the metrics, while the node stays ready', async () => {
    if (server === undefined) throw new Error('not started');
    const base = `http://127.0.0.1:${server.metricsPort}`;
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toMatch(/^ready\ndegraded: bad: failed to open at start: CORRUPTED_DATA: /);
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/immudb_database_open_failed\{db="bad"\} 1/);
  });

  it('leaves every other database serving', async () => {
    if (client === undefined) throw new Error('not started');
    await client.useDatabase('good');
    expect((await client.get(Buffer.from('k2'))).value.toString()).toBe('good-2');
    await client.set(Buffer.from('after'), Buffer.from('restart'));
    expect((await client.verifiedGet(Buffer.from('after'))).value.toString()).toBe('restart');
  });
});
