// The backup file on its own, no server: header encoding and its refusals (bad magic, immudb's format,
// wrong versions, a damaged header), records written and scanned back, a torn tail and a damaged record
// header reported at the right tx, the offline chain verification (Eh, prevAlh, BlRoot, Alh) naming the
// tx that fails, the appender dropping a torn tail and rolling back, and the progress line.
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImmuError } from '../../common/errors.js';
import { ChainVerifier } from './backup-chain.js';
import { backupFileMagic, decodeFileHeader, encodeFileHeader, recordHeaderBytes } from './backup-format.js';
import { Progress, progressLine } from './backup-progress.js';
import { BackupReader, summarizeBackup, type ScanEvent } from './backup-reader.js';
import { verifyBackupFile } from './backup-verify.js';
import { BackupWriter } from './backup-writer.js';
import { buildChain, type ChainTx } from './testing/tx-chain.js';

let dir: string;
const clock = (): number => 1_000;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'immu-backup-file-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function writeFile(name: string, txs: readonly ChainTx[]): Promise<string> {
  const path = join(dir, name);
  const w = await BackupWriter.create(path, { createdAtMs: 1234, database: 'orders', sourceServerUuid: 'uuid-1' }, { nowMs: clock });
  for (const tx of txs) await w.append(tx.txId, tx.alh, tx.payload);
  await w.sync();
  await w.close();
  return path;
}

async function events(path: string): Promise<ScanEvent[]> {
  const r = await BackupReader.open(path);
  try {
    const out: ScanEvent[] = [];
    for await (const ev of r.scan({ payloads: true })) out.push(ev);
    return out;
  } finally {
    await r.close();
  }
}

async function verifyError(path: string): Promise<ImmuError> {
  const r = await BackupReader.open(path);
  try {
    await verifyBackupFile(r, path, undefined, undefined);
  } catch (err) {
    if (err instanceof ImmuError) return err;
    throw err;
  } finally {
    await r.close();
  }
  throw new Error('verification passed');
}

async function openError(path: string): Promise<ImmuError> {
  try {
    await (await BackupReader.open(path)).close();
  } catch (err) {
    if (err instanceof ImmuError) return err;
    throw err;
  }
  throw new Error('open succeeded');
}

/** Offset of tx `txId`'s record in a file written by writeFile. */
function recordOffset(txs: readonly ChainTx[], txId: number): number {
  let o = encodeFileHeader({ createdAtMs: 1234, database: 'orders', sourceServerUuid: 'uuid-1' }).length;
  for (const tx of txs) {
    if (tx.txId === txId) return o;
    o += recordHeaderBytes + tx.payload.length;
  }
  throw new Error(`no tx ${txId}`);
}

function flipByte(path: string, offset: number): void {
  const b = readFileSync(path);
  b[offset] = (b[offset] ?? 0) ^ 0x01;
  writeFileSync(path, b);
}

