// The replication byte format of one tx (core spec 6.8): `u32 len(hdr) ‖ TxHeader.Bytes() ‖ per entry
// [u16 kLen ‖ key ‖ u16 mdLen ‖ md ‖ u32 vLen ‖ value] ‖ u16(1) ‖ truncatedFlag`. The decoder treats its
// input as untrusted: every length is bounds-checked against the store's limits. Pure.
import { ImmuError } from '../common/errors.js';
import { kvMetadataBytesMax } from '../common/limits.js';
import { decodeKvMetadata, encodeKvMetadata, type KvMetadata } from '../proof/metadata.js';
import { decodeTxHeaderExport, encodeTxHeaderExport, type TxHeader } from '../proof/tx-header.js';
import type { RecordLimits } from './tx-record.js';

const exportHeaderBytesMax = 8 + 32 + 8 + 2 + 2 + 268 + 4 + 32 + 8 + 32;

export interface ExportedEntry {
  readonly key: Buffer;
  readonly metadata: KvMetadata | undefined;
  readonly value: Buffer;
}

export interface ExportedTx {
  readonly header: TxHeader;
  readonly entries: readonly ExportedEntry[];
}

export function encodeExportTx(header: TxHeader, entries: readonly ExportedEntry[]): Buffer {
  const hdr = encodeTxHeaderExport(header);
  let size = 4 + hdr.length + 3;
  const mds = entries.map((e) => encodeKvMetadata(e.metadata));
  entries.forEach((e, i) => {
    size += 2 + e.key.length + 2 + (mds[i] as Buffer).length + 4 + e.value.length;
  });
  const b = Buffer.allocUnsafe(size);
  let o = b.writeUInt32BE(hdr.length, 0);
  o += hdr.copy(b, o);
  entries.forEach((e, i) => {
    const md = mds[i] as Buffer;
    o = b.writeUInt16BE(e.key.length, o);
    o += e.key.copy(b, o);
    o = b.writeUInt16BE(md.length, o);
    o += md.copy(b, o);
    o = b.writeUInt32BE(e.value.length, o);
    o += e.value.copy(b, o);
  });
  o = b.writeUInt16BE(1, o);
  b[o++] = 0;
  return b;
}

function divergence(why: string, details: Record<string, unknown> = {}): ImmuError {
  return new ImmuError('REPLICATION_DIVERGENCE', `exported tx rejected: ${why}`, { reason: why, ...details });
}

export function decodeExportTx(buf: Buffer, limits: RecordLimits): ExportedTx {
  if (!Buffer.isBuffer(buf)) throw divergence('not a buffer');
  let o = 0;
  const need = (n: number, what: string): void => {
    if (o + n > buf.length) throw divergence(`truncated at ${what} (offset ${o})`);
  };
  need(4, 'header length');
  const hdrLen = buf.readUInt32BE(o);
  o += 4;
  if (hdrLen > exportHeaderBytesMax) throw divergence(`header length ${hdrLen} too large`);
  need(hdrLen, 'header');
  let header: TxHeader;
  try {
    header = decodeTxHeaderExport(buf.subarray(o, o + hdrLen));
  } catch (err) {
    throw divergence(`header does not parse: ${(err as Error).message}`);
  }
  o += hdrLen;
  if (header.nEntries > limits.maxTxEntries) throw divergence(`${header.nEntries} entries, max ${limits.maxTxEntries}`);
  const entries: ExportedEntry[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < header.nEntries; i++) {
    need(2, `entry ${i} key length`);
    const kLen = buf.readUInt16BE(o);
    o += 2;
    if (kLen < 1 || kLen > limits.maxKeyLen) throw divergence(`entry ${i} key length ${kLen}`);
    need(kLen + 2, `entry ${i} key`);
    const key = Buffer.from(buf.subarray(o, o + kLen));
    o += kLen;
    const mdLen = buf.readUInt16BE(o);
    o += 2;
    if (mdLen > kvMetadataBytesMax) throw divergence(`entry ${i} metadata length ${mdLen}`);
    need(mdLen + 4, `entry ${i} metadata`);
    let metadata: KvMetadata | undefined;
    try {
      metadata = decodeKvMetadata(buf.subarray(o, o + mdLen));
    } catch (err) {
      throw divergence(`entry ${i} metadata: ${(err as Error).message}`);
    }
    if (header.version === 0 && mdLen > 0) throw divergence(`entry ${i} has metadata in a version 0 tx`);
    o += mdLen;
    const vLen = buf.readUInt32BE(o);
    o += 4;
    if (vLen > limits.maxValueLen) throw divergence(`entry ${i} value length ${vLen}`);
    need(vLen, `entry ${i} value`);
    const value = Buffer.from(buf.subarray(o, o + vLen));
    o += vLen;
    const k = key.toString('latin1');
    if (seen.has(k)) throw divergence(`entry ${i} duplicates a key`);
    seen.add(k);
    entries.push({ key, metadata, value });
  }
  need(3, 'trailer');
  const marker = buf.readUInt16BE(o);
  const truncated = buf[o + 2];
  o += 3;
  if (marker !== 1) throw divergence(`trailer marker ${marker}`);
  if (truncated !== 0) throw new ImmuError('UNIMPLEMENTED', 'replicating value-truncated txs is not supported');
  if (o !== buf.length) throw divergence(`${buf.length - o} trailing bytes`);
  return { header, entries };
}
