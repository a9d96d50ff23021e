// Rebuilding a TxHeader from a tx-log record: the record stores hVals, not Eh, so Eh is recomputed
// from the entry digests (v0 or v1 by the record's version). Used by reads, recovery and verify. Pure.
import { EMPTY_HASH, leafHash, nodeHash, sha256 } from '../proof/hash.js';
import type { TxHeader } from '../proof/tx-header.js';
import type { TxRecord } from './tx-record.js';

/** The header a record describes, with Eh recomputed from its entries. */
export function recordToHeader(r: TxRecord): TxHeader {
  const digests: Buffer[] = new Array<Buffer>(r.entries.length);
  for (let i = 0; i < r.entries.length; i++) {
    const e = r.entries[i] as TxRecord['entries'][number];
    digests[i] = r.version === 0 ? sha256(Buffer.concat([e.key, e.hVal])) : digestV1(e.mdBytes, e.key, e.hVal);
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
    eh: htreeRootFast(digests),
  };
}

function digestV1(md: Buffer, key: Buffer, hVal: Buffer): Buffer {
  const b = Buffer.allocUnsafe(2 + md.length + 2 + key.length + 32);
  b.writeUInt16BE(md.length, 0);
  md.copy(b, 2);
  b.writeUInt16BE(key.length, 2 + md.length);
  key.copy(b, 4 + md.length);
  hVal.copy(b, 4 + md.length + key.length);
  return sha256(b);
}

function htreeRootFast(digests: readonly Buffer[]): Buffer {
  if (digests.length === 0) return EMPTY_HASH;
  let level = digests.map((d) => leafHash(d));
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHash(level[i] as Buffer, level[i + 1] as Buffer));
    if (level.length % 2 === 1) next.push(level[level.length - 1] as Buffer);
    level = next;
  }
  return level[0] as Buffer;
}

