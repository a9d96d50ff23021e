// The metadata header at the start of every chunk file (core spec 6.2): `u32 L ‖ metadata`, where a
// metadata map is `u32(4) ‖ u32(count) ‖ (u32 len k ‖ k ‖ u32 len v ‖ v)*`. Maps nest through the
// WRAPPED_METADATA key (single-file map -> multi-file map -> store map). Go writes keys in random order,
// so readers look values up by name. Pure encoding; no file I/O here.
import { ImmuError } from '../common/errors.js';

/** A decoded map: values stay raw bytes until read with a typed accessor. */
export type MetadataMap = ReadonlyMap<string, Buffer>;

export type MetadataValue = number | boolean | Buffer;

const MAP_MARKER = 4; // the leading u32 immudb writes before the count
export const WRAPPED_METADATA = 'WRAPPED_METADATA';
const metadataPairsMax = 64; // far more than immudb ever writes; bounds a corrupt count

export function encodeMetadata(pairs: ReadonlyArray<readonly [string, MetadataValue]>): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.allocUnsafe(8);
  head.writeUInt32BE(MAP_MARKER, 0);
  head.writeUInt32BE(pairs.length, 4);
  parts.push(head);
  for (const [k, v] of pairs) {
    const kb = Buffer.from(k, 'utf8');
    let vb: Buffer;
    if (typeof v === 'boolean') vb = Buffer.from([v ? 1 : 0]);
    else if (typeof v === 'number') {
      vb = Buffer.allocUnsafe(8);
      vb.writeBigUInt64BE(BigInt(v), 0);
    } else vb = v;
    const lens = Buffer.allocUnsafe(4);
    lens.writeUInt32BE(kb.length, 0);
    const vlen = Buffer.allocUnsafe(4);
    vlen.writeUInt32BE(vb.length, 0);
    parts.push(lens, kb, vlen, vb);
  }
  return Buffer.concat(parts);
}

/** Decodes one map; throws CORRUPTED_DATA with `what` in the message on any malformation. */
export function decodeMetadata(bytes: Buffer, what: string): MetadataMap {
  const fail = (why: string): never => {
    throw new ImmuError('CORRUPTED_DATA', `${what}: chunk metadata does not parse: ${why}`, { file: what });
  };
  if (bytes.length < 8) fail('too short');
  if (bytes.readUInt32BE(0) !== MAP_MARKER) fail('bad map marker');
  const count = bytes.readUInt32BE(4);
  if (count > metadataPairsMax) fail(`too many pairs (${count})`);
  const map = new Map<string, Buffer>();
  let o = 8;
  for (let i = 0; i < count; i++) {
    if (o + 4 > bytes.length) fail('truncated key length');
    const kl = bytes.readUInt32BE(o);
    o += 4;
    if (o + kl + 4 > bytes.length) fail('truncated key');
    const k = bytes.toString('utf8', o, o + kl);
    o += kl;
    const vl = bytes.readUInt32BE(o);
    o += 4;
    if (o + vl > bytes.length) fail('truncated value');
    if (map.has(k)) fail(`repeated key ${k}`);
    map.set(k, bytes.subarray(o, o + vl));
    o += vl;
  }
  if (o !== bytes.length) fail('trailing bytes');
  return map;
}

export function metadataU64(map: MetadataMap, key: string, what: string): number | undefined {
  const v = map.get(key);
  if (v === undefined) return undefined;
  if (v.length !== 8) throw new ImmuError('CORRUPTED_DATA', `${what}: metadata ${key} is not a u64`, { file: what });
  const n = v.readBigUInt64BE(0);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new ImmuError('CORRUPTED_DATA', `${what}: metadata ${key} out of range`, { file: what });
  return Number(n);
}

export function metadataBool(map: MetadataMap, key: string, what: string): boolean | undefined {
  const v = map.get(key);
  if (v === undefined) return undefined;
  if (v.length !== 1 || (v[0] !== 0 && v[0] !== 1)) {
    throw new ImmuError('CORRUPTED_DATA', `${what}: metadata ${key} is not a bool`, { file: what });
  }
  return v[0] === 1;
}

export function metadataNested(map: MetadataMap, what: string): MetadataMap {
  const v = map.get(WRAPPED_METADATA);
  if (v === undefined) throw new ImmuError('CORRUPTED_DATA', `${what}: metadata lacks ${WRAPPED_METADATA}`, { file: what });
  return decodeMetadata(v, what);
}

/** Decoded view of a whole chunk header as a plain object (for tests and diagnostics). */
export type DecodedMetadata = { readonly [k: string]: number | boolean | DecodedMetadata };

const boolKeys = new Set(['EMBEDDED_VALUES', 'PREALLOC_FILES']);

export function decodeMetadataTree(bytes: Buffer, what: string): DecodedMetadata {
  const map = decodeMetadata(bytes, what);
  const out: Record<string, number | boolean | DecodedMetadata> = {};
  for (const [k, v] of map) {
    if (k === WRAPPED_METADATA) out[k] = decodeMetadataTree(v, what);
    else if (boolKeys.has(k)) out[k] = metadataBool(map, k, what) as boolean;
    else out[k] = metadataU64(map, k, what) as number;
  }
  return out;
}
