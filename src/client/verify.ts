// The client side of the verifiable calls (core spec 4.7, the Go SDK's procedures) as pure functions:
// each takes the trusted state and a decoded reply, rebuilds from what the client itself knows (the key
// and value it wrote, the entries' digests, Eh), checks entry inclusion and the dual proof with
// src/proof, and returns the state to trust next, or throws PROOF_FAILED (STATE_INCONSISTENT for the
// consistency check) with details. Nothing here does I/O or touches the saved state.
import { ImmuError, type ErrorCode } from '../common/errors.js';
import {
  entryDigestFor,
  encodeKvMetadata,
  htreeInclusionProof,
  htreeRoot,
  sha256,
  txAlh,
  verifyDualProof,
  verifyEntryInclusion,
  verifyStateSignature,
  type KvMetadata,
  type TxHeader,
} from '../proof/index.js';
import type { KeyObject } from 'node:crypto';
import type { VerifiableEntry, VerifiableTx } from './decode.js';
import { encodePlainValue, encodeReferenceValue, encodeKey } from '../proof/kv-encoding.js';
import type { StateSignature } from './types.js';

/** A (txId, Alh) pair: what the client trusts, or what a proof establishes. txId 0 = nothing yet. */
export interface ProvenState {
  readonly txId: number;
  readonly txHash: Buffer;
}

/** The store entry the client expects in a tx: store key, KV metadata, store value (hashed here). */
export interface ExpectedEntry {
  readonly key: Buffer;
  readonly metadata: KvMetadata | undefined;
  readonly value: Buffer;
}

function fail(why: string, details: Record<string, unknown> = {}, code: ErrorCode = 'PROOF_FAILED'): never {
  throw new ImmuError(code, why, details);
}

function expectedDigest(version: TxHeader['version'], e: ExpectedEntry): Buffer {
  return entryDigestFor(version)(e.key, encodeKvMetadata(e.metadata), sha256(e.value));
}

/** The Go client's dual-proof step: skipped when nothing is trusted yet (trust on first use). */
function checkDual(vtx: VerifiableTx, source: ProvenState, target: ProvenState, code: ErrorCode = 'PROOF_FAILED'): void {
  if (source.txId === 0) return;
  if (!verifyDualProof(vtx.dualProof, source.txId, target.txId, source.txHash, target.txHash)) {
    fail('dual proof does not verify', { sourceTxId: source.txId, targetTxId: target.txId }, code);
  }
}

/** Eh rebuilt from the raw entries the server returned (their digests, in order). */
function rebuildEh(header: TxHeader, vtx: VerifiableTx): { eh: Buffer; digests: Buffer[] } {
  const digest = entryDigestFor(header.version);
  const digests = vtx.tx.entries.map((e) => digest(e.key, encodeKvMetadata(e.metadata), e.hValue));
  return { eh: htreeRoot(digests), digests };
}

/**
 * VerifiedSet / VerifiedSetReference / VerifiedZAdd: the tx must hold exactly the one expected entry,
 * proven in the Eh rebuilt from the returned entries, which must be the target header's Eh; the target
 * must extend the trusted state.
 */
export function verifyWrite(state: ProvenState, vtx: VerifiableTx, expected: ExpectedEntry): ProvenState {
  const header = vtx.tx.header;
  const target = vtx.dualProof.targetTxHeader;
  if (header.nEntries !== 1 || vtx.tx.entries.length !== 1) {
    fail('a verified write must produce exactly one entry', { nEntries: header.nEntries, entries: vtx.tx.entries.length });
  }
  const targetAlh = txAlh(target);
  if (target.id !== header.id || !txAlh(header).equals(targetAlh)) fail('the returned tx is not the proof target', { txId: header.id, targetTxId: target.id });
  const { eh, digests } = rebuildEh(header, vtx);
  if (!eh.equals(target.eh)) fail('Eh rebuilt from the returned entries differs from the target header', { txId: header.id });
  const index = vtx.tx.entries.findIndex((e) => e.key.equals(expected.key));
  if (index < 0) fail('the written key is not in the returned tx', { txId: header.id });
  if (vtx.tx.entries[index]?.metadata?.deleted === true) fail('the written entry is marked deleted', { txId: header.id });
  const proof = htreeInclusionProof(digests, index);
  if (!verifyEntryInclusion(proof, expectedDigest(header.version, expected), eh)) {
    fail('the written entry is not included in the tx', { txId: header.id });
  }
  const next: ProvenState = { txId: target.id, txHash: targetAlh };
  checkDual(vtx, state, next);
  return next;
}

