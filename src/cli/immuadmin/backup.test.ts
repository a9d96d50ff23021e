// hot-backup and hot-restore as users run them: the built immuadmin as a child process against two real
// servers started in-process. An incremental backup taken twice with writes in between (the second run
// appends only the new transactions), restored into a fresh database on the second server whose state
// equals the source's; a restore onto an existing partial copy; a flipped byte and a truncated tail
// refused at the right transaction with nothing applied; an appender refusing a file of another history.
import { copyFileSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImmuClient } from '../../client/immu-client.js';
import { MemoryStateStore } from '../../client/state-store.js';
import { BackupReader, summarizeBackup, type BackupRecord } from '../../client/backup/backup-reader.js';
import { recordHeaderBytes } from '../../client/backup/backup-format.js';
import { buildDistOnce, oneLineError, runTool, startCliTestServer, type CliTestServer, type RunResult } from '../tool-common/testing/cli-harness.js';

let source: CliTestServer;
let target: CliTestServer;

beforeAll(async () => {
  buildDistOnce();
  [source, target] = await Promise.all([startCliTestServer(), startCliTestServer()]);
}, 120_000);

afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
});

function admin(srv: CliTestServer, args: readonly string[]): Promise<RunResult> {
  return runTool('immuadmin', srv.home, ['-p', String(srv.port), '--username', 'immudb', '--password', 'immudb', ...args], { timeoutMs: 60_000 });
}

