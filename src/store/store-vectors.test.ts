// Byte-for-byte compatibility with immudb's on-disk layout and replication format: the 12 vector txs
// written through ImmuStore must produce exactly the tx-log records, commit entries, value-log bytes,
// aht files and (decoded) chunk headers of store_on_disk.json, and the exportTx bytes of every tx.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex } from '../common/bytes.js';
import { decodeMetadataTree } from './chunk-metadata.js';
import type { ImmuStore } from './immu-store.js';
import { recordToHeader } from './record-header.js';
import type { MemoryIndex } from './test-support.js';
import { openTestStore, readVector, tempDir, vectorTxInputs, writeVectorStore } from './test-support.js';
import { decodeTxRecord } from './tx-record.js';
import { txAlh } from '../proof/tx-header.js';

interface DiskFile {
  name: string;
  totalBytes: number;
  headerHex: string;
  headerDecoded: unknown;
}
interface OnDisk {
  files: Record<'tx' | 'commit' | 'aht_data' | 'aht_commit' | 'aht_tree', DiskFile[]>;
  commitLogEntrySize: number;
  txs: Array<{ txId: number; commitLogEntry: string; txLogOffset: number; txLogSize: number; txLogRecord: string }>;
  aht: { entries: Array<{ leaf: number; commitEntry: string; dataRecord: string }>; treeDigestsHex: string };
  valueLogs: Array<{ dir: string; files: DiskFile[]; dataHex: string }>;
}

const fileOf: Record<keyof OnDisk['files'], string> = {
  tx: 'tx/00000000.tx',
  commit: 'commit/00000000.txi',
  aht_data: 'aht/data/00000000.dat',
  aht_commit: 'aht/commit/00000000.di',
  aht_tree: 'aht/tree/00000000.sha',
};

function body(file: string): { header: Buffer; data: Buffer } {
  const b = fs.readFileSync(file);
  const l = b.readUInt32BE(0);
  return { header: b.subarray(4, 4 + l), data: b.subarray(4 + l) };
}

describe('store_on_disk.json', () => {
  const v = readVector<OnDisk>('vectors/store_on_disk.json');
  let dir: string;
  let store: ImmuStore<MemoryIndex>;

  beforeAll(async () => {
    dir = tempDir();
    store = await writeVectorStore(dir);
    await store.close();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('chunk headers decode to the same maps', () => {
    for (const [kind, rel] of Object.entries(fileOf)) {
      const expected = (v.files as Record<string, DiskFile[]>)[kind]?.[0];
      expect(expected).toBeDefined();
      const { header } = body(path.join(dir, rel));
      expect(decodeMetadataTree(header, rel), kind).toEqual(expected?.headerDecoded);
      const vecHeader = fromHex(expected?.headerHex ?? '');
      expect(header.length + 4, kind).toBe(vecHeader.length);
    }
    const { header } = body(path.join(dir, 'val_0/00000000.val'));
    expect(decodeMetadataTree(header, 'val')).toEqual(v.valueLogs[0]?.files[0]?.headerDecoded);
  });

  it('tx-log records and commit entries are byte-identical', () => {
    const txData = body(path.join(dir, fileOf.tx)).data;
    const commitData = body(path.join(dir, fileOf.commit)).data;
    expect(commitData.length).toBe(v.txs.length * v.commitLogEntrySize);
    for (const t of v.txs) {
      expect(txData.subarray(t.txLogOffset, t.txLogOffset + t.txLogSize).toString('hex'), `tx ${t.txId}`).toBe(t.txLogRecord);
      const e = commitData.subarray((t.txId - 1) * 44, t.txId * 44);
      expect(e.toString('hex'), `commit ${t.txId}`).toBe(t.commitLogEntry);
    }
    const last = v.txs[v.txs.length - 1];
    expect(txData.length).toBe((last?.txLogOffset ?? 0) + (last?.txLogSize ?? 0));
    expect(fs.statSync(path.join(dir, fileOf.tx)).size).toBe(v.files.tx[0]?.totalBytes);
  });

  it('value log bytes are identical', () => {
    expect(body(path.join(dir, 'val_0/00000000.val')).data.toString('hex')).toBe(v.valueLogs[0]?.dataHex);
  });

  it('aht data, commit and tree files are identical', () => {
    const data = body(path.join(dir, fileOf.aht_data)).data;
    const commit = body(path.join(dir, fileOf.aht_commit)).data;
    for (const e of v.aht.entries) {
      expect(data.subarray((e.leaf - 1) * 36, e.leaf * 36).toString('hex')).toBe(e.dataRecord);
      expect(commit.subarray((e.leaf - 1) * 12, e.leaf * 12).toString('hex')).toBe(e.commitEntry);
    }
    expect(data.length).toBe(v.aht.entries.length * 36);
    expect(commit.length).toBe(v.aht.entries.length * 12);
    expect(body(path.join(dir, fileOf.aht_tree)).data.toString('hex')).toBe(v.aht.treeDigestsHex);
    for (const k of Object.keys(fileOf) as Array<keyof typeof fileOf>) {
      expect(fs.statSync(path.join(dir, fileOf[k])).size, k).toBe(v.files[k][0]?.totalBytes);
    }
  });
});

describe('exportTx / replicateTx vectors', () => {
  it('exportTx equals the vector for all 12 txs and replication reproduces every Alh', async () => {
    const dir = tempDir();
    const dir2 = tempDir();
    const store = await writeVectorStore(dir);
    const { txs } = vectorTxInputs();
    const replica = await openTestStore({ dir: dir2, maxValueLen: 4096 });
    for (const t of txs) {
      const exp = await store.exportTx(t.id);
      expect(exp.toString('hex'), `tx ${t.id}`).toBe(t.exportTx);
      const done = await replica.replicateTx(exp);
      expect(done.alh.toString('hex')).toBe(t.alh);
      await replica.waitForCommit(t.id);
    }
    expect(replica.committedState().alh.toString('hex')).toBe(txs[11]?.alh);
    await store.close();
    await replica.close();
  });
});

describe('repo_data_v1.1.0_on_disk.json (immudb 1.1.0: header v0, 12-byte commit entries)', () => {
  interface OldDisk {
    commitLogEntrySize: number;
    txs: Array<{ txId: number; commitLogEntry: string; txLogOffset: number; txLogSize: number; txLogRecord: string }>;
  }
  const v = readVector<OldDisk>('immudb-testdata-vectors/repo_data_v1.1.0_on_disk.json');
  it('parses every record and recomputes its Alh; commit entries point at them', () => {
    expect(v.commitLogEntrySize).toBe(12);
    let prev: Buffer | undefined;
    for (const t of v.txs) {
      const res = decodeTxRecord(fromHex(t.txLogRecord), { maxTxEntries: 1024, maxKeyLen: 1024, maxValueLen: 1 << 25 }, 'v1.1.0');
      expect(res.kind).toBe('ok');
      if (res.kind !== 'ok') continue;
      expect(res.size).toBe(t.txLogSize);
      expect(res.record.version).toBe(0);
      const h = recordToHeader(res.record);
      expect(txAlh(h).equals(res.record.alh), `tx ${t.txId}`).toBe(true);
      if (prev !== undefined) expect(res.record.prevAlh.equals(prev)).toBe(true);
      prev = res.record.alh;
      const ce = fromHex(t.commitLogEntry);
      expect(Number(ce.readBigUInt64BE(0))).toBe(t.txLogOffset);
      expect(ce.readUInt32BE(8)).toBe(t.txLogSize);
    }
  });
});