/** What VerifiedGet expects to find: the entry itself, or for a reference the reference entry. */
export function expectedForGet(requestedKey: Buffer, ve: VerifiableEntry): ExpectedEntry {
  const { entry } = ve;
  const ref = entry.referencedBy;
  if (ref === undefined) return { key: encodeKey(requestedKey), metadata: entry.metadata, value: encodePlainValue(entry.value) };
  return { key: encodeKey(requestedKey), metadata: ref.metadata, value: encodeReferenceValue(entry.key, ref.atTx) };
}

/** VerifiedGet (+ atTx / sinceTx / atRevision): the requested key's entry in tx vTx, vTx linked to the trusted state. */
export function verifyGet(state: ProvenState, requestedKey: Buffer, atTx: number, ve: VerifiableEntry): ProvenState {
  const vtx = ve.verifiableTx;
  const dp = vtx.dualProof;
  const ref = ve.entry.referencedBy;
  const vTx = atTx > 0 ? atTx : (ref?.tx ?? ve.entry.tx);
  let provenHeader: TxHeader;
  let source: ProvenState;
  let target: ProvenState;
  if (state.txId <= vTx) {
    provenHeader = dp.targetTxHeader;
    source = state;
    target = { txId: vTx, txHash: txAlh(dp.targetTxHeader) };
  } else {
    provenHeader = dp.sourceTxHeader;
    source = { txId: vTx, txHash: txAlh(dp.sourceTxHeader) };
    target = state;
  }
  if (provenHeader.id !== vTx) fail('the proof is not about the entry\'s tx', { vTx, headerTxId: provenHeader.id });
  const digest = expectedDigest(vtx.tx.header.version, expectedForGet(requestedKey, ve));
  if (!verifyEntryInclusion(ve.inclusionProof, digest, provenHeader.eh)) fail('the entry is not included in its tx', { vTx });
  checkDual(vtx, source, target);
  return target;
}

/**
 * VerifiedTxByID: tx linked to the trusted state by the dual proof. Stricter than the Go client: the
 * returned header must be the proven one, and returned raw entries must rebuild its Eh.
 */
export function verifyTx(state: ProvenState, txId: number, vtx: VerifiableTx): ProvenState {
  const dp = vtx.dualProof;
  let provenHeader: TxHeader;
  let source: ProvenState;
  let target: ProvenState;
  if (state.txId <= txId) {
    provenHeader = dp.targetTxHeader;
    source = state;
    target = { txId, txHash: txAlh(dp.targetTxHeader) };
  } else {
    provenHeader = dp.sourceTxHeader;
    source = { txId, txHash: txAlh(dp.sourceTxHeader) };
    target = state;
  }
  const header = vtx.tx.header;
  if (provenHeader.id !== txId || header.id !== txId || !txAlh(header).equals(txAlh(provenHeader))) {
    fail('the returned tx is not the proven one', { txId, headerTxId: header.id });
  }
  if (vtx.tx.entries.length > 0) {
    if (vtx.tx.entries.length !== header.nEntries) fail('the returned tx lacks entries', { txId, nEntries: header.nEntries, entries: vtx.tx.entries.length });
    if (!rebuildEh(header, vtx).eh.equals(header.eh)) fail('Eh rebuilt from the returned entries differs from the header', { txId });
  }
  checkDual(vtx, source, target);
  return target;
}

/**
 * verifyState: the server's current state `current` extends the saved state, proven by a
 * VerifiableTxById(current.txId, proveSinceTx: saved.txId) reply. STATE_INCONSISTENT otherwise.
 */
export function verifyConsistency(saved: ProvenState, current: ProvenState, vtx: VerifiableTx): void {
  const code: ErrorCode = 'STATE_INCONSISTENT';
  const details = { savedTxId: saved.txId, currentTxId: current.txId };
  const target = vtx.dualProof.targetTxHeader;
  if (target.id !== current.txId || !txAlh(target).equals(current.txHash)) {
    fail('the proof target is not the server\'s current state', details, code);
  }
  if (saved.txId === 0) return;
  if (!verifyDualProof(vtx.dualProof, saved.txId, current.txId, saved.txHash, current.txHash)) {
    fail('the server\'s current state is not an extension of the saved state', details, code);
  }
}

/** With a server key configured, the state must carry a valid signature by it (core spec 5). */
export function checkStateSignature(
  publicKey: KeyObject | undefined,
  db: string,
  state: ProvenState,
  signature: StateSignature | undefined,
  code: ErrorCode = 'PROOF_FAILED',
): void {
  if (publicKey === undefined) return;
  if (signature === undefined) fail('the server did not sign the state', { db, txId: state.txId }, code);
  if (!verifyStateSignature(publicKey, db, state.txId, state.txHash, signature.signature)) {
    fail('the state signature does not verify with the configured server key', { db, txId: state.txId }, code);
  }
}
