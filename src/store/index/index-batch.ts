// Encodes a run of committed txs into the writes of one lmdb batch: one version per indexable entry,
// packed back to back into a single slab, with one length byte per version and the key objects the
// txs already hold. No object is created per entry: lmdb reads each version straight out of the slab
// (index-db.ts). Txs come either decoded (`StoredTx`, read back from the log) or, on the live path,
// as the store's packed record (`RecordTxForIndex`), whose bytes are copied field by field.
// Entries with nonIndexable metadata are left out (core spec 1.6). Pure.
import { assert } from '../../common/assert.js';
import { encodeKvMetadata, type KvMetadata } from '../../proof/metadata.js';
import type { StoredTx } from '../types.js';
import { VERSION_BYTES_MAX, VERSION_FIXED_BYTES, writeVersion } from './entry-codec.js';
import { storeKeyBytesMax } from './index-db.js';

const EMPTY = Buffer.alloc(0);
const TWO_POW_32 = 0x1_0000_0000;

/**
 * A committed tx as the store holds it right after commit: its tx-log record inside the packed buffer
 * (core spec 6.3 entries `u16 mdLen ‖ md ‖ u16 keyLen ‖ key ‖ u32 vLen ‖ u64 vOff ‖ hVal`, vOffs
 * rebased, hVals filled) and the input entries (for their key objects and decoded metadata).
 */
export interface RecordTxForIndex {
  readonly kind: 'record';
  readonly txId: number;
  readonly alh: Buffer;
  readonly buf: Buffer;
  readonly entriesOff: number;
  readonly entries: ReadonlyArray<{ readonly key: Buffer; readonly metadata?: KvMetadata | undefined }>;
}

/** What the indexer consumes per tx. */
export type IndexTx = StoredTx | RecordTxForIndex;

export function indexTxId(tx: IndexTx): number {
  return 'kind' in tx ? tx.txId : tx.header.id;
}

/** The versions of one batch: keys[i] gets the `lengths[i]` bytes that follow version i-1 in `slab`. */
export interface VersionBatch {
  readonly keys: Buffer[];
  /** Its own ArrayBuffer (byteOffset 0): lmdb is handed addresses inside it. */
  readonly slab: Buffer;
  readonly lengths: Uint8Array;
}

export interface EncodedBatch {
  readonly versions: VersionBatch;
  readonly firstTxId: number;
  readonly lastTxId: number;
  readonly lastAlh: Buffer;
}

export function encodeBatch(txs: readonly IndexTx[]): EncodedBatch {
  const head = txs[0];
  const tail = txs[txs.length - 1];
  assert(head !== undefined && tail !== undefined, 'a batch has at least one tx');
  let entries = 0;
  for (const tx of txs) entries += tx.entries.length;
  const slab = Buffer.allocUnsafeSlow(Math.max(1, entries * VERSION_BYTES_MAX));
  const lengths = new Uint8Array(entries);
  const keys: Buffer[] = [];
  let o = 0;
  const firstTxId = indexTxId(head);
  let expectedTxId = firstTxId;
  const sv = new DataView(slab.buffer, slab.byteOffset, slab.byteLength);
  const views = new RecordViews();
  for (const tx of txs) {
    const txId = indexTxId(tx);
    if (txId !== expectedTxId++) assert(false, `batch txs are consecutive (got ${txId})`);
    o = 'kind' in tx ? encodeRecord(tx, slab, sv, views.of(tx.buf), o, keys, lengths) : encodeStored(tx, slab, o, keys, lengths);
  }
  return { versions: { keys, slab, lengths }, firstTxId, lastTxId: indexTxId(tail), lastAlh: tail.alh };
}

/**
 * DataViews over whole ArrayBuffers: small tx records share the Buffer pool's, so a batch of small
 * txs makes one view per pool chunk rather than one per tx. Offsets into it add the Buffer's byteOffset.
 */
class RecordViews {
  #buffer: ArrayBufferLike | undefined;
  #view: DataView | undefined;

