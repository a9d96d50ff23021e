// Verification of one exported transaction (ExportTx bytes, cluster spec 3.3, core spec 6.8) as untrusted
// input, before anything is written: parse it, recompute every entry digest and the entries hash (Eh),
// check the tx id is the one expected and that it chains onto the previous Alh, and compute its Alh.
// Shared by the replica (replication/core re-exports it) and the client's backup reader. What this file
// cannot check is BlRoot against an ahtree: the store's replicate path and the backup chain verifier do.
import { keySizeBytesMax, kvMetadataBytesMax, txEntriesMaxHeaderV0, valueSizeBytesMaxDefault } from '../common/limits.js';
import { entryDigestFor } from './entry-digest.js';
import { DIGEST_BYTES, sha256 } from './hash.js';
import { htreeRoot } from './htree.js';
import { decodeKvMetadata } from './metadata.js';
import { decodeTxHeaderExport, txAlh, type TxHeader } from './tx-header.js';

const exportHeaderBytesMax = 8 + 32 + 8 + 2 + 2 + 268 + 4 + 32 + 8 + 32;

export interface ExportLimits {
  readonly keyBytesMax: number;
  readonly valueBytesMax: number;
  readonly entriesMax: number;
}

export const exportLimitsDefault: ExportLimits = {
  keyBytesMax: keySizeBytesMax,
  valueBytesMax: valueSizeBytesMaxDefault,
  entriesMax: txEntriesMaxHeaderV0,
};

export interface ExportedEntry {
  readonly key: Buffer;
  readonly kvMetadata: Buffer;
  /** The value, or its 32-byte SHA-256 when the export is digest-only (truncated values). */
  readonly value: Buffer;
}

export interface ExportedTx {
  readonly header: TxHeader;
  readonly entries: readonly ExportedEntry[];
  readonly valuesTruncated: boolean;
}

export type ParseResult = { readonly kind: 'ok'; readonly tx: ExportedTx } | { readonly kind: 'malformed'; readonly message: string };

/** Parses the export format; any overrun, bad length or leftover byte is `malformed`. Never throws. */
export function parseExportTx(payload: Uint8Array, limits: ExportLimits = exportLimitsDefault): ParseResult {
  const b = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  let o = 0;
  const fail = (message: string): ParseResult => ({ kind: 'malformed', message });
  if (b.length < 4) return fail('truncated before the header length');
  const hdrLen = b.readUInt32BE(0);
  o = 4;
  if (hdrLen > exportHeaderBytesMax || o + hdrLen > b.length) return fail(`bad header length ${hdrLen}`);
  let header: TxHeader;
  try {
    header = decodeTxHeaderExport(b.subarray(o, o + hdrLen));
  } catch (err) {
    return fail(`header does not parse: ${(err as Error).message}`);
  }
  o += hdrLen;
  if (header.nEntries > limits.entriesMax) return fail(`${header.nEntries} entries exceed ${limits.entriesMax}`);
  const entries: ExportedEntry[] = [];
  for (let i = 0; i < header.nEntries; i++) {
    if (o + 2 > b.length) return fail(`truncated at entry ${i}`);
    const kLen = b.readUInt16BE(o);
    o += 2;
    if (kLen < 1 || kLen > limits.keyBytesMax || o + kLen + 2 > b.length) return fail(`entry ${i} key length ${kLen}`);
    const key = Buffer.from(b.subarray(o, o + kLen));
    o += kLen;
    const mdLen = b.readUInt16BE(o);
    o += 2;
    if (mdLen > kvMetadataBytesMax || o + mdLen + 4 > b.length) return fail(`entry ${i} metadata length ${mdLen}`);
    const kvMetadata = Buffer.from(b.subarray(o, o + mdLen));
    try {
      decodeKvMetadata(kvMetadata);
    } catch (err) {
      return fail(`entry ${i} metadata: ${(err as Error).message}`);
    }
    o += mdLen;
    const vLen = b.readUInt32BE(o);
    o += 4;
    if (vLen > limits.valueBytesMax || o + vLen > b.length) return fail(`entry ${i} value length ${vLen}`);
    entries.push({ key, kvMetadata, value: Buffer.from(b.subarray(o, o + vLen)) });
    o += vLen;
  }
  let valuesTruncated = false;
  if (o < b.length) {
    if (o + 3 > b.length || b.readUInt16BE(o) !== 1) return fail('bad trailer');
    const flag = b[o + 2];
    if (flag !== 0 && flag !== 1) return fail(`bad truncation flag ${String(flag)}`);
    valuesTruncated = flag === 1;
    o += 3;
  }
  if (o !== b.length) return fail(`${b.length - o} trailing bytes`);
  if (valuesTruncated && entries.some((e) => e.value.length !== DIGEST_BYTES)) return fail('digest-only entry is not 32 bytes');
  return { kind: 'ok', tx: { header, entries, valuesTruncated } };
}

/** Eh recomputed from the entries exactly as the primary's store computes it. */
export function recomputeEh(tx: ExportedTx): Buffer {
  const digestOf = entryDigestFor(tx.header.version);
  return htreeRoot(tx.entries.map((e) => digestOf(e.key, e.kvMetadata, tx.valuesTruncated ? e.value : sha256(e.value))));
}

export type TxCheckFailure = 'malformed' | 'unexpected-tx-id' | 'eh-mismatch' | 'prev-alh-mismatch';

export type TxCheck =
  | { readonly kind: 'ok'; readonly header: TxHeader; readonly alh: Buffer }
  | { readonly kind: 'rejected'; readonly failure: TxCheckFailure; readonly message: string; readonly header: TxHeader | undefined };

export interface TxExpectation {
  readonly txId: number;
  /** The local Alh at txId - 1. */
  readonly prevAlh: Buffer;
}

/**
 * Everything the replica can verify about a received tx on its own, in the order that classifies a
 * failure best: a tx that is not self-consistent (parse, Eh) or not the one asked for (id) is forged;
 * a self-consistent tx that does not chain on (prevAlh) is forged or divergence, which the caller decides.
 */
export function checkExportedTx(payload: Uint8Array, expected: TxExpectation, limits: ExportLimits = exportLimitsDefault): TxCheck {
  const parsed = parseExportTx(payload, limits);
  if (parsed.kind === 'malformed') return { kind: 'rejected', failure: 'malformed', message: parsed.message, header: undefined };
  const { header } = parsed.tx;
  if (header.id !== expected.txId) {
    return { kind: 'rejected', failure: 'unexpected-tx-id', message: `asked for tx ${expected.txId}, got tx ${header.id}`, header };
  }
  const eh = recomputeEh(parsed.tx);
  if (!eh.equals(header.eh)) {
    return { kind: 'rejected', failure: 'eh-mismatch', message: `tx ${header.id}: recomputed entries hash (Eh) differs from the header's`, header };
  }
  if (!header.prevAlh.equals(expected.prevAlh)) {
    return { kind: 'rejected', failure: 'prev-alh-mismatch', message: `tx ${header.id}: prevAlh differs from the local Alh of tx ${header.id - 1}`, header };
  }
  return { kind: 'ok', header, alh: txAlh(header) };
}
