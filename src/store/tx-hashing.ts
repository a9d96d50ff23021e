// Per-entry hashing of one tx (hVal = H(value), entry digest, htree root Eh) over one packed buffer, so
// the same work can run inline or in a worker thread with a single transfer each way.
// Packed layout (ArrayBuffer): u32[4] {n, version, preBase, valBase} ‖ u32[4n] per entry {valOff,
// valLen, preOff, preLen} ‖ hVals (32n, filled in) ‖ Eh (32, filled in) ‖ digest prefixes ‖ values.
// A digest prefix is `u16 mdLen ‖ md ‖ u16 keyLen ‖ key` (v1) or `key` (v0), so digest = H(prefix ‖ hVal).
import { encodeKvMetadata, type KvMetadata } from '../proof/metadata.js';

export type HashFn = (algorithm: string, data: Uint8Array, outputEncoding: 'buffer') => Buffer;

export interface PackedTx {
  readonly ab: ArrayBuffer;
  readonly n: number;
}

export interface PackInput {
  readonly key: Buffer;
  readonly value: Buffer;
  readonly metadata?: KvMetadata | undefined;
}

const HEAD_BYTES = 16;

/** Packs entries for hashing; returns the buffer and per-entry canonical metadata bytes. */
export function packTx(entries: readonly PackInput[], version: 0 | 1): { packed: PackedTx; mdBytes: Buffer[] } {
  const n = entries.length;
  const mdBytes: Buffer[] = new Array<Buffer>(n);
  let preBytes = 0;
  let valBytes = 0;
  for (let i = 0; i < n; i++) {
    const e = entries[i] as PackInput;
    const md = encodeKvMetadata(e.metadata);
    mdBytes[i] = md;
    preBytes += version === 0 ? e.key.length : 4 + md.length + e.key.length;
    valBytes += e.value.length;
  }
  const preBase = HEAD_BYTES + 16 * n + 32 * n + 32;
  const valBase = preBase + preBytes;
  const ab = new ArrayBuffer(valBase + valBytes);
  const head = new Uint32Array(ab, 0, 4);
  head[0] = n;
  head[1] = version;
  head[2] = preBase;
  head[3] = valBase;
  const lay = new Uint32Array(ab, HEAD_BYTES, 4 * n);
  const buf = Buffer.from(ab);
  let po = 0;
  let vo = 0;
  for (let i = 0; i < n; i++) {
    const e = entries[i] as PackInput;
    const md = mdBytes[i] as Buffer;
    const start = po;
    if (version === 1) {
      buf.writeUInt16BE(md.length, preBase + po);
      po += 2;
      md.copy(buf, preBase + po);
      po += md.length;
      buf.writeUInt16BE(e.key.length, preBase + po);
      po += 2;
    }
    e.key.copy(buf, preBase + po);
    po += e.key.length;
    e.value.copy(buf, valBase + vo);
    lay[4 * i] = vo;
    lay[4 * i + 1] = e.value.length;
    lay[4 * i + 2] = start;
    lay[4 * i + 3] = po - start;
    vo += e.value.length;
  }
  return { packed: { ab, n }, mdBytes };
}

/** Views on a hashed packed tx. */
export function packedResults(ab: ArrayBuffer): { hVals: Buffer; eh: Buffer; values: Buffer; valueOffsets: Uint32Array } {
  const head = new Uint32Array(ab, 0, 4);
  const n = head[0] as number;
  const valBase = head[3] as number;
  const hOff = HEAD_BYTES + 16 * n;
  const buf = Buffer.from(ab);
  return {
    hVals: buf.subarray(hOff, hOff + 32 * n),
    eh: buf.subarray(hOff + 32 * n, hOff + 32 * n + 32),
    values: buf.subarray(valBase),
    valueOffsets: new Uint32Array(ab, HEAD_BYTES, 4 * n),
  };
}

/**
 * Fills hVals and Eh in place. Self-contained on purpose (no imports, no closures): its source text is
 * also the body of the hashing worker (hash-pool.ts).
 */
export function hashPackedTx(ab: ArrayBuffer, hashFn: HashFn): void {
  const head = new Uint32Array(ab, 0, 4);
  const n = head[0] as number;
  const preBase = head[2] as number;
  const valBase = head[3] as number;
  const lay = new Uint32Array(ab, 16, 4 * n);
  const buf = Buffer.from(ab);
  const hOff = 16 + 16 * n;
  let maxPre = 0;
  for (let i = 0; i < n; i++) maxPre = Math.max(maxPre, lay[4 * i + 3] as number);
  const scratch = Buffer.allocUnsafe(maxPre + 32);
  const leafIn = Buffer.allocUnsafe(33);
  leafIn[0] = 0;
  const nodeIn = Buffer.allocUnsafe(65);
  nodeIn[0] = 1;
  let level: Buffer[] = new Array<Buffer>(n);
  for (let i = 0; i < n; i++) {
    const vo = valBase + (lay[4 * i] as number);
    const vl = lay[4 * i + 1] as number;
    const po = preBase + (lay[4 * i + 2] as number);
    const pl = lay[4 * i + 3] as number;
    const hv = hashFn('sha256', buf.subarray(vo, vo + vl), 'buffer');
    hv.copy(buf, hOff + 32 * i);
    buf.copy(scratch, 0, po, po + pl);
    hv.copy(scratch, pl);
    const digest = hashFn('sha256', scratch.subarray(0, pl + 32), 'buffer');
    digest.copy(leafIn, 1);
    level[i] = hashFn('sha256', leafIn, 'buffer');
  }
  let root: Buffer;
  if (n === 0) root = hashFn('sha256', Buffer.alloc(0), 'buffer');
  else {
    while (level.length > 1) {
      const next: Buffer[] = [];
      for (let i = 0; i + 1 < level.length; i += 2) {
        (level[i] as Buffer).copy(nodeIn, 1);
        (level[i + 1] as Buffer).copy(nodeIn, 33);
        next.push(hashFn('sha256', nodeIn, 'buffer'));
      }
      if (level.length % 2 === 1) next.push(level[level.length - 1] as Buffer);
      level = next;
    }
    root = level[0] as Buffer;
  }
  root.copy(buf, hOff + 32 * n);
}
