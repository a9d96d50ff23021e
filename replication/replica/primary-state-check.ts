// The check of a primary's signed state against the public key the operator configured
// (`--replication-primary-public-key`): the replica runs it at every session start and at every periodic
// consistency check. Pure (no I/O); a missing or bad signature is a reason to halt, never to retry.
// Without a configured key nothing is checked here (the chain and dual proofs still are).
import type { KeyObject } from 'node:crypto';
import { publicKeyPoint, verifyStateSignature } from '../../src/proof/state-signature.js';
import type { TxRef } from '../core/index.js';

/** What a primary's CurrentState says, with the signature it carries (undefined when unsigned). */
export interface PrimarySignedState {
  /** The database the state is about ('' from servers that leave it out). */
  readonly db: string;
  /** The primary's committed tx id and its Alh. */
  readonly committed: TxRef;
  readonly signature: { readonly publicKey: Buffer; readonly signature: Buffer } | undefined;
}

/**
 * Undefined when `state` is signed by `trusted` over (database, txId, Alh); otherwise why not. The
 * signature covers the primary's own database name, which is the one we replicate from.
 */
export function primarySignatureFailure(trusted: KeyObject, database: string, state: PrimarySignedState): string | undefined {
  const at = `the primary's state of ${database} at tx ${state.committed.txId}`;
  const sig = state.signature;
  if (sig === undefined) return `${at} is not signed, but a primary public key is configured`;
  if (verifyStateSignature(trusted, database, state.committed.txId, state.committed.alh, sig.signature)) return undefined;
  const other = !publicKeyPoint(trusted).equals(sig.publicKey);
  return `${at} carries a signature that does not verify with the configured primary public key${other ? ' (it was signed by a different key)' : ''}`;
}
