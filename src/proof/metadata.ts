// Canonical encodings of KV metadata (deleted, expiresAt, nonIndexable) and tx metadata
// (truncatedUptoTx, extra). Attributes are always serialized in ascending code order; decoders accept
// any order and reject unknown codes, duplicates and oversize payloads. Pure.
import { ImmuError } from '../common/errors.js';
import { kvMetadataBytesMax, txMetadataBytesMax, txMetadataExtraBytesMax } from '../common/limits.js';

export interface KvMetadata {
  readonly deleted?: boolean;
  /** Unix seconds; the entry is expired when expiresAt <= now. */
  readonly expiresAt?: number;
  readonly nonIndexable?: boolean;
}

export interface TxMetadata {
  readonly truncatedUptoTx?: number;
  /** 1..256 bytes; an empty extra is the same as none. */
  readonly extra?: Uint8Array;
}

const KV_DELETED = 0x00;
const KV_EXPIRES_AT = 0x01;
const KV_NON_INDEXABLE = 0x02;
const TX_TRUNCATED_UPTO = 0x00;
const TX_EXTRA = 0x01;

const EMPTY = Buffer.alloc(0);

export function encodeKvMetadata(md: KvMetadata | undefined): Buffer {
  if (md === undefined) return EMPTY;
  const parts: Buffer[] = [];
  if (md.deleted === true) parts.push(Buffer.from([KV_DELETED]));
  if (md.expiresAt !== undefined) {
    const b = Buffer.allocUnsafe(9);
    b[0] = KV_EXPIRES_AT;
    b.writeBigInt64BE(BigInt(md.expiresAt), 1);
    parts.push(b);
  }
  if (md.nonIndexable === true) parts.push(Buffer.from([KV_NON_INDEXABLE]));
  return parts.length === 0 ? EMPTY : Buffer.concat(parts);
}

export function decodeKvMetadata(bytes: Uint8Array): KvMetadata | undefined {
  if (bytes.length === 0) return undefined;
  if (bytes.length > kvMetadataBytesMax) {
    throw new ImmuError('METADATA_INVALID', `kv metadata is ${bytes.length} bytes, max ${kvMetadataBytesMax}`);
  }
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let deleted = false;
  let nonIndexable = false;
  let expiresAt: number | undefined;
  const seen = new Set<number>();
  let i = 0;
  while (i < b.length) {
    const code = b[i++] as number;
    if (seen.has(code)) throw new ImmuError('METADATA_INVALID', `kv metadata attribute ${code} repeated`);
    seen.add(code);
    if (code === KV_DELETED) deleted = true;
    else if (code === KV_NON_INDEXABLE) nonIndexable = true;
    else if (code === KV_EXPIRES_AT) {
      if (i + 8 > b.length) throw new ImmuError('METADATA_INVALID', 'kv metadata expiresAt is truncated');
      expiresAt = safeU64(b.readBigUInt64BE(i), 'expiresAt');
      i += 8;
    } else throw new ImmuError('METADATA_INVALID', `unknown kv metadata attribute ${code}`);
  }
  return {
    ...(deleted ? { deleted: true } : {}),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    ...(nonIndexable ? { nonIndexable: true } : {}),
  };
}

export function encodeTxMetadata(md: TxMetadata | undefined): Buffer {
  if (md === undefined) return EMPTY;
  const parts: Buffer[] = [];
  if (md.truncatedUptoTx !== undefined) {
    const b = Buffer.allocUnsafe(9);
    b[0] = TX_TRUNCATED_UPTO;
    b.writeBigUInt64BE(BigInt(md.truncatedUptoTx), 1);
    parts.push(b);
  }
  if (md.extra !== undefined && md.extra.length > 0) {
    if (md.extra.length > txMetadataExtraBytesMax) {
      throw new ImmuError('METADATA_INVALID', `tx metadata extra is ${md.extra.length} bytes, max ${txMetadataExtraBytesMax}`);
    }
    const b = Buffer.allocUnsafe(3);
    b[0] = TX_EXTRA;
    b.writeUInt16BE(md.extra.length, 1);
    parts.push(b, Buffer.from(md.extra));
  }
  return parts.length === 0 ? EMPTY : Buffer.concat(parts);
}

export function decodeTxMetadata(bytes: Uint8Array): TxMetadata | undefined {
  if (bytes.length === 0) return undefined;
  if (bytes.length > txMetadataBytesMax) {
    throw new ImmuError('METADATA_INVALID', `tx metadata is ${bytes.length} bytes, max ${txMetadataBytesMax}`);
  }
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let truncatedUptoTx: number | undefined;
  let extra: Buffer | undefined;
  const seen = new Set<number>();
  let i = 0;
  while (i < b.length) {
    const code = b[i++] as number;
    if (seen.has(code)) throw new ImmuError('METADATA_INVALID', `tx metadata attribute ${code} repeated`);
    seen.add(code);
    if (code === TX_TRUNCATED_UPTO) {
      if (i + 8 > b.length) throw new ImmuError('METADATA_INVALID', 'tx metadata truncatedUptoTx is truncated');
      truncatedUptoTx = safeU64(b.readBigUInt64BE(i), 'truncatedUptoTx');
      i += 8;
    } else if (code === TX_EXTRA) {
      if (i + 2 > b.length) throw new ImmuError('METADATA_INVALID', 'tx metadata extra length is truncated');
      const len = b.readUInt16BE(i);
      i += 2;
      if (len < 1 || len > txMetadataExtraBytesMax || i + len > b.length) {
        throw new ImmuError('METADATA_INVALID', `tx metadata extra has bad length ${len}`);
      }
      extra = Buffer.from(b.subarray(i, i + len));
      i += len;
    } else throw new ImmuError('METADATA_INVALID', `unknown tx metadata attribute ${code}`);
  }
  return {
    ...(truncatedUptoTx !== undefined ? { truncatedUptoTx } : {}),
    ...(extra !== undefined ? { extra } : {}),
  };
}

function safeU64(v: bigint, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ImmuError('METADATA_INVALID', `${what} ${v} is out of range`);
  return Number(v);
}
