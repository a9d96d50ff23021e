// TEST SUPPORT ONLY: a chain of real transactions (entry digests, Eh, BlRoot from an ahtree, the Alh
// chain) in ExportTx form, so backup files can be written and verified without a server. Nothing here
// is a fake hash: a tx built here verifies exactly as one exported by the store.
import { ZERO32 } from '../../../common/bytes.js';
import { EMPTY_HASH, encodeTxHeaderExport, entryDigestV1, htreeRoot, MemoryAhtree, sha256, txAlh, type TxHeader } from '../../../proof/index.js';

export interface ChainTx {
  readonly txId: number;
  readonly header: TxHeader;
  readonly alh: Buffer;
  readonly payload: Buffer;
}

function exportBytes(header: TxHeader, kvs: readonly (readonly [Buffer, Buffer])[]): Buffer {
  const hdr = encodeTxHeaderExport(header);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(hdr.length, 0);
  const parts: Buffer[] = [len, hdr];
  for (const [key, value] of kvs) {
    const k = Buffer.alloc(2);
    k.writeUInt16BE(key.length, 0);
    const v = Buffer.alloc(4);
    v.writeUInt32BE(value.length, 0);
    parts.push(k, key, Buffer.from([0, 0]), v, value);
  }
  parts.push(Buffer.from([0, 1, 0]));
  return Buffer.concat(parts);
}

/** `count` txs from tx 1, each with two entries whose values carry `salt` (forks differ by salt). */
export function buildChain(count: number, salt = 'a'): ChainTx[] {
  const tree = new MemoryAhtree();
  const txs: ChainTx[] = [];
  let prevAlh = EMPTY_HASH;
  for (let id = 1; id <= count; id++) {
    const kvs = [0, 1].map((i) => [Buffer.from(`key-${id}-${i}`), Buffer.from(`value-${salt}-${id}-${i}`)] as const);
    const eh = htreeRoot(kvs.map(([k, v]) => entryDigestV1(k, Buffer.alloc(0), sha256(v))));
    const header: TxHeader = { id, ts: 1_700_000_000 + id, blTxId: id - 1, blRoot: id === 1 ? ZERO32 : tree.root(id - 1), prevAlh, version: 1, metadata: undefined, nEntries: kvs.length, eh };
    const alh = txAlh(header);
    txs.push({ txId: id, header, alh, payload: exportBytes(header, kvs) });
    tree.append(alh);
    prevAlh = alh;
  }
  return txs;
}
