// Encodes a run of committed txs into the writes of one lmdb batch: one version per indexable entry,
// packed into a single slab so the per-entry work is a few integer writes and one hVal copy.
// Entries with nonIndexable metadata are left out (core spec 1.6). Pure.
import { assert } from '../../common/assert.js';
import { encodeKvMetadata } from '../../proof/metadata.js';
import type { StoredTx } from '../types.js';
import { VERSION_BYTES_MAX, writeVersion } from './entry-codec.js';
import { storeKeyBytesMax, type VersionWrite } from './index-db.js';

const EMPTY = Buffer.alloc(0);

export interface EncodedBatch {
  readonly writes: VersionWrite[];
  readonly firstTxId: number;
  readonly lastTxId: number;
  readonly lastAlh: Buffer;
}

export function encodeBatch(txs: readonly StoredTx[]): EncodedBatch {
  const head = txs[0];
  const tail = txs[txs.length - 1];
  assert(head !== undefined && tail !== undefined, 'a batch has at least one tx');
  let entries = 0;
  for (const tx of txs) entries += tx.entries.length;
  const slab = Buffer.allocUnsafe(entries * VERSION_BYTES_MAX);
  const writes: VersionWrite[] = [];
  let o = 0;
  let expectedTxId = head.header.id;
  for (const tx of txs) {
    const txId = tx.header.id;
    assert(txId === expectedTxId++, `batch txs are consecutive (got ${txId})`);
    for (const e of tx.entries) {
      const md = e.metadata;
      if (md?.nonIndexable === true) continue;
      assert(e.key.length > 0 && e.key.length <= storeKeyBytesMax, `tx ${txId} has a key of ${e.key.length} bytes`);
      const mdBytes = md === undefined ? EMPTY : encodeKvMetadata(md);
      const n = writeVersion(slab, o, txId, e.value.vLogId, e.value.offset, e.value.length, e.hVal, mdBytes);
      writes.push({ key: e.key, version: slab.subarray(o, o + n) });
      o += n;
    }
  }
  return { writes, firstTxId: head.header.id, lastTxId: tail.header.id, lastAlh: tail.alh };
}
