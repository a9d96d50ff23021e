// The hot-backup and hot-restore decisions against in-memory servers (real tx chains, no gRPC): what an
// append continues from, what it refuses (another history, a forged export, a final proof that does not
// match, which rolls the run back), and where a restore starts, what it refuses (a gap, another history,
// a non-replica without --force-replica, a damaged file, which leaves no database behind).
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMPTY_HASH, type TxHeader } from '../../proof/index.js';
import { ChainVerifier } from './backup-chain.js';
import { recordHeaderBytes } from './backup-format.js';
import { BackupReader, summarizeBackup } from './backup-reader.js';
import { hotBackup, type BackupSource } from './hot-backup.js';
import { hotRestore, type RestoreTarget } from './hot-restore.js';
import { buildChain, type ChainTx } from './testing/tx-chain.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'immu-backup-flow-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const nowMs = (): number => 0;

interface FakeSource extends BackupSource {
  committed: number;
  lieAboutAlhAt?: number;
  forgeExportOf?: number;
}

function source(txs: readonly ChainTx[], committed: number): FakeSource {
  const s: FakeSource = {
    database: 'orders',
    committed,
    serverUuid: () => 'uuid-src',
    committedTxId: async () => s.committed,
    provenAlh: async (txId) => (txId === s.lieAboutAlhAt ? Buffer.alloc(32, 7) : txId === 0 ? EMPTY_HASH : (txs[txId - 1] as ChainTx).alh),
    exportTx: async (txId) => {
      const p = Buffer.from((txs[txId - 1] as ChainTx).payload);
      if (txId === s.forgeExportOf) p[p.length - 4] = (p[p.length - 4] ?? 0) ^ 1;
      return p;
    },
  };
  return s;
}

async function recordIds(path: string): Promise<number[]> {
  const r = await BackupReader.open(path);
  const ids: number[] = [];
  for await (const ev of r.scan({ payloads: false })) if (ev.kind === 'record') ids.push(ev.record.txId);
  await r.close();
  return ids;
}

