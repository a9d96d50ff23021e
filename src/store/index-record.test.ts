// The index's live path encodes versions straight from the store's packed record (index-batch.ts
// encodeRecord); the rebuild path encodes them from txs decoded off disk. Both must give the same bytes.
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBatch, type EncodedBatch } from './index/index-batch.js';
import { openTestStore, tempDir } from './test-support.js';
import type { ImmuStore } from './immu-store.js';
import type { MemoryIndex } from './test-support.js';

function flat(b: EncodedBatch): { keys: string[]; versions: string[] } {
  const versions: string[] = [];
  let o = 0;
  for (const n of b.versions.lengths) {
    versions.push(b.versions.slab.subarray(o, o + n).toString('hex'));
    o += n;
  }
  return { keys: b.versions.keys.map((k) => k.toString('hex')), versions };
}

describe('index versions from the packed record', () => {
  let store: ImmuStore<MemoryIndex> | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it('match the versions encoded from the tx read back from disk (metadata, empty values, nonIndexable, hashed in a worker)', async () => {
    store = await openTestStore({ dir: tempDir(), hashWorkers: 1 });
    const big = Array.from({ length: 200 }, (_, i) => ({ key: Buffer.from(`big-${i}`), value: Buffer.alloc(i % 7, i) }));
    const txs = [
      { entries: [{ key: Buffer.from('a'), value: Buffer.from('1') }, { key: Buffer.from('b'), value: Buffer.alloc(0) }] },
      {
        entries: [
          { key: Buffer.from('c'), value: Buffer.from('x'), metadata: { deleted: true } },
          { key: Buffer.from('d'), value: Buffer.from('yy'), metadata: { expiresAt: 1_900_000_000 } },
          { key: Buffer.from('e'), value: Buffer.from('zzz'), metadata: { nonIndexable: true } },
          { key: Buffer.alloc(1000, 0x41), value: Buffer.alloc(300, 2), metadata: { deleted: true, expiresAt: 5 } },
        ],
      },
      { entries: big },
    ];
    for (const tx of txs) await store.commit(tx);
    for (let id = 1; id <= txs.length; id++) {
      const record = store.readRecordForIndex(id);
      expect(record).toBeDefined();
      const fast = flat(encodeBatch([record!]));
      const slow = flat(encodeBatch([await store.readTx(id)]));
      expect(fast).toEqual(slow);
    }
    expect(flat(encodeBatch([store.readRecordForIndex(2)!])).keys).not.toContain(Buffer.from('e').toString('hex'));
    const all = encodeBatch([store.readRecordForIndex(1)!, store.readRecordForIndex(2)!, await store.readTx(3)]);
    expect(all.versions.keys.length).toBe(2 + 3 + 200);
    expect(store.readRecordForIndex(txs.length + 1)).toBeUndefined();
  });
});
