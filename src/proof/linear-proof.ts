// Linear proofs (the Alh hash chain between two txs) and linear advance proofs (every tx of the old
// chain that a newer ahtree absorbed is a leaf of it). Generation reads headers through ProofHistory;
// verification is immudb's exactly (core spec 4.1, 4.2) and never throws.
import { ImmuError } from '../common/errors.js';
import { ahtInclusionProof, verifyAhtInclusion, type MerkleNodeSource } from './ahtree.js';
import { DIGEST_BYTES, leafHash } from './hash.js';
import { alhFrom, innerHash, txAlh, type TxHeader } from './tx-header.js';

/** What proof generation needs from a history: headers by id (async: the store reads them from disk) and the ahtree. */
export interface ProofHistory {
  txHeader(id: number): Promise<TxHeader>;
  readonly aht: MerkleNodeSource;
}

export interface LinearProof {
  readonly sourceTxId: number;
  readonly targetTxId: number;
  /** [Alh(source), innerHash(source+1), ..., innerHash(target)]. */
  readonly terms: readonly Buffer[];
}

export interface LinearAdvanceProof {
  /** [Alh(start+1), innerHash(start+2), ..., innerHash(end)]. */
  readonly linearProofTerms: readonly Buffer[];
  /** inclusionProofs[x] proves tx start+1+x in the tree of size treeSize. */
  readonly inclusionProofs: readonly (readonly Buffer[])[];
}

function isTxId(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

function isDigest(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array && x.length === DIGEST_BYTES;
}

function isDigestList(x: unknown): x is readonly Uint8Array[] {
  return Array.isArray(x) && x.every(isDigest);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

/** Linear proof from tx sourceId to tx targetId (1 <= sourceId <= targetId). */
export async function buildLinearProof(h: ProofHistory, sourceId: number, targetId: number): Promise<LinearProof> {
  if (!isTxId(sourceId) || !isTxId(targetId) || sourceId < 1 || sourceId > targetId) {
    throw new ImmuError('ILLEGAL_ARGUMENTS', `linear proof needs 1 <= source (${sourceId}) <= target (${targetId})`);
  }
  const terms: Buffer[] = [txAlh(await h.txHeader(sourceId))];
  for (let id = sourceId + 1; id <= targetId; id++) terms.push(innerHash(await h.txHeader(id)));
  return { sourceTxId: sourceId, targetTxId: targetId, terms };
}

/** Linear advance proof for the chain start..end against the tree of size treeSize; undefined when end <= start + 1. */
export async function buildLinearAdvanceProof(
  h: ProofHistory,
  start: number,
  end: number,
  treeSize: number,
): Promise<LinearAdvanceProof | undefined> {
  if (!isTxId(start) || !isTxId(end) || !isTxId(treeSize)) {
    throw new ImmuError('ILLEGAL_ARGUMENTS', `bad linear advance proof range (${start}, ${end}, ${treeSize})`);
  }
  if (end <= start + 1) return undefined;
  const linearProofTerms: Buffer[] = [txAlh(await h.txHeader(start + 1))];
  for (let id = start + 2; id <= end; id++) linearProofTerms.push(innerHash(await h.txHeader(id)));
  const inclusionProofs: Buffer[][] = [];
  for (let id = start + 1; id < end; id++) inclusionProofs.push(ahtInclusionProof(h.aht, id, treeSize));
  return { linearProofTerms, inclusionProofs };
}

/** immudb's linear proof verification (core spec 4.1). */
export function verifyLinearProof(
  p: LinearProof,
  sourceId: number,
  targetId: number,
  sourceAlh: Uint8Array,
  targetAlh: Uint8Array,
): boolean {
  try {
    if (typeof p !== 'object' || p === null) return false;
    if (!isTxId(sourceId) || !isTxId(targetId) || !isDigest(sourceAlh) || !isDigest(targetAlh)) return false;
    if (p.sourceTxId !== sourceId || p.targetTxId !== targetId) return false;
    if (sourceId === 0 || sourceId > targetId) return false;
    const terms = p.terms;
    if (!isDigestList(terms) || terms.length === 0 || terms.length !== targetId - sourceId + 1) return false;
    if (!equal(terms[0] as Uint8Array, sourceAlh)) return false;
    let c: Buffer = Buffer.from(terms[0] as Uint8Array);
    for (let k = 1; k < terms.length; k++) c = alhFrom(sourceId + k, c, terms[k] as Uint8Array);
    return equal(c, targetAlh);
  } catch {
    return false;
  }
}

/** immudb's linear advance proof verification (core spec 4.2); p may be undefined when end <= start + 1. */
export function verifyLinearAdvanceProof(
  p: LinearAdvanceProof | undefined,
  start: number,
  end: number,
  endAlh: Uint8Array,
  treeRoot: Uint8Array,
  treeSize: number,
): boolean {
  try {
    if (!isTxId(start) || !isTxId(end) || !isTxId(treeSize)) return false;
    if (end < start) return false;
    if (end <= start + 1) return true;
    if (typeof p !== 'object' || p === null) return false;
    if (!isDigest(endAlh) || !isDigest(treeRoot)) return false;
    const terms = p.linearProofTerms;
    const proofs = p.inclusionProofs;
    if (!isDigestList(terms) || terms.length !== end - start) return false;
    if (!Array.isArray(proofs) || proofs.length !== end - start - 1) return false;
    let c: Buffer = Buffer.from(terms[0] as Uint8Array);
    for (let id = start + 1; id < end; id++) {
      const proof = proofs[id - start - 1] as readonly Uint8Array[];
      if (!verifyAhtInclusion(proof, id, treeSize, leafHash(c), treeRoot)) return false;
      c = alhFrom(id + 1, c, terms[id - start] as Uint8Array);
    }
    return equal(c, endAlh);
  } catch {
    return false;
  }
}