describe('file header', () => {
  it('round-trips and is sealed by its digest', () => {
    const bytes = encodeFileHeader({ createdAtMs: 42, database: 'orders', sourceServerUuid: 'abc' });
    expect(bytes.subarray(0, 8).equals(backupFileMagic)).toBe(true);
    expect(decodeFileHeader(bytes)).toEqual({ formatVersion: 1, headerVersion: 1, createdAtMs: 42, database: 'orders', sourceServerUuid: 'abc' });
    const damaged = Buffer.from(bytes);
    damaged[20] = (damaged[20] ?? 0) ^ 0xff;
    expect(() => decodeFileHeader(damaged)).toThrow(/digest/);
  });

  it('refuses a bad magic, immudb format, wrong versions and a truncated header', async () => {
    const good = encodeFileHeader({ createdAtMs: 42, database: 'orders', sourceServerUuid: 'abc' });
    const cases: [string, Buffer, string, RegExp][] = [
      ['magic', Buffer.concat([Buffer.from('NOTABACK'), good.subarray(8)]), 'INVALID_ARGUMENT', /bad magic/],
      ['immudb', Buffer.concat([Buffer.from('IMMUBACKUP'), Buffer.alloc(40)]), 'INVALID_ARGUMENT', /immudb's own hot-backup format/],
      ['format', Buffer.from(good).fill(2, 9, 10), 'INVALID_ARGUMENT', /unsupported backup format version 2/],
      ['header', Buffer.from(good).fill(7, 11, 12), 'INVALID_ARGUMENT', /unsupported backup header version 7/],
      ['short', good.subarray(0, 12), 'CORRUPTED_DATA', /truncated/],
      ['cut', good.subarray(0, good.length - 1), 'CORRUPTED_DATA', /truncated/],
      ['empty', Buffer.alloc(0), 'INVALID_ARGUMENT', /bad magic/],
    ];
    for (const [name, bytes, code, message] of cases) {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      const err = await openError(path);
      expect({ name, code: err.code }).toEqual({ name, code });
      expect(err.message).toMatch(message);
    }
  });
});

describe('records', () => {
  it('are scanned back in order and the chain verifies from tx 1 with BlRoot', async () => {
    const txs = buildChain(6);
    const path = await writeFile('ok.bak', txs);
    const evs = await events(path);
    expect(evs.map((e) => e.kind)).toEqual(['record', 'record', 'record', 'record', 'record', 'record', 'end']);
    const r = await BackupReader.open(path);
    const v = await verifyBackupFile(r, path, 4, undefined);
    await r.close();
    expect(v).toMatchObject({ records: 6, firstTxId: 1, lastTxId: 6, blRootChecked: true });
    expect(v.header).toMatchObject({ database: 'orders', sourceServerUuid: 'uuid-1', createdAtMs: 1234 });
    expect(v.lastAlh?.equals((txs[5] as ChainTx).alh)).toBe(true);
    expect(v.alhAtWanted?.equals((txs[3] as ChainTx).alh)).toBe(true);
    expect(v.firstPrevAlh?.equals((txs[0] as ChainTx).header.prevAlh)).toBe(true);
  });

  it('a torn tail is reported at the incomplete tx, in the payload or in the record header', async () => {
    const txs = buildChain(5);
    const path = await writeFile('torn.bak', txs);
    const full = readFileSync(path).length;
    truncateSync(path, full - 7);
    const r = await BackupReader.open(path);
    const s = await summarizeBackup(r);
    await r.close();
    expect(s.records).toBe(4);
    expect(s.last?.txId).toBe(4);
    expect(s.end).toMatchObject({ kind: 'torn', txId: 5, missingBytes: 7 });
    expect(s.completeBytes).toBe(recordOffset(txs, 5));
    const err = await verifyError(path);
    expect(err.code).toBe('CORRUPTED_DATA');
    expect(err.message).toMatch(/truncated at tx 5/);
    expect(err.details?.['txId']).toBe(5);

    truncateSync(path, recordOffset(txs, 3) + 20);
    expect((await events(path)).at(-1)).toMatchObject({ kind: 'torn', txId: 3 });
  });

  it('a damaged record header is corrupt at its tx, never a torn tail', async () => {
    const txs = buildChain(5);
    const path = await writeFile('hdr.bak', txs);
    flipByte(path, recordOffset(txs, 3) + 14); // the payload length
    expect((await events(path)).at(-1)).toMatchObject({ kind: 'corrupt', txId: 3, reason: 'record header check does not match' });
    const err = await verifyError(path);
    expect(err.message).toMatch(/damaged at tx 3/);
  });

  it('a flipped byte inside a payload fails verification at that tx', async () => {
    const txs = buildChain(5);
    const path = await writeFile('flip.bak', txs);
    const tx3 = txs[2] as ChainTx;
    flipByte(path, recordOffset(txs, 3) + recordHeaderBytes + tx3.payload.length - 5); // inside the last value
    const err = await verifyError(path);
    expect(err.code).toBe('CORRUPTED_DATA');
    expect(err.message).toMatch(/fails verification at tx 3: the entries hash/);
    expect(err.details).toMatchObject({ txId: 3, failure: 'eh' });
  });

  it('records must hold consecutive txs', async () => {
    const txs = buildChain(4);
    const path = await writeFile('gap.bak', [txs[0], txs[1], txs[3]] as ChainTx[]);
    expect((await events(path)).at(-1)).toMatchObject({ kind: 'corrupt', txId: 3, reason: 'record holds tx 4 where tx 3 was expected' });
  });
});

describe('chain verifier', () => {
  it('names what fails: prevAlh, BlRoot, Alh, and refuses everything after a failure', () => {
    const a = buildChain(4, 'a');
    const b = buildChain(4, 'b');
    const v = new ChainVerifier();
    for (const tx of a.slice(0, 2)) expect(v.check(tx).kind).toBe('ok');
    expect(v.check(b[2] as ChainTx)).toMatchObject({ kind: 'failed', txId: 3, failure: 'prev-alh' });
    expect(v.check(a[2] as ChainTx)).toMatchObject({ kind: 'failed', txId: 3 });

    const wrongAlh = new ChainVerifier();
    expect(wrongAlh.check({ ...(a[0] as ChainTx), alh: (b[0] as ChainTx).alh })).toMatchObject({ failure: 'alh' });

    // a's tx 2 re-pointed at b's tx 1 (prevAlh patched at byte 4 + 8 of the export): it chains, BlRoot does not
    const mixed = new ChainVerifier();
    expect(mixed.check(b[0] as ChainTx).kind).toBe('ok');
    const patched = Buffer.from((a[1] as ChainTx).payload);
    (b[0] as ChainTx).alh.copy(patched, 4 + 8);
    expect(mixed.check({ txId: 2, payload: patched })).toMatchObject({ failure: 'bl-root' });
  });

  it('a chain that starts after tx 1 checks everything but BlRoot', () => {
    const a = buildChain(5);
    const v = new ChainVerifier({ firstTxId: 3 });
    expect(v.checksBlRoot).toBe(false);
    for (const tx of a.slice(2)) expect(v.check(tx).kind).toBe('ok');
    expect(v.lastAlh?.equals((a[4] as ChainTx).alh)).toBe(true);
  });
});

describe('writer', () => {
  it('an appender drops a torn tail, continues, and can roll back what it appended', async () => {
    const txs = buildChain(6);
    const path = await writeFile('append.bak', txs.slice(0, 4));
    truncateSync(path, readFileSync(path).length - 3);
    const r = await BackupReader.open(path);
    const s = await summarizeBackup(r);
    await r.close();
    const w = await BackupWriter.openAppend(path, s.completeBytes, { nowMs: clock });
    for (const tx of txs.slice(3)) await w.append(tx.txId, tx.alh, tx.payload);
    await w.sync();
    expect((await events(path)).filter((e) => e.kind === 'record')).toHaveLength(6);
    await w.rollback();
    await w.close();
    const evs = await events(path);
    expect(evs.filter((e) => e.kind === 'record')).toHaveLength(3);
    expect(evs.at(-1)?.kind).toBe('end');
  });

  it('refuses to create over an existing file', async () => {
    const path = await writeFile('exists.bak', []);
    await expect(BackupWriter.create(path, { createdAtMs: 1, database: 'x', sourceServerUuid: '' }, { nowMs: clock })).rejects.toMatchObject({ code: 'IO_ERROR' });
  });
});

describe('progress', () => {
  it('formats count, bytes, rate and ETA', () => {
    expect(progressLine({ label: 'hot-backup orders', txsDone: 120, txsTotal: 480, bytesDone: 3 * 1024 * 1024, elapsedMs: 2000 })).toBe(
      'hot-backup orders: 120/480 txs, 3.0 MiB, 60 tx/s, ETA 6s',
    );
    expect(progressLine({ label: 'x', txsDone: 3, txsTotal: undefined, bytesDone: 10, elapsedMs: 1000 })).toBe('x: 3 txs, 10 B, 3.0 tx/s');
  });

  it('rewrites one line on a terminal and logs every interval otherwise', () => {
    let now = 0;
    const tty: string[] = [];
    const p = new Progress({ label: 'r', sink: { isTTY: true, write: (t) => void tty.push(t) }, nowMs: () => now });
    for (let i = 0; i < 10; i++) {
      now += 100;
      p.add(10);
    }
    p.finish();
    expect(tty.every((t) => t.startsWith('\r') || t === '\n')).toBe(true);
    expect(tty.at(-1)).toBe('\n');
    const log: string[] = [];
    now = 0;
    const q = new Progress({ label: 'r', sink: { isTTY: false, write: (t) => void log.push(t) }, nowMs: () => now, logIntervalMs: 1000 });
    for (let i = 0; i < 25; i++) {
      now += 100;
      q.add(10);
    }
    q.finish();
    expect(log).toHaveLength(2);
    expect(log[0]).toMatch(/^1970-01-01T00:00:01.000Z r: 10 txs/);
  });
});
