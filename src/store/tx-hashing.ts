// One packed buffer per tx, built once from the input keys and values: it is the hashing input (inline
// or in a worker, shared, never copied back), and afterwards the write source of both the tx log
// (the record) and the value log (the values). Hashing fills hVals into the record and Eh into the head.
// Layout (u32 little-endian head):
//   [0, 20)        n, version, entriesOff, valBase, duplicate (filled: 1 + index of the first entry whose
//                  key repeats an earlier one, 0 = none; the check runs here, off the main thread)
//   [32, 64)       Eh (filled by hashPackedTx)
//   [64, recEnd)   the tx-log record (core spec 6.3): header space (filled at precommit) ‖ entries
//                  `u16 mdLen ‖ md ‖ u16 keyLen ‖ key ‖ u32 vLen ‖ u64 vOff ‖ hVal` ‖ Alh space (32)
//                  vOff holds the value's offset relative to valBase until precommit rebases it.
//   [valBase, end) the values, in entry order
// The digest of an entry is H(`u16 mdLen ‖ md ‖ u16 keyLen ‖ key` ‖ hVal) (v1) or H(key ‖ hVal) (v0): a
// prefix of the record entry, so hashing needs no other layout.
import { ImmuError } from '../common/errors.js';
import { encodeKvMetadata, type KvMetadata } from '../proof/metadata.js';
import { recordHeaderBytes } from './tx-record.js';

export const PACKED_HEAD_BYTES = 64;
export const PACKED_EH_OFFSET = 32;
const PACKED_DUP_OFFSET = 16;
/** Record bytes of one entry after its key: u32 vLen ‖ u64 vOff ‖ hVal. */
const ENTRY_TAIL_BYTES = 4 + 8 + 32;
/** Offsets in the packed head are u32; a single tx's bytes must fit (node's buffers stop near there too). */
export const packedTxBytesMax = 0xffff_ffff;

export interface PackInput {
  readonly key: Buffer;
  readonly value: Buffer;
  readonly metadata?: KvMetadata | undefined;
}

/** A packed tx: `buf` spans the whole layout (its memory may be a SharedArrayBuffer). */
export interface PackedTx {
  readonly buf: Buffer;
  readonly n: number;
  readonly version: 0 | 1;
  readonly entriesOff: number;
  readonly recEnd: number;
  readonly valBase: number;
}

/** The memory a packed tx of this many bytes lives in (shared when a worker will hash it). */
export type PackAllocator = (bytes: number) => Buffer;

export const allocLocal: PackAllocator = (bytes) => Buffer.allocUnsafe(bytes);
/** Its own ArrayBuffer (never Node's shared pool), so it can be transferred to a worker. */
export const allocTransferable: PackAllocator = (bytes) => Buffer.from(new ArrayBuffer(bytes));
/** Shared memory (tests: hashing works the same on it). */
export const allocShared: PackAllocator = (bytes) => Buffer.from(new SharedArrayBuffer(bytes));

const EMPTY = Buffer.alloc(0);

/**
 * Packs validated entries. `txMdLen` is the length of the canonical tx metadata (header space depends
 * on it). Entries without metadata take the fast path (no per-entry allocation).
 */
