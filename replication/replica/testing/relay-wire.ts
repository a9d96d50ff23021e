// TEST SUPPORT ONLY: what the two forging primaries (the in-process forging-primary.ts and the
// child-process forging-relay.ts) share: forging one exported tx, and re-encoding a relayed answer's
// first-chunk metadata (the inverse of export-wire.ts's decoding) so the replica sees it unchanged.
import { u64Bin } from '../../../src/api/convert.js';
import {
  committedAlhBinKey,
  committedTxIdBinKey,
  epochBinKey,
  mayCommitUpToAlhBinKey,
  mayCommitUpToTxIdBinKey,
  precommittedTxIdBinKey,
} from '../../../src/api/metadata.js';
import { decodeExportTx, encodeExportTx } from '../../../src/store/export-format.js';
import type { ExportAnswerWire } from '../primary-connection.js';

const exportLimits = { maxTxEntries: 1 << 16, maxKeyLen: 1024, maxValueLen: 1 << 24 };

/** `value`: the first entry's value altered (Eh changes); `header`: the ts moved (header hash and Alh change, Eh stays valid). */
export function forgeExportedTx(payload: Buffer, kind: 'value' | 'header'): Buffer {
  const tx = decodeExportTx(payload, exportLimits);
  if (kind === 'value') {
    const [first, ...rest] = tx.entries;
    if (first === undefined) throw new Error('nothing to forge: the tx has no entries');
    return encodeExportTx(tx.header, [{ ...first, value: Buffer.concat([first.value, Buffer.from('-forged')]) }, ...rest]);
  }
  return encodeExportTx({ ...tx.header, ts: tx.header.ts + 3600 }, tx.entries);
}

/** The first-chunk metadata of a relayed answer, as the real primary sent it. */
export function relayedAnswerMetadata(a: ExportAnswerWire): Record<string, Buffer> {
  const md: Record<string, Buffer> = { [committedTxIdBinKey]: u64Bin(a.primaryCommittedTxId) };
  if (a.primaryCommittedAlh !== undefined) md[committedAlhBinKey] = a.primaryCommittedAlh;
  if (a.primaryEpoch !== undefined) md[epochBinKey] = u64Bin(a.primaryEpoch);
  if (a.primaryPrecommittedTxId !== undefined) md[precommittedTxIdBinKey] = u64Bin(a.primaryPrecommittedTxId);
  if (a.mayCommitUpTo !== undefined) {
    md[mayCommitUpToTxIdBinKey] = u64Bin(a.mayCommitUpTo.txId);
    md[mayCommitUpToAlhBinKey] = a.mayCommitUpTo.alh;
  }
  return md;
}