  of(b: Buffer): DataView {
    if (b.buffer !== this.#buffer || this.#view === undefined) {
      this.#buffer = b.buffer;
      this.#view = new DataView(b.buffer);
    }
    return this.#view;
  }
}

function encodeStored(tx: StoredTx, slab: Buffer, o: number, keys: Buffer[], lengths: Uint8Array): number {
  const txId = tx.header.id;
  for (const e of tx.entries) {
    const md = e.metadata;
    if (md?.nonIndexable === true) continue;
    if (e.key.length === 0 || e.key.length > storeKeyBytesMax) assert(false, `tx ${txId} has a key of ${e.key.length} bytes`);
    const mdBytes = md === undefined ? EMPTY : encodeKvMetadata(md);
    const n = writeVersion(slab, o, txId, e.value.vLogId, e.value.offset, e.value.length, e.hVal, mdBytes);
    lengths[keys.length] = n;
    keys.push(e.key);
    o += n;
  }
  return o;
}

/**
 * Versions straight from record bytes. Record `u32 vLen ‖ u64 vOff ‖ hVal` with vOff = vLogId << 56 |
 * offset becomes `u64 txId ‖ u32 vLogId ‖ u64 offset ‖ u32 length ‖ hVal ‖ kvmd` (entry-codec.ts).
 */
function encodeRecord(tx: RecordTxForIndex, slab: Buffer, sv: DataView, bv: DataView, o: number, keys: Buffer[], lengths: Uint8Array): number {
  const b = tx.buf;
  const txId = tx.txId;
  // per-tx checks too build their message only when they fail
  if (!(Number.isSafeInteger(txId) && txId > 0)) assert(false, `tx id ${txId}`);
  const idHi = Math.floor(txId / TWO_POW_32);
  const idLo = txId >>> 0;
  const at = b.byteOffset; // bv spans b's whole ArrayBuffer; reads stay inside b (checked below)
  let r = tx.entriesOff;
  const n = tx.entries.length;
  for (let i = 0; i < n; i++) {
    const e = tx.entries[i] as RecordTxForIndex['entries'][number];
    const mdLen = ((b[r] as number) << 8) | (b[r + 1] as number);
    const md = r + 2;
    const kl = ((b[md + mdLen] as number) << 8) | (b[md + mdLen + 1] as number);
    const t = md + mdLen + 2 + kl; // u32 vLen ‖ u64 vOff ‖ hVal
    r = t + 44;
    if (e.metadata?.nonIndexable === true) continue;
    // per-entry checks build their message only when they fail
    if (kl !== e.key.length || kl === 0 || kl > storeKeyBytesMax) assert(false, `tx ${txId} entry ${i}: key of ${kl} bytes`);
    sv.setUint32(o, idHi);
    sv.setUint32(o + 4, idLo);
    const vOffHi = bv.getUint32(at + t + 4); // vLogId (top byte) ‖ offset bits 32..55
    sv.setUint32(o + 8, vOffHi >>> 24);
    sv.setUint32(o + 12, vOffHi & 0xff_ffff);
    sv.setUint32(o + 16, bv.getUint32(at + t + 8)); // offset bits 0..31
    sv.setUint32(o + 20, bv.getUint32(at + t)); // length
    for (let j = 0; j < 32; j += 4) sv.setUint32(o + 24 + j, bv.getUint32(at + t + 12 + j)); // hVal
    for (let j = 0; j < mdLen; j++) slab[o + VERSION_FIXED_BYTES + j] = b[md + j] as number; // canonical kvmd
    const len = VERSION_FIXED_BYTES + mdLen;
    if (len > VERSION_BYTES_MAX) assert(false, `tx ${txId} entry ${i}: metadata of ${mdLen} bytes`);
    lengths[keys.length] = len;
    keys.push(e.key);
    o += len;
  }
  if (!(r + 32 <= b.length)) assert(false, `tx ${txId} record ends inside its buffer`);
  return o;
}
