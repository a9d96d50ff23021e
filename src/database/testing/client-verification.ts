// TEST SUPPORT ONLY: the client side of the verifiable calls, written from core spec 4.7 (the Go SDK's
// procedures) with src/proof verifiers. Each check takes the client's trusted state and a response and
// returns the next trusted state, or throws PROOF_FAILED. Pure, so tests can tamper with responses.
import { ImmuError } from '../../common/errors.js';
import { verifyDualProof } from '../../proof/dual-proof.js';
import { entryDigestFor } from '../../proof/entry-digest.js';
import { EMPTY_HASH, sha256 } from '../../proof/hash.js';
import { htreeInclusionProof, htreeRoot, verifyEntryInclusion } from '../../proof/htree.js';
import { encodeKvMetadata, type KvMetadata } from '../../proof/metadata.js';
import { txAlh, type TxHeader } from '../../proof/tx-header.js';
import { encodeKey, encodePlainValue, encodeReferenceValue, encodeZAddKey } from '../../proof/kv-encoding.js';
import type { VerifiableEntry, VerifiableTx } from '../types.js';

export interface TrustedState {
  readonly txId: number;
  readonly txHash: Buffer;
}

export const EMPTY_STATE: TrustedState = { txId: 0, txHash: EMPTY_HASH };

/** The store entry a client expects to find: store key, KV metadata and store value. */
export interface ExpectedEntry {
  readonly key: Buffer;
  readonly metadata: KvMetadata | undefined;
  readonly value: Buffer;
}

function fail(why: string): never {
  throw new ImmuError('PROOF_FAILED', why);
}

export const expectKv = (key: Buffer, value: Buffer, metadata?: KvMetadata): ExpectedEntry => ({
  key: encodeKey(key),
  metadata,
  value: encodePlainValue(value),
});

export const expectRef = (key: Buffer, referencedKey: Buffer, atTx: number): ExpectedEntry => ({
  key: encodeKey(key),
  metadata: undefined,
  value: encodeReferenceValue(referencedKey, atTx),
});

export const expectZAdd = (set: Buffer, score: number, key: Buffer, atTx: number): ExpectedEntry => ({
  key: encodeZAddKey(set, score, key, atTx),
  metadata: undefined,
  value: Buffer.alloc(0),
});

function digestOf(version: TxHeader['version'], e: ExpectedEntry): Buffer {
  return entryDigestFor(version)(e.key, encodeKvMetadata(e.metadata), sha256(e.value));
}

/** The Go client's dual-proof step: skipped at state 0 (trust on first use). */
function checkDual(vtx: VerifiableTx, source: TrustedState, target: TrustedState): void {
  if (source.txId === 0) return;
  if (!verifyDualProof(vtx.dualProof, source.txId, target.txId, source.txHash, target.txHash)) fail('dual proof does not verify');
}

/** VerifiedSet / VerifiedSetReference / VerifiedZAdd: the tx is rebuilt from its entries, eH recomputed. */
export function checkVerifiedWrite(state: TrustedState, vtx: VerifiableTx, expected: readonly ExpectedEntry[]): TrustedState {
  const header = vtx.tx.header;
  if (header.nEntries !== expected.length || vtx.tx.entries.length !== expected.length) fail('unexpected number of entries');
  const digest = entryDigestFor(header.version);
  const digests = vtx.tx.entries.map((e) => digest(e.key, encodeKvMetadata(e.metadata), e.hValue));
  const eh = htreeRoot(digests);
  for (const exp of expected) {
    const index = vtx.tx.entries.findIndex((e) => e.key.equals(exp.key));
    if (index < 0) fail('expected key not in tx');
    if (vtx.tx.entries[index]?.metadata?.deleted === true) fail('entry is deleted');
    const proof = htreeInclusionProof(digests, index);
    if (!verifyEntryInclusion(proof, digestOf(header.version, exp), eh)) fail('entry inclusion does not verify');
  }
  const target = vtx.dualProof.targetTxHeader;
  if (!eh.equals(target.eh)) fail('rebuilt eH differs from the target header eH');
  if (target.id !== header.id) fail('target header is not the tx');
  const next: TrustedState = { txId: target.id, txHash: txAlh(target) };
  checkDual(vtx, state, next);
  return next;
}

/** VerifiedGet: proves the requested key's entry (the reference entry for a reference) in its tx. */
export function checkVerifiedGet(state: TrustedState, requestedKey: Buffer, atTx: number, ve: VerifiableEntry): TrustedState {
  const { entry, verifiableTx: vtx } = ve;
  const version = vtx.tx.header.version;
  const ref = entry.referencedBy;
  const expected: ExpectedEntry =
    ref === undefined
      ? { key: encodeKey(requestedKey), metadata: entry.metadata, value: encodePlainValue(entry.value) }
      : { key: encodeKey(requestedKey), metadata: ref.metadata, value: encodeReferenceValue(entry.key, ref.atTx) };
  const vTx = atTx > 0 ? atTx : (ref?.tx ?? entry.tx);
  const dp = vtx.dualProof;
  let eh: Buffer;
  let source: TrustedState;
  let target: TrustedState;
  if (state.txId <= vTx) {
    eh = dp.targetTxHeader.eh;
    source = state;
    target = { txId: vTx, txHash: txAlh(dp.targetTxHeader) };
  } else {
    eh = dp.sourceTxHeader.eh;
    source = { txId: vTx, txHash: txAlh(dp.sourceTxHeader) };
    target = state;
  }
  if (!verifyEntryInclusion(ve.inclusionProof, digestOf(version, expected), eh)) fail('entry inclusion does not verify');
  checkDual(vtx, source, target);
  return target;
}

/** VerifiedTxByID: only the dual proof (the Go client does not check entries against eH). */
export function checkVerifiedTx(state: TrustedState, txId: number, vtx: VerifiableTx): TrustedState {
  const dp = vtx.dualProof;
  let source: TrustedState;
  let target: TrustedState;
  if (state.txId <= txId) {
    source = state;
    target = { txId, txHash: txAlh(dp.targetTxHeader) };
  } else {
    source = { txId, txHash: txAlh(dp.sourceTxHeader) };
    target = state;
  }
  checkDual(vtx, source, target);
  return target;
}