describe('hotBackup', () => {
  it('creates, then appends only newer transactions', async () => {
    const txs = buildChain(7);
    const path = join(dir, 'a.bak');
    const src = source(txs, 3);
    expect(await hotBackup(src, { path, nowMs })).toMatchObject({ created: true, txsWritten: 3, firstTxId: 1, lastTxId: 3 });
    src.committed = 7;
    expect(await hotBackup(src, { path, nowMs })).toMatchObject({ created: false, txsWritten: 4, firstTxId: 1, lastTxId: 7, tornTailBytesDropped: 0 });
    expect(await hotBackup(src, { path, nowMs })).toMatchObject({ txsWritten: 0, lastTxId: 7 });
    expect(await recordIds(path)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('honours --start-tx (anchored on the proven Alh before it) and --end-tx', async () => {
    const txs = buildChain(6);
    const path = join(dir, 'range.bak');
    expect(await hotBackup(source(txs, 6), { path, nowMs, startTx: 3, endTx: 5 })).toMatchObject({ txsWritten: 3, firstTxId: 3, lastTxId: 5 });
    await expect(hotBackup(source(txs, 6), { path, nowMs, startTx: 2 })).rejects.toMatchObject({ code: 'ILLEGAL_ARGUMENTS' });
    expect(await hotBackup(source(txs, 6), { path, nowMs })).toMatchObject({ txsWritten: 1, firstTxId: 3, lastTxId: 6 });
  });

  it('refuses to append to a file of another history, changing nothing', async () => {
    const path = join(dir, 'other.bak');
    await hotBackup(source(buildChain(3, 'a'), 3), { path, nowMs });
    const before = readFileSync(path);
    await expect(hotBackup(source(buildChain(5, 'b'), 5), { path, nowMs })).rejects.toMatchObject({ code: 'STATE_INCONSISTENT', details: { txId: 3 } });
    await expect(hotBackup(source(buildChain(2, 'a'), 2), { path, nowMs })).rejects.toMatchObject({ code: 'STATE_INCONSISTENT' });
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('drops a torn tail left by an interrupted run before appending', async () => {
    const txs = buildChain(5);
    const path = join(dir, 'torn.bak');
    await hotBackup(source(txs, 3), { path, nowMs });
    writeFileSync(path, readFileSync(path).subarray(0, statSync(path).size - 10));
    const r = await hotBackup(source(txs, 5), { path, nowMs });
    expect(r).toMatchObject({ txsWritten: 3, lastTxId: 5 });
    expect(r.tornTailBytesDropped).toBe(recordHeaderBytes + (txs[2] as ChainTx).payload.length - 10);
    expect(await recordIds(path)).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses a forged export and rolls back a run whose final proof does not match', async () => {
    const txs = buildChain(6);
    const path = join(dir, 'forged.bak');
    const src = source(txs, 6);
    src.forgeExportOf = 4;
    await expect(hotBackup(src, { path, nowMs })).rejects.toMatchObject({ code: 'PROOF_FAILED', details: { txId: 4 } });
    expect(await recordIds(path)).toEqual([1, 2, 3]);
    const liar = source(txs, 6);
    liar.lieAboutAlhAt = 6;
    await expect(hotBackup(liar, { path, nowMs })).rejects.toMatchObject({ code: 'STATE_INCONSISTENT', details: { txId: 6 } });
    expect(await recordIds(path)).toEqual([1, 2, 3]);
  });
});

/** A database that takes replicateTx exactly as a store does: only a tx that chains on. */
class FakeDb implements RestoreTarget {
  readonly database = 'restored';
  exists: boolean;
  replica: boolean;
  readonly alhs: Buffer[] = [];
  #chain = new ChainVerifier();
  readonly events: string[] = [];

  constructor(exists: boolean, replica: boolean, preload: readonly ChainTx[] = []) {
    this.exists = exists;
    this.replica = replica;
    for (const tx of preload) this.#apply(tx.payload);
  }

  #apply(payload: Buffer): TxHeader {
    const step = this.#chain.check({ txId: this.#chain.nextTxId, payload });
    if (step.kind === 'failed') throw new Error(`divergence at ${step.txId}`);
    this.alhs.push(step.alh);
    return step.header;
  }

  replicaFlag = async (): Promise<boolean | undefined> => (this.exists ? this.replica : undefined);
  createPassiveReplica = async (): Promise<void> => {
    this.exists = true;
    this.replica = true;
    this.events.push('create');
  };
  select = async (): Promise<void> => undefined;
  setReplica = async (on: boolean): Promise<void> => {
    this.replica = on;
    this.events.push(`replica=${on}`);
  };
  state = async (): Promise<{ txId: number; alh: Buffer }> => ({ txId: this.alhs.length, alh: this.alhs.at(-1) ?? EMPTY_HASH });
  provenAlh = async (txId: number): Promise<Buffer> => this.alhs[txId - 1] ?? EMPTY_HASH;
  replicate = async (payload: Buffer): Promise<TxHeader> => {
    if (!this.replica) throw new Error('not a replica');
    return this.#apply(payload);
  };
}

async function backupOf(txs: readonly ChainTx[], name: string): Promise<string> {
  const path = join(dir, name);
  await hotBackup(source(txs, txs.length), { path, nowMs });
  return path;
}

describe('hotRestore', () => {
  it('creates a passive replica, applies everything, promotes it', async () => {
    const txs = buildChain(5);
    const path = await backupOf(txs, 'full.bak');
    const db = new FakeDb(false, false);
    const r = await hotRestore(db, { path, keepReplica: false, forceReplica: false, nowMs });
    expect(r).toMatchObject({ created: true, txsApplied: 5, startTxId: 0, replica: false, blRootChecked: true, state: { txId: 5 } });
    expect(r.state.alh.equals((txs[4] as ChainTx).alh)).toBe(true);
    expect(db.events).toEqual(['create', 'replica=false']);
  });

  it('continues an existing partial copy with only the missing transactions', async () => {
    const txs = buildChain(6);
    const path = await backupOf(txs, 'part.bak');
    const db = new FakeDb(true, true, txs.slice(0, 4));
    expect(await hotRestore(db, { path, keepReplica: false, forceReplica: false, nowMs })).toMatchObject({ created: false, txsApplied: 2, startTxId: 4, replica: true });
    expect(await hotRestore(db, { path, keepReplica: false, forceReplica: false, nowMs })).toMatchObject({ txsApplied: 0, startTxId: 6 });
  });

  it('refuses another history, a gap and a non-replica without --force-replica', async () => {
    const txs = buildChain(6, 'a');
    const path = await backupOf(txs, 'a.bak');
    await expect(hotRestore(new FakeDb(true, true, buildChain(3, 'b')), { path, keepReplica: false, forceReplica: false, nowMs })).rejects.toMatchObject({
      code: 'STATE_INCONSISTENT',
      details: { atTxId: 3 },
    });
    const later = join(dir, 'later.bak');
    await hotBackup(source(txs, 6), { path: later, nowMs, startTx: 4 });
    await expect(hotRestore(new FakeDb(true, true, txs.slice(0, 2)), { path: later, keepReplica: false, forceReplica: false, nowMs })).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
    expect(await hotRestore(new FakeDb(true, true, txs.slice(0, 3)), { path: later, keepReplica: false, forceReplica: false, nowMs })).toMatchObject({ txsApplied: 3, blRootChecked: false });
    await expect(hotRestore(new FakeDb(false, false), { path: later, keepReplica: false, forceReplica: false, nowMs })).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
    const primary = new FakeDb(true, false, txs.slice(0, 2));
    await expect(hotRestore(primary, { path, keepReplica: false, forceReplica: false, nowMs })).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
    expect(await hotRestore(primary, { path, keepReplica: false, forceReplica: true, nowMs })).toMatchObject({ txsApplied: 4, replica: false });
    expect(primary.events).toEqual(['replica=true', 'replica=false']);
  });

  it('a damaged file creates nothing and applies nothing', async () => {
    const txs = buildChain(5);
    const path = await backupOf(txs, 'bad.bak');
    const b = readFileSync(path);
    b[b.length - 5] = (b[b.length - 5] ?? 0) ^ 1;
    writeFileSync(path, b);
    const db = new FakeDb(false, false);
    await expect(hotRestore(db, { path, keepReplica: false, forceReplica: false, nowMs })).rejects.toMatchObject({ code: 'CORRUPTED_DATA', details: { txId: 5 } });
    expect(db.events).toEqual([]);
    const r = await BackupReader.open(path);
    expect((await summarizeBackup(r)).records).toBe(5);
    await r.close();
  });
});
