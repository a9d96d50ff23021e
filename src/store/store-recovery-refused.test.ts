// A refused open changes nothing: damage that combines a repairable torn tail with a defect recovery
// cannot repair must leave every file byte-identical (names, sizes, sha256), so the data can still be
// inspected or repaired later. With the torn tail alone the open succeeds and carries out the repair.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { isImmuError } from '../common/errors.js';
import { openTestStore, tempDir, writeVectorStore } from './test-support.js';
import { decodeCommitEntry } from './tx-record.js';

const TX_FILE = 'tx/00000000.tx';
const COMMIT_FILE = 'commit/00000000.txi';
const AHT_FILES = ['aht/tree/00000000.sha', 'aht/data/00000000.dat', 'aht/commit/00000000.di'];
const SMALL_CHUNK = 512;

let golden: string;
let chunked: string;

beforeAll(async () => {
  golden = tempDir();
  await (await writeVectorStore(golden)).close();
  chunked = tempDir();
  await (await writeVectorStore(chunked, { fileSizeBytes: SMALL_CHUNK })).close();
});

function copyOf(src: string): string {
  const d = tempDir('immustore-copy-');
  fs.cpSync(src, d, { recursive: true });
  return d;
}

function headerBytes(file: string): number {
  return 4 + fs.readFileSync(file).readUInt32BE(0);
}

/** Every file and directory under dir: relative name → size and sha256 (directories: 'dir'). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of (fs.readdirSync(dir, { recursive: true }) as string[]).sort()) {
    const p = path.join(dir, rel);
    const st = fs.statSync(p);
    out[rel] = st.isDirectory() ? 'dir' : `${st.size}:${createHash('sha256').update(fs.readFileSync(p)).digest('hex')}`;
  }
  return out;
}

async function openLogged(dir: string, fileSizeBytes?: number): Promise<{ lines: string[]; open: () => ReturnType<typeof openTestStore> }> {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(s) });
  return { lines, open: () => openTestStore({ dir, maxValueLen: 4096, logger, ...(fileSizeBytes === undefined ? {} : { fileSizeBytes }) }) };
}

async function expectRefusedUnchanged(dir: string, fileSizeBytes?: number): Promise<void> {
  const before = snapshot(dir);
  const { lines, open } = await openLogged(dir, fileSizeBytes);
  const err = await open().then(
    async (s) => {
      await s.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(isImmuError(err, 'CORRUPTED_DATA'), String(err)).toBe(true);
  expect(snapshot(dir)).toEqual(before);
  expect(lines.filter((l) => /torn_tail_truncated|aht_rebuilt|aht_repaired|precommitted_recovered/.test(l))).toEqual([]);
}

/** Torn tails everywhere in the single-chunk vector store: tx 12's commit entry half written, its record cut. */
function tearTails(d: string): void {
  const cHdr = headerBytes(path.join(d, COMMIT_FILE));
  const txHdr = headerBytes(path.join(d, TX_FILE));
  fs.truncateSync(path.join(d, COMMIT_FILE), cHdr + 11 * 44 + 20);
  fs.truncateSync(path.join(d, TX_FILE), txHdr + 2208 + 90);
  for (const f of AHT_FILES) fs.truncateSync(path.join(d, f), fs.statSync(path.join(d, f)).size - 40);
}

/** The last chunk of the tx log of `dir` (chunked store) and the chunk index. */
function lastTxChunk(d: string): { file: string; index: number } {
  const names = fs.readdirSync(path.join(d, 'tx')).filter((n) => n.endsWith('.tx')).sort();
  const name = names[names.length - 1] as string;
  return { file: path.join(d, 'tx', name), index: Number(name.slice(0, 8)) };
}