async function okJson(srv: CliTestServer, args: readonly string[]): Promise<Record<string, unknown>> {
  const r = await admin(srv, [...args, '--output', 'json']);
  if (r.code !== 0) throw new Error(`immuadmin ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

async function client(srv: CliTestServer, db: string): Promise<ImmuClient> {
  const c = new ImmuClient({ address: `127.0.0.1:${srv.port}`, stateStore: new MemoryStateStore() });
  await c.login('immudb', 'immudb');
  await c.useDatabase(db);
  return c;
}

async function write(c: ImmuClient, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i++) await c.set(Buffer.from(`key-${i}`), Buffer.from(`value-${i}`));
}

async function stateOf(srv: CliTestServer, db: string): Promise<{ txId: number; alh: string }> {
  const c = await client(srv, db);
  try {
    const s = await c.currentState();
    return { txId: s.txId, alh: s.txHash.toString('hex') };
  } finally {
    c.close();
  }
}

async function records(path: string): Promise<BackupRecord[]> {
  const r = await BackupReader.open(path);
  const out: BackupRecord[] = [];
  for await (const ev of r.scan({ payloads: false })) if (ev.kind === 'record') out.push(ev.record);
  await r.close();
  return out;
}

async function databases(srv: CliTestServer): Promise<string[]> {
  const c = new ImmuClient({ address: `127.0.0.1:${srv.port}`, stateStore: new MemoryStateStore() });
  await c.login('immudb', 'immudb');
  try {
    return await c.listDatabases();
  } finally {
    c.close();
  }
}

const file = (name: string): string => join(source.home, name);

describe('immuadmin hot-backup / hot-restore', () => {
  let full: string;
  let firstFour: string;
  let sourceState: { txId: number; alh: string };

  it('backs up incrementally: the second run appends only the new transactions', async () => {
    await okJson(source, ['database', 'create', 'orders']);
    const c = await client(source, 'orders');
    await write(c, 0, 4);
    full = file('orders.bak');
    expect(await okJson(source, ['hot-backup', 'orders', '-o', full])).toMatchObject({ created: true, txsWritten: 4, firstTxId: 1, lastTxId: 4 });
    expect(await records(full)).toHaveLength(4);
    firstFour = file('orders-1-4.bak');
    copyFileSync(full, firstFour);

    await write(c, 4, 3);
    c.close();
    expect(await okJson(source, ['hot-backup', 'orders', '--output-file', full])).toMatchObject({ created: false, txsWritten: 3, firstTxId: 1, lastTxId: 7 });
    expect((await records(full)).map((r) => r.txId)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(await okJson(source, ['hot-backup', 'orders', '-o', full])).toMatchObject({ txsWritten: 0, lastTxId: 7 });
    sourceState = await stateOf(source, 'orders');
    expect(sourceState.txId).toBe(7);
  });

  it('restores into a fresh database on another server whose state equals the source', async () => {
    const r = await okJson(target, ['hot-restore', 'copy', '-i', full]);
    expect(r).toMatchObject({ created: true, txsApplied: 7, startTxId: 0, replica: false, blRootChecked: true, state: { txId: 7, alh: sourceState.alh } });
    expect(await stateOf(target, 'copy')).toEqual(sourceState);
    const c = await client(target, 'copy');
    expect((await c.verifiedGet(Buffer.from('key-6'))).value.toString()).toBe('value-6');
    await c.set(Buffer.from('after-restore'), Buffer.from('writable')); // promoted: a primary again
    c.close();
    const verify = await okJson(target, ['hot-restore', '--verify-only', '-i', full]);
    expect(verify).toMatchObject({ verified: true, database: 'orders', firstTxId: 1, lastTxId: 7, records: 7, lastAlh: sourceState.alh });
  });

  it('continues an existing partial copy with only the missing transactions', async () => {
    expect(await okJson(target, ['hot-restore', 'partial', '-i', firstFour, '--keep-replica'])).toMatchObject({ created: true, txsApplied: 4, replica: true });
    expect((await stateOf(target, 'partial')).txId).toBe(4);
    expect(await okJson(target, ['hot-restore', 'partial', '-i', full])).toMatchObject({ created: false, txsApplied: 3, startTxId: 4, state: { txId: 7, alh: sourceState.alh } });
    expect(await stateOf(target, 'partial')).toEqual(sourceState);
  });

  it('refuses a flipped byte inside a record at that transaction, applying nothing', async () => {
    const recs = await records(full);
    const tx6 = recs[5] as BackupRecord;
    const flipped = file('flipped.bak');
    const bytes = readFileSync(full);
    const at = tx6.offset + recordHeaderBytes + tx6.payloadBytes - 4; // inside tx 6's last value
    bytes[at] = (bytes[at] ?? 0) ^ 0x20;
    writeFileSync(flipped, bytes);

    const fresh = await admin(target, ['hot-restore', 'flipped', '-i', flipped]);
    expect(fresh.code).toBe(3);
    expect(oneLineError(fresh, 'immuadmin')).toMatch(/fails verification at tx 6: .*Eh/);
    expect(await databases(target)).not.toContain('flipped');

    await okJson(target, ['hot-restore', 'partial2', '-i', firstFour, '--keep-replica']);
    const onto = await admin(target, ['hot-restore', 'partial2', '-i', flipped]);
    expect(onto.code).toBe(3);
    expect(oneLineError(onto, 'immuadmin')).toMatch(/at tx 6/);
    expect((await stateOf(target, 'partial2')).txId).toBe(4);
  });

  it('refuses a truncated tail at the incomplete transaction, applying nothing', async () => {
    const cut = file('cut.bak');
    copyFileSync(full, cut);
    truncateSync(cut, readFileSync(cut).length - 10);
    const r = await admin(target, ['hot-restore', 'cut', '-i', cut]);
    expect(r.code).toBe(3);
    expect(oneLineError(r, 'immuadmin')).toMatch(/truncated at tx 7/);
    expect(await databases(target)).not.toContain('cut');
    const onto = await admin(target, ['hot-restore', 'partial2', '-i', cut]);
    expect(onto.code).toBe(3);
    expect((await stateOf(target, 'partial2')).txId).toBe(4);
  });

  it('the appender refuses a file whose last Alh is not the server history at that transaction', async () => {
    await okJson(source, ['database', 'create', 'other']);
    const c = await client(source, 'other');
    await write(c, 100, 8);
    c.close();
    const before = readFileSync(full);
    const r = await admin(source, ['hot-backup', 'other', '-o', full]);
    expect(r.code).toBe(3);
    expect(oneLineError(r, 'immuadmin')).toMatch(/Alh at tx 7 differs/);
    expect(readFileSync(full).equals(before)).toBe(true);
    const reader = await BackupReader.open(full);
    expect((await summarizeBackup(reader)).end.kind).toBe('end');
    await reader.close();
  });

  it('usage mistakes are refused before anything happens', async () => {
    const noFile = await admin(source, ['hot-backup', 'orders']);
    expect(noFile.code).toBe(1);
    expect(oneLineError(noFile, 'immuadmin')).toMatch(/-o\/--output-file FILE is required/);
    const badOutput = await admin(source, ['hot-backup', 'orders', '-o', file('x.bak'), '--output', 'yaml']);
    expect(badOutput.code).toBe(1);
    const notOurs = file('not-a-backup.bak');
    writeFileSync(notOurs, 'hello, this is not a backup');
    const bad = await admin(target, ['hot-restore', 'x', '-i', notOurs]);
    expect(bad.code).toBe(1);
    expect(oneLineError(bad, 'immuadmin')).toMatch(/bad magic/);
  });
});