export function packTx(entries: readonly PackInput[], version: 0 | 1, txMdLen: number, alloc: PackAllocator = allocLocal): PackedTx {
  const n = entries.length;
  let mdBytes: Buffer[] | undefined;
  let entryBytes = 0;
  let valBytes = 0;
  for (let i = 0; i < n; i++) {
    const e = entries[i] as PackInput;
    let mdLen = 0;
    if (e.metadata !== undefined) {
      const md = encodeKvMetadata(e.metadata);
      if (md.length > 0) {
        mdBytes ??= new Array<Buffer>(n).fill(EMPTY);
        mdBytes[i] = md;
        mdLen = md.length;
      }
    }
    entryBytes += 4 + mdLen + e.key.length + ENTRY_TAIL_BYTES;
    valBytes += e.value.length;
  }
  const entriesOff = PACKED_HEAD_BYTES + recordHeaderBytes(version, txMdLen);
  const recEnd = entriesOff + entryBytes + 32;
  const valBase = recEnd;
  if (valBase + valBytes > packedTxBytesMax) {
    throw new ImmuError('VALUE_TOO_LARGE', `the tx's keys and values total ${valBase + valBytes} bytes, max ${packedTxBytesMax}`);
  }
  const buf = alloc(valBase + valBytes);
  buf.writeUInt32LE(n, 0);
  buf.writeUInt32LE(version, 4);
  buf.writeUInt32LE(entriesOff, 8);
  buf.writeUInt32LE(valBase, 12);
  buf.writeUInt32LE(0, PACKED_DUP_OFFSET);
  let o = entriesOff;
  let vo = 0;
  for (let i = 0; i < n; i++) {
    const e = entries[i] as PackInput;
    const md = mdBytes === undefined ? EMPTY : (mdBytes[i] as Buffer);
    const key = e.key;
    const value = e.value;
    const mdLen = md.length;
    buf[o] = mdLen >>> 8;
    buf[o + 1] = mdLen & 0xff;
    if (mdLen > 0) buf.set(md, o + 2);
    o += 2 + mdLen;
    const kl = key.length;
    buf[o] = kl >>> 8;
    buf[o + 1] = kl & 0xff;
    buf.set(key, o + 2);
    o += 2 + kl;
    const vl = value.length;
    buf.writeUInt32BE(vl, o);
    buf.writeUInt32BE(0, o + 4); // relative offset: < packedTxBytesMax
    buf.writeUInt32BE(vo, o + 8);
    o += ENTRY_TAIL_BYTES;
    if (vl > 0) buf.set(value, valBase + vo);
    vo += vl;
  }
  return { buf, n, version, entriesOff, recEnd, valBase };
}

/** Eh of a hashed packed tx (a view). */
export function packedEh(p: PackedTx): Buffer {
  return p.buf.subarray(PACKED_EH_OFFSET, PACKED_EH_OFFSET + 32);
}

/** Index of the first entry whose key repeats an earlier one (found while hashing), or undefined. */
export function packedDuplicate(p: PackedTx): number | undefined {
  const d = p.buf.readUInt32LE(PACKED_DUP_OFFSET);
  return d === 0 ? undefined : d - 1;
}

/** The SHA-256 primitive hashPackedTx runs on: a WASM instance (sha256-wasm.ts), scalar and four-lane. */
export interface PackedHasher {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  readonly hash: (ptr: number, len: number, out: number) => void;
  readonly hash4: (p0: number, p1: number, p2: number, p3: number, len: number, o0: number, o1: number, o2: number, o3: number) => void;
}

/**
 * Fills hVals (in the record) and Eh (in the head) of the packed tx in `buf` (a view of its whole
 * layout). Self-contained on purpose (nothing from outside its own body): its source text is also the body of
 * the hashing worker (hash-pool.ts). Works in the hasher's memory from byte 2048 on (below is reserved).
 * Every stage hashes four messages at once (hash4) wherever four neighbours have the same length:
 * values, entry digests, leaves (always 33 bytes) and htree nodes (always 65 bytes).
 */