describe('a refused open leaves every file unchanged', () => {
  it('torn tails in tx, commit and aht logs plus a flipped byte in the last committed tx', async () => {
    const d = copyOf(golden);
    tearTails(d);
    const p = path.join(d, TX_FILE);
    const b = fs.readFileSync(p);
    const at = headerBytes(p) + 2150; // inside tx 11, the last committed tx after the commit log's torn tail
    b.writeUInt8((b[at] ?? 0) ^ 0x01, at);
    fs.writeFileSync(p, b);
    await expectRefusedUnchanged(d);
    fs.rmSync(d, { recursive: true, force: true });
  });

  it('torn tails plus a commit entry that disagrees with its record', async () => {
    const d = copyOf(golden);
    tearTails(d);
    const p = path.join(d, COMMIT_FILE);
    const b = fs.readFileSync(p);
    const at = headerBytes(p) + 10 * 44 + 43; // last byte of tx 11's entry (part of its Alh)
    b.writeUInt8((b[at] ?? 0) ^ 0x01, at);
    fs.writeFileSync(p, b);
    await expectRefusedUnchanged(d);
    fs.rmSync(d, { recursive: true, force: true });
  });

  it('torn header of the last tx chunk while the commit log still points into that chunk', async () => {
    const d = copyOf(chunked);
    const last = lastTxChunk(d);
    expect(last.index).toBeGreaterThan(0);
    fs.truncateSync(last.file, 5); // a prefix of the header: looks like a crash while creating the chunk
    for (const f of AHT_FILES) fs.truncateSync(path.join(d, f), fs.statSync(path.join(d, f)).size - 40);
    await expectRefusedUnchanged(d, SMALL_CHUNK);
    fs.rmSync(d, { recursive: true, force: true });
  });
});

describe('the same torn tails alone are repaired', () => {
  it('tx, commit and aht torn tails: opens at tx 11 and cuts the files', async () => {
    const d = copyOf(golden);
    tearTails(d);
    const { lines, open } = await openLogged(d);
    const s = await open();
    await s.waitForCommit(11);
    expect(s.committedState().txId).toBe(11);
    expect(s.precommittedState().txId).toBe(11);
    await s.close();
    expect(fs.statSync(path.join(d, TX_FILE)).size).toBe(headerBytes(path.join(d, TX_FILE)) + 2208);
    expect(fs.statSync(path.join(d, COMMIT_FILE)).size).toBe(headerBytes(path.join(d, COMMIT_FILE)) + 11 * 44);
    const torn = lines.filter((l) => l.includes('store.torn_tail_truncated'));
    expect(torn.some((l) => l.includes(`${path.sep}commit"`))).toBe(true);
    expect(torn.some((l) => l.includes(`${path.sep}tx"`))).toBe(true);
    fs.rmSync(d, { recursive: true, force: true });
  });

  it('torn header of the last tx chunk holding only uncommitted bytes: the chunk file is removed', async () => {
    const d = copyOf(chunked);
    const last = lastTxChunk(d);
    // keep only the commit entries of txs that end before the last chunk starts
    const cFile = path.join(d, COMMIT_FILE);
    const e = 44;
    const cb = fs.readFileSync(cFile);
    const cHdr = headerBytes(cFile);
    let keep = 0;
    for (let i = 0; cHdr + (i + 1) * e <= cb.length; i++) {
      const entry = decodeCommitEntry(cb.subarray(cHdr + i * e, cHdr + (i + 1) * e), 0, e);
      if (entry.offset + entry.size <= last.index * SMALL_CHUNK) keep = i + 1;
    }
    expect(keep).toBeGreaterThan(0);
    expect(keep * e).toBeLessThan(SMALL_CHUNK); // the kept entries fit in commit chunk 0: drop the others
    for (const n of fs.readdirSync(path.join(d, 'commit'))) if (n !== '00000000.txi') fs.rmSync(path.join(d, 'commit', n));
    fs.truncateSync(cFile, cHdr + keep * e);
    fs.truncateSync(last.file, 5);
    const { lines, open } = await openLogged(d, SMALL_CHUNK);
    const s = await open();
    expect(s.committedState().txId).toBe(keep);
    expect(fs.existsSync(last.file)).toBe(false);
    expect(lines.some((l) => l.includes('store.torn_tail_truncated') && l.includes('torn chunk header removed'))).toBe(true);
    const next = await s.commit({ entries: [{ key: Buffer.from('after'), value: Buffer.from('repair') }] });
    expect(next.header.id).toBeGreaterThan(keep);
    expect((await s.verify()).lastTxId).toBe(next.header.id);
    await s.close();
    fs.rmSync(d, { recursive: true, force: true });
  });
});
