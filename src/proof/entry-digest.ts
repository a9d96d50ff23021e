// Entry digests, the leaves of a transaction's htree. The digest function is chosen by the tx header
// version (core spec 1.4): v0 = H(key ‖ hVal), v1 = H(u16 mdLen ‖ md ‖ u16 keyLen ‖ key ‖ hVal).
import { ImmuError } from '../common/errors.js';
import { sha256 } from './hash.js';
import type { TxHeaderVersion } from './tx-header.js';

export function entryDigestV0(key: Uint8Array, kvMetadata: Uint8Array, hVal: Uint8Array): Buffer {
  if (kvMetadata.length > 0) throw new ImmuError('METADATA_INVALID', 'tx header version 0 entries cannot carry metadata');
  const b = Buffer.allocUnsafe(key.length + 32);
  b.set(key, 0);
  b.set(hVal, key.length);
  return sha256(b);
}

export function entryDigestV1(key: Uint8Array, kvMetadata: Uint8Array, hVal: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(2 + kvMetadata.length + 2 + key.length + 32);
  let o = 0;
  b.writeUInt16BE(kvMetadata.length, o);
  o += 2;
  b.set(kvMetadata, o);
  o += kvMetadata.length;
  b.writeUInt16BE(key.length, o);
  o += 2;
  b.set(key, o);
  o += key.length;
  b.set(hVal, o);
  return sha256(b);
}

export type EntryDigestFn = (key: Uint8Array, kvMetadata: Uint8Array, hVal: Uint8Array) => Buffer;

export function entryDigestFor(version: TxHeaderVersion): EntryDigestFn {
  return version === 0 ? entryDigestV0 : entryDigestV1;
}
