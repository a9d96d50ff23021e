// Server side of the verifiable calls (core spec 4.6): which tx is proven, which source/target pair the
// DualProof links, and the htree inclusion proof of the requested store key inside its tx. Returns plain
// objects; signing and proto conversion belong to the server layer. Proofs are built, never checked here.
import { ImmuError } from '../common/errors.js';
import { entryDigestFor } from '../proof/entry-digest.js';
import { htreeInclusionProof, type InclusionProof } from '../proof/htree.js';
import { encodeKvMetadata } from '../proof/metadata.js';
import type { TxHeader } from '../proof/tx-header.js';
import type { StoredTx } from '../store/types.js';
import type { DbContext } from './context.js';
import { readCommittedTx } from './index-reads.js';
import { shapeTx, txShape } from './txs.js';
import type { EntriesSpec, Entry, VerifiableEntry, VerifiableTx } from './types.js';
import { nonNegativeInt } from './validation.js';

/** proveSinceTx must be a committed tx id (or 0); checked before any write so a bad one writes nothing. */
export function checkProveSinceTx(ctx: DbContext, proveSinceTx: number): number {
  const n = nonNegativeInt(proveSinceTx, 'proveSinceTx');
  const committed = ctx.store.committedState().txId;
  if (n > committed) throw new ImmuError('TX_BEYOND_STATE', `proveSinceTx ${n} is beyond the committed state ${committed}`);
  return n;
}

/** immudb's pairing: prove tx against the client's state, older one as source; proveSinceTx 0 proves tx to itself. */
export function proofPair(txId: number, proveSinceTx: number): { sourceId: number; targetId: number } {
  if (proveSinceTx === 0) return { sourceId: txId, targetId: txId };
  return proveSinceTx <= txId ? { sourceId: proveSinceTx, targetId: txId } : { sourceId: txId, targetId: proveSinceTx };
}

/** The tx (raw entries, or as spec says) plus the DualProof between it and the client's state. */
export async function verifiableTxFor(
  ctx: DbContext,
  stored: StoredTx,
  proveSinceTx: number,
  spec?: EntriesSpec,
  keepReferencesUnresolved?: boolean,
): Promise<VerifiableTx> {
  const tx = await shapeTx(ctx, stored, txShape(spec, keepReferencesUnresolved));
  const { sourceId, targetId } = proofPair(stored.header.id, proveSinceTx);
  const dualProof = await ctx.store.dualProof(sourceId, targetId);
  return { tx, dualProof };
}

/** Verifiable form of a write that just committed `header`. */
export async function verifiableWrite(ctx: DbContext, header: TxHeader, proveSinceTx: number): Promise<VerifiableTx> {
  return verifiableTxFor(ctx, await readCommittedTx(ctx, header.id), proveSinceTx);
}

/** htree proof of storeKey among the entries of tx, with the digest function of its header version. */
export function entryInclusionProof(stored: StoredTx, storeKey: Buffer): InclusionProof {
  const index = stored.entries.findIndex((e) => e.key.equals(storeKey));
  if (index < 0) {
    throw new ImmuError('INTERNAL', `key ${storeKey.toString('hex')} is not in tx ${stored.header.id}`);
  }
  const digest = entryDigestFor(stored.header.version);
  const digests = stored.entries.map((e) => digest(e.key, encodeKvMetadata(e.metadata), e.hVal));
  return htreeInclusionProof(digests, index);
}

/** A resolved entry with the proof of the requested key's entry in its tx (the reference's tx for a reference). */
export async function verifiableEntryFor(
  ctx: DbContext,
  entry: Entry,
  requestedStoreKey: Buffer,
  proveSinceTx: number,
): Promise<VerifiableEntry> {
  const vTx = entry.referencedBy?.tx ?? entry.tx;
  const stored = await readCommittedTx(ctx, vTx);
  const inclusionProof = entryInclusionProof(stored, requestedStoreKey);
  const verifiableTx = await verifiableTxFor(ctx, stored, proveSinceTx);
  return { entry, verifiableTx, inclusionProof };
}
