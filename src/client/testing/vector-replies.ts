// TEST SUPPORT ONLY: builds the client's decoded reply shapes (VerifiableTx, VerifiableEntry) from the
// golden store vectors (shared/vectors/store_txs_and_dualproofs.json), so verify.ts is exercised on
// bytes immudb's own code produced, without a server.
import { decodeKvMetadata } from '../../proof/metadata.js';
import {
  dualProofFromVector,
  headerFromVector,
  hexBuf,
  inclusionProofFromVector,
  loadVector,
  type StoreVectors,
  type TxVector,
} from '../../proof/test-vectors.js';
import type { VerifiableEntry, VerifiableTx } from '../decode.js';
import type { Tx } from '../types.js';

export const storeVectors: StoreVectors = loadVector<StoreVectors>('store_txs_and_dualproofs.json');

export function txVector(id: number): TxVector {
  const t = storeVectors.txs.find((x) => x.id === id);
  if (t === undefined) throw new Error(`no vector tx ${id}`);
  return t;
}

export function txFromVector(id: number): Tx {
  const t = txVector(id);
  return {
    header: headerFromVector(t),
    entries: t.entries.map((e) => ({
      key: hexBuf(e.key),
      hValue: hexBuf(e.hValue),
      vLen: e.vLen,
      metadata: decodeKvMetadata(hexBuf(e.md)),
      value: undefined,
    })),
    kvEntries: [],
    zEntries: [],
  };
}

/** A VerifiableTx carrying tx `txId` and the vector dual proof (source, target). */
export function verifiableTxFromVectors(txId: number, source: number, target: number): VerifiableTx {
  const dp = storeVectors.dualProofs.find((p) => p.sourceTxId === source && p.targetTxId === target);
  if (dp === undefined) throw new Error(`no vector dual proof ${source} -> ${target}`);
  return { tx: txFromVector(txId), dualProof: dualProofFromVector(dp), signature: undefined };
}

/** A VerifiableEntry for the plain entry `index` of tx `txId` (user key/value without prefixes). */
export function verifiableEntryFromVectors(txId: number, index: number, source: number, target: number): VerifiableEntry {
  const t = txVector(txId);
  const e = t.entries[index];
  if (e === undefined) throw new Error(`no entry ${index} in tx ${txId}`);
  return {
    entry: {
      tx: txId,
      key: hexBuf(e.key).subarray(1),
      value: hexBuf(e.value).subarray(1),
      referencedBy: undefined,
      metadata: decodeKvMetadata(hexBuf(e.md)),
      expired: false,
      revision: 1,
    },
    verifiableTx: verifiableTxFromVectors(txId, source, target),
    inclusionProof: inclusionProofFromVector(e.inclusionProof),
  };
}

export function alhOf(txId: number): Buffer {
  return hexBuf(txVector(txId).alh);
}
