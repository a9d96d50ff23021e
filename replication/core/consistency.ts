// The periodic consistency check a replica's driver runs when the core asks (checkConsistency): prove the
// replica's committed (txId, Alh) is part of the primary's current history with a dual proof, then feed
// the outcome back. Pure; the driver fetches the proof and the primary's state (signature-checked when
// the primary signs its state) and calls this.
import { verifyDualProof, type DualProof } from '../../src/proof/index.js';
import type { ConsistencyOutcome } from './replica-types.js';
import type { TxRef } from './types.js';

export function checkConsistencyProof(local: TxRef, primary: TxRef, proof: DualProof | undefined): ConsistencyOutcome {
  if (primary.txId < local.txId) {
    // A freshly promoted primary may not have committed its precommitted tail yet: ask again later.
    return { kind: 'unavailable', message: `the primary's committed tx ${primary.txId} is behind ours (${local.txId})` };
  }
  if (primary.txId === local.txId) {
    return primary.alh.equals(local.alh)
      ? { kind: 'ok', primaryTxId: primary.txId }
      : { kind: 'mismatch', message: `tx ${local.txId} has a different Alh on the primary` };
  }
  if (proof === undefined) return { kind: 'unavailable', message: 'no proof was returned' };
  return verifyDualProof(proof, local.txId, primary.txId, local.alh, primary.alh)
    ? { kind: 'ok', primaryTxId: primary.txId }
    : { kind: 'mismatch', message: `no valid dual proof from tx ${local.txId} to the primary's tx ${primary.txId}` };
}
