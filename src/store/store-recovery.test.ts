// Recovery and damage: a torn tail at every byte offset of the last record reopens at the previous
// whole tx and keeps working; one flipped byte in each kind of file is detected (refuse to open, or
// CORRUPTED_DATA from read/verify/proof, or a logged aht rebuild) and never served as valid data.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { isImmuError } from '../common/errors.js';
import { openTestStore, tempDir, vectorTxInputs, writeVectorStore } from './test-support.js';

let golden: string;
const TX_FILE = 'tx/00000000.tx';
const COMMIT_FILE = 'commit/00000000.txi';

function headerBytes(file: string): number {
  const b = fs.readFileSync(file);
  return 4 + b.readUInt32BE(0);
}

function copyOf(src: string): string {
  const d = tempDir('immustore-copy-');
  fs.cpSync(src, d, { recursive: true });
  return d;
}

beforeAll(async () => {
  golden = tempDir();
  const s = await writeVectorStore(golden);
  await s.close();
});

async function reopenAndWork(dir: string, expectTx: number): Promise<void> {
  const s = await openTestStore({ dir, maxValueLen: 4096 });
  await s.waitForCommit(expectTx);
  expect(s.committedState().txId).toBe(expectTx);
  expect(s.committedState().alh.toString('hex')).toBe(vectorTxInputs().txs[expectTx - 1]?.alh);
  const next = await s.commit({ entries: [{ key: Buffer.from('after'), value: Buffer.from('crash') }] });
  expect(next.header.id).toBe(expectTx + 1);
  expect((await s.verify()).lastTxId).toBe(expectTx + 1);
  await s.dualProof(1, expectTx + 1);
  await s.close();
}

describe('torn tails', () => {
  it('tx log cut at every byte of the last record (its commit entry not yet written)', async () => {
    const txHdr = headerBytes(path.join(golden, TX_FILE));
    const cHdr = headerBytes(path.join(golden, COMMIT_FILE));
    const start = 2208;
    const end = 2208 + 182;
    for (let cut = start; cut <= end; cut++) {
      const d = copyOf(golden);
      fs.truncateSync(path.join(d, COMMIT_FILE), cHdr + 11 * 44);
      fs.truncateSync(path.join(d, TX_FILE), txHdr + cut);
      await reopenAndWork(d, cut === end ? 12 : 11);
      fs.rmSync(d, { recursive: true, force: true });
    }
  });

  it('commit log cut at every byte of the last entry', async () => {
    const cHdr = headerBytes(path.join(golden, COMMIT_FILE));
    for (let cut = 11 * 44; cut < 12 * 44; cut++) {
      const d = copyOf(golden);
      fs.truncateSync(path.join(d, COMMIT_FILE), cHdr + cut);
      await reopenAndWork(d, 12); // tx 12 is whole in the tx log: re-adopted as precommitted, then committed
      fs.rmSync(d, { recursive: true, force: true });
    }
  });

  it('value log and aht files cut short', async () => {
    const d = copyOf(golden);
    for (const f of ['aht/tree/00000000.sha', 'aht/data/00000000.dat', 'aht/commit/00000000.di']) {
      const p = path.join(d, f);
      fs.truncateSync(p, fs.statSync(p).size - 40);
    }
    await reopenAndWork(d, 12);
    const d2 = copyOf(golden);
    fs.truncateSync(path.join(d2, COMMIT_FILE), headerBytes(path.join(d2, COMMIT_FILE)) + 11 * 44);
    const v = path.join(d2, 'val_0/00000000.val');
    fs.truncateSync(v, fs.statSync(v).size - 3); // tx 12's value is incomplete: tx 12 is dropped
    await reopenAndWork(d2, 11);
  });
});

type Outcome = 'refused' | 'read' | 'verify' | 'proof' | 'rebuilt';

async function damageOutcome(dir: string): Promise<Outcome | 'undetected'> {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(s) });
  let s;
  try {
    s = await openTestStore({ dir, maxValueLen: 4096, logger });
  } catch (err) {
    expect(isImmuError(err, 'CORRUPTED_DATA'), String(err)).toBe(true);
    return 'refused';
  }
  const corrupted = (e: unknown): boolean => {
    expect(isImmuError(e, 'CORRUPTED_DATA'), String(e)).toBe(true);
    return true;
  };
  try {
    if (lines.some((l) => l.includes('store.aht_rebuilt') || l.includes('store.aht_repaired'))) return 'rebuilt';
    try {
      for (let id = 1; id <= 12; id++) {
        const tx = await s.readTx(id);
        for (const e of tx.entries) await s.readValue(e.value, e.hVal);
      }
    } catch (e) {
      if (corrupted(e)) return 'read';
    }
    try {
      await s.verify();
    } catch (e) {
      if (corrupted(e)) return 'verify';
    }
    try {
      for (let a = 1; a <= 12; a++) for (let b = a; b <= 12; b++) await s.dualProof(a, b);
    } catch (e) {
      if (corrupted(e)) return 'proof';
    }
    return 'undetected';
  } finally {
    await s.close().catch(() => undefined);
  }
}

describe('one flipped byte in each kind of file', () => {
  const files = [
    'tx/00000000.tx',
    'commit/00000000.txi',
    'val_0/00000000.val',
    'aht/data/00000000.dat',
    'aht/tree/00000000.sha',
    'aht/commit/00000000.di',
  ];
  for (const f of files) {
    it(`${f}: every data byte and every header byte`, async () => {
      const size = fs.statSync(path.join(golden, f)).size;
      const outcomes = new Map<string, number>();
      const hdr = headerBytes(path.join(golden, f));
      // every 5th header byte, every 3rd data byte (every byte of the small aht files)
      const step = (off: number): number => (off < hdr ? 5 : f.startsWith('aht') ? 1 : 3);
      for (let off = 0; off < size; off += step(off)) {
        const d = copyOf(golden);
        const p = path.join(d, f);
        const b = fs.readFileSync(p);
        b.writeUInt8((b[off] ?? 0) ^ 0x01, off);
        fs.writeFileSync(p, b);
        const o = await damageOutcome(d);
        expect(o, `${f} offset ${off}`).not.toBe('undetected');
        outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
        fs.rmSync(d, { recursive: true, force: true });
      }
      expect(outcomes.size).toBeGreaterThan(0);
    });
  }
});
