// Rebuilding a TxHeader from a tx-log record: the record stores hVals, not Eh, so Eh is recomputed
// from the entry digests (v0 or v1 by the record's version). Used by reads, recovery and verify. Pure.
import { entryDigestFor } from '../proof/entry-digest.js';
import { htreeRoot } from '../proof/htree.js';
import type { TxHeader } from '../proof/tx-header.js';
import type { TxRecord } from './tx-record.js';

/** The header a record describes, with Eh recomputed from its entries. */
export function recordToHeader(r: TxRecord): TxHeader {
  const digest = entryDigestFor(r.version);
  const digests: Buffer[] = new Array<Buffer>(r.entries.length);
  for (let i = 0; i < r.entries.length; i++) {
    const e = r.entries[i] as TxRecord['entries'][number];
    digests[i] = digest(e.key, e.mdBytes, e.hVal);
  }
  return {
    id: r.id,
    ts: r.ts,
    blTxId: r.blTxId,
    blRoot: r.blRoot,
    prevAlh: r.prevAlh,
    version: r.version,
    metadata: r.metadata,
    nEntries: r.entries.length,
    eh: htreeRoot(digests),
  };
}