export function hashPackedTx(buf: Uint8Array, w: PackedHasher): void {
  const dataBase = 2048;
  const n1 = (buf[0] as number) | ((buf[1] as number) << 8) | ((buf[2] as number) << 16) | ((buf[3] as number) << 24);
  if (n1 === 1) {
    // One entry (the common small tx): no duplicate possible, Eh is its leaf. Three hashes, no tables.
    // wasm memory: prefix ‖ hVal at P | 0x00 ‖ digest at L | Eh at E | the value at V
    const eo = (buf[8] as number) | ((buf[9] as number) << 8) | ((buf[10] as number) << 16) | ((buf[11] as number) << 24);
    const vb = (buf[12] as number) | ((buf[13] as number) << 8) | ((buf[14] as number) << 16) | ((buf[15] as number) << 24);
    const mdl = ((buf[eo] as number) << 8) | (buf[eo + 1] as number);
    const kl1 = ((buf[eo + 2 + mdl] as number) << 8) | (buf[eo + 3 + mdl] as number);
    const ps = buf[4] === 0 ? eo + 4 + mdl : eo;
    const te = eo + 4 + mdl + kl1; // u32 vLen ‖ u64 vOff ‖ hVal
    const vl1 = (((buf[te] as number) << 24) | ((buf[te + 1] as number) << 16) | ((buf[te + 2] as number) << 8) | (buf[te + 3] as number)) >>> 0;
    const pl1 = te - ps;
    const P = dataBase;
    const L = (P + pl1 + 32 + 8) & ~7;
    const E = L + 40;
    const V = E + 32;
    if (w.memory.buffer.byteLength < V + vl1) w.memory.grow(Math.ceil((V + vl1 - w.memory.buffer.byteLength) / 65536));
    const m = new Uint8Array(w.memory.buffer);
    for (let j = 0; j < pl1; j++) m[P + j] = buf[ps + j] as number;
    if (vl1 > 0) m.set(buf.subarray(vb, vb + vl1), V);
    w.hash(V, vl1, P + pl1);
    m[L] = 0;
    w.hash(P, pl1 + 32, L + 1);
    w.hash(L, 33, E);
    for (let j = 0; j < 32; j++) {
      buf[te + 12 + j] = m[P + pl1 + j] as number;
      buf[32 + j] = m[E + j] as number;
    }
    buf[16] = 0;
    buf[17] = 0;
    buf[18] = 0;
    buf[19] = 0;
    return;
  }
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = dv.getUint32(0, true);
  const version = dv.getUint32(4, true);
  const entriesOff = dv.getUint32(8, true);
  const valBase = dv.getUint32(12, true);
  // duplicate keys: FNV-1a of each key into an open-addressing table, bytes compared on a hit
  let cap = 16;
  while (cap < 2 * n) cap *= 2;
  const table = new Int32Array(cap);
  const keyAt = new Int32Array(n);
  let duplicate = 0;
  const total = buf.byteLength;
  let maxPrefix = 0;
  {
    let o = entriesOff;
    for (let i = 0; i < n; i++) {
      const pl = 4 + ((buf[o] as number) << 8) + (buf[o + 1] as number);
      const mdLen = pl - 4;
      const kl = ((buf[o + 2 + mdLen] as number) << 8) + (buf[o + 3 + mdLen] as number);
      if (pl + kl > maxPrefix) maxPrefix = pl + kl;
      const k = o + pl; // key bytes [k, k + kl), its u16 length at k - 2
      keyAt[i] = k;
      let h = 0x811c9dc5;
      for (let j = k; j < k + kl; j++) h = Math.imul(h ^ (buf[j] as number), 0x01000193);
      for (let slot = (h >>> 0) & (cap - 1); ; slot = (slot + 1) & (cap - 1)) {
        const other = table[slot] as number;
        if (other === 0) {
          table[slot] = i + 1;
          break;
        }
        const ok = keyAt[other - 1] as number;
        if (duplicate === 0 && ((buf[ok - 2] as number) << 8) + (buf[ok - 1] as number) === kl) {
          let same = true;
          for (let j = 0; j < kl && same; j++) same = buf[ok + j] === buf[k + j];
          if (same) {
            duplicate = i + 1;
            break;
          }
        }
      }
      o += pl + kl + 44;
    }
  }
  // wasm memory: [dataBase, +total) copy of buf | digest inputs, one slot per entry (prefix ‖ hVal) |
  // leaf inputs, 40 bytes per entry (0x00 ‖ digest) | spare byte | levels (32n) | four 72-byte staging slots
  const slot = (maxPrefix + 32 + 7) & ~7;
  const dig = (dataBase + total + 7) & ~7;
  const leafIn = dig + slot * n;
  const levels = leafIn + 40 * n + 8;
  const stage = levels + 32 * n + 64;
  const need = stage + 4 * 72 + 64;
  if (w.memory.buffer.byteLength < need) w.memory.grow(Math.ceil((need - w.memory.buffer.byteLength) / 65536));
  const mem = new Uint8Array(w.memory.buffer);
  mem.set(buf, dataBase);
  const inAt = new Int32Array(n); // per stage: where each entry's message starts
  const inLen = new Int32Array(n); // and its length
  const outAt = new Int32Array(n); // where its hash goes
  const pLen = new Int32Array(n);
  const hvAt = new Int32Array(n);
  let o = entriesOff;
  let vo = valBase;
  for (let i = 0; i < n; i++) {
    const mdLen = ((buf[o] as number) << 8) + (buf[o + 1] as number);
    const kl = ((buf[o + 2 + mdLen] as number) << 8) + (buf[o + 3 + mdLen] as number);
    const pStart = version === 0 ? o + 4 + mdLen : o;
    const pl = o + 4 + mdLen + kl - pStart;
    const t = o + 4 + mdLen + kl; // u32 vLen ‖ u64 vOff ‖ hVal
    const vl = dv.getUint32(t, false);
    mem.copyWithin(dig + slot * i, dataBase + pStart, dataBase + pStart + pl);
    pLen[i] = pl;
    hvAt[i] = dataBase + t + 12;
    inAt[i] = dataBase + vo;
    inLen[i] = vl;
    outAt[i] = dataBase + t + 12;
    vo += vl;
    o = t + 44;
  }
  // message i (inAt[i], inLen[i]) -> outAt[i] for every i < n; four at once where four neighbours share a length
  const hashRuns = (): void => {
    for (let i = 0; i < n; ) {
      const l = inLen[i] as number;
      if (i + 3 < n && inLen[i + 1] === l && inLen[i + 2] === l && inLen[i + 3] === l) {
        w.hash4(inAt[i] as number, inAt[i + 1] as number, inAt[i + 2] as number, inAt[i + 3] as number, l, outAt[i] as number, outAt[i + 1] as number, outAt[i + 2] as number, outAt[i + 3] as number);
        i += 4;
      } else {
        w.hash(inAt[i] as number, l, outAt[i] as number);
        i++;
      }
    }
  };
  // stage 1: hVal = H(value), into the record's hVal slots
  hashRuns();
  // stage 2: entry digest = H(prefix ‖ hVal), into the leaf inputs after their 0x00
  for (let i = 0; i < n; i++) {
    const d = dig + slot * i;
    const pl = pLen[i] as number;
    const hv = hvAt[i] as number;
    mem.copyWithin(d + pl, hv, hv + 32);
    inAt[i] = d;
    inLen[i] = pl + 32;
    outAt[i] = leafIn + 40 * i + 1;
    mem[leafIn + 40 * i] = 0;
  }
  hashRuns();
  // stage 3: htree leaves H(0x00 ‖ digest), 33 bytes each
  let i4 = 0;
  for (; i4 + 3 < n; i4 += 4) {
    const a = leafIn + 40 * i4;
    const b = levels + 32 * i4;
    w.hash4(a, a + 40, a + 80, a + 120, 33, b, b + 32, b + 64, b + 96);
  }
  for (; i4 < n; i4++) w.hash(leafIn + 40 * i4, 33, levels + 32 * i4);
  // htree (immudb's: pairs hashed as 0x01 ‖ l ‖ r, an odd last node promoted), reduced in place. Four
  // pairs at a time are copied to staging slots first; a single pair is hashed where it lies, with the
  // byte before it (a consumed node, or the spare byte before `levels`) overwritten with 0x01.
  let count = n;
  while (count > 1) {
    const pairs = count >>> 1;
    let j = 0;
    for (; j + 3 < pairs; j += 4) {
      for (let q = 0; q < 4; q++) {
        const at = levels + 64 * (j + q);
        mem[stage + 72 * q] = 1;
        mem.copyWithin(stage + 72 * q + 1, at, at + 64);
      }
      const b = levels + 32 * j;
      w.hash4(stage, stage + 72, stage + 144, stage + 216, 65, b, b + 32, b + 64, b + 96);
    }
    for (; j < pairs; j++) {
      const at = levels + 64 * j;
      mem[at - 1] = 1;
      w.hash(at - 1, 65, levels + 32 * j);
    }
    if ((count & 1) === 1) mem.copyWithin(levels + 32 * pairs, levels + 64 * pairs, levels + 64 * pairs + 32);
    count = pairs + (count & 1);
  }
  if (n === 0) w.hash(levels, 0, levels);
  // results back into buf: every record entry (hVals) and Eh
  buf.set(mem.subarray(dataBase + entriesOff, dataBase + o), entriesOff);
  buf.set(mem.subarray(levels, levels + 32), 32);
  dv.setUint32(16, duplicate, true);
}
