// Decoded proto replies -> the client's plain types (types.ts) and src/proof's proof types. Replies are
// untrusted input: every 64-bit number goes through src/api/convert.ts (INVALID_ARGUMENT naming the
// field when it is not a safe integer), digests must be 32 bytes, header versions known. Verified calls
// turn any failure here into PROOF_FAILED; this file does not decide that.
import { ImmuError } from '../common/errors.js';
import { toBuffer, toInt64, toTxId, toUint } from '../api/convert.js';
import type * as P from '../api/proto-types.js';
import type { DualProof, InclusionProof, KvMetadata, LinearAdvanceProof, LinearProof, TxHeader, TxMetadata } from '../proof/index.js';
import type { Entry, ImmuState, Reference, StateSignature, Tx, TxEntry, ZEntry } from './types.js';

const DIGEST_BYTES = 32;

function invalid(field: string, why: string): ImmuError {
  return new ImmuError('INVALID_ARGUMENT', `${field}: ${why}`, { field });
}

function required<T>(msg: T | null | undefined, field: string): T {
  if (msg === null || msg === undefined) throw invalid(field, 'is missing');
  return msg;
}

function digest(value: unknown, field: string): Buffer {
  const b = toBuffer(value, field);
  if (b.length !== DIGEST_BYTES) throw invalid(field, `expected ${DIGEST_BYTES} bytes, got ${b.length}`);
  return b;
}

function digests(list: readonly Uint8Array[] | undefined, field: string): Buffer[] {
  return (list ?? []).map((b, i) => digest(b, `${field}[${i}]`));
}

function int32(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 0) throw invalid(field, 'must be a non-negative integer');
  return value;
}

export function kvMetadataFromMsg(msg: P.KVMetadataMsg | null | undefined, field: string): KvMetadata | undefined {
  if (msg === null || msg === undefined) return undefined;
  const expiresAt = msg.expiration === null || msg.expiration === undefined ? undefined : toInt64(msg.expiration.expiresAt, `${field}.expiration.expiresAt`);
  if (msg.deleted !== true && expiresAt === undefined && msg.nonIndexable !== true) return undefined;
  return {
    ...(msg.deleted === true ? { deleted: true } : {}),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    ...(msg.nonIndexable === true ? { nonIndexable: true } : {}),
  };
}

export function referenceFromMsg(msg: P.ReferenceMsg, field: string): Reference {
  return {
    tx: toTxId(msg.tx, `${field}.tx`),
    key: toBuffer(msg.key, `${field}.key`),
    atTx: toTxId(msg.atTx, `${field}.atTx`),
    metadata: kvMetadataFromMsg(msg.metadata, `${field}.metadata`),
    revision: toUint(msg.revision, `${field}.revision`),
  };
}

export function entryFromMsg(msg: P.EntryMsg, field = 'entry'): Entry {
  return {
    tx: toTxId(msg.tx, `${field}.tx`),
    key: toBuffer(msg.key, `${field}.key`),
    value: toBuffer(msg.value, `${field}.value`),
    referencedBy: msg.referencedBy === null || msg.referencedBy === undefined ? undefined : referenceFromMsg(msg.referencedBy, `${field}.referencedBy`),
    metadata: kvMetadataFromMsg(msg.metadata, `${field}.metadata`),
    expired: msg.expired === true,
    revision: toUint(msg.revision, `${field}.revision`),
  };
}

export function zEntryFromMsg(msg: P.ZEntryMsg, field = 'zEntry'): ZEntry {
  return {
    set: toBuffer(msg.set, `${field}.set`),
    key: toBuffer(msg.key, `${field}.key`),
    entry: msg.entry === null || msg.entry === undefined ? undefined : entryFromMsg(msg.entry, `${field}.entry`),
    score: msg.score,
    atTx: toTxId(msg.atTx, `${field}.atTx`),
  };
}

function txMetadataFromMsg(msg: P.TxMetadataMsg | null | undefined, field: string): TxMetadata | undefined {
  if (msg === null || msg === undefined) return undefined;
  const truncatedUptoTx = toTxId(msg.truncatedTxID, `${field}.truncatedTxID`);
  const extra = toBuffer(msg.extra, `${field}.extra`);
  if (truncatedUptoTx === 0 && extra.length === 0) return undefined;
  return { ...(truncatedUptoTx > 0 ? { truncatedUptoTx } : {}), ...(extra.length > 0 ? { extra } : {}) };
}

export function txHeaderFromMsg(msg: P.TxHeaderMsg | null | undefined, field = 'header'): TxHeader {
  const m = required(msg, field);
  if (m.version !== 0 && m.version !== 1) throw invalid(`${field}.version`, `unknown tx header version ${m.version}`);
  return {
    id: toTxId(m.id, `${field}.id`),
    prevAlh: digest(m.prevAlh, `${field}.prevAlh`),
    ts: toInt64(m.ts, `${field}.ts`),
    nEntries: int32(m.nentries, `${field}.nentries`),
    eh: digest(m.eH, `${field}.eH`),
    blTxId: toTxId(m.blTxId, `${field}.blTxId`),
    blRoot: digest(m.blRoot, `${field}.blRoot`),
    version: m.version,
    metadata: txMetadataFromMsg(m.metadata, `${field}.metadata`),
  };
}

export function txEntryFromMsg(msg: P.TxEntryMsg, field: string): TxEntry {
  const value = toBuffer(msg.value, `${field}.value`);
  return {
    key: toBuffer(msg.key, `${field}.key`),
    hValue: digest(msg.hValue, `${field}.hValue`),
    vLen: int32(msg.vLen, `${field}.vLen`),
    metadata: kvMetadataFromMsg(msg.metadata, `${field}.metadata`),
    value: value.length > 0 ? value : undefined,
  };
}

export function txFromMsg(msg: P.TxMsg | null | undefined, field = 'tx'): Tx {
  const m = required(msg, field);
  return {
    header: txHeaderFromMsg(m.header, `${field}.header`),
    entries: m.entries.map((e, i) => txEntryFromMsg(e, `${field}.entries[${i}]`)),
    kvEntries: m.kvEntries.map((e, i) => entryFromMsg(e, `${field}.kvEntries[${i}]`)),
    zEntries: m.zEntries.map((z, i) => zEntryFromMsg(z, `${field}.zEntries[${i}]`)),
  };
}

export function inclusionProofFromMsg(msg: P.InclusionProofMsg | null | undefined, field = 'inclusionProof'): InclusionProof {
  const m = required(msg, field);
  return { leaf: int32(m.leaf, `${field}.leaf`), width: int32(m.width, `${field}.width`), terms: digests(m.terms, `${field}.terms`) };
}

function linearProofFromMsg(msg: P.LinearProofMsg | null | undefined, field: string): LinearProof {
  const m = required(msg, field);
  return {
    sourceTxId: toTxId(m.sourceTxId, `${field}.sourceTxId`),
    targetTxId: toTxId(m.TargetTxId, `${field}.TargetTxId`),
    terms: digests(m.terms, `${field}.terms`),
  };
}

/** An absent or empty LinearAdvanceProof means "nothing to prove". */
function linearAdvanceProofFromMsg(msg: P.LinearAdvanceProofMsg | null | undefined, field: string): LinearAdvanceProof | undefined {
  if (msg === null || msg === undefined) return undefined;
  if (msg.linearProofTerms.length === 0 && msg.inclusionProofs.length === 0) return undefined;
  return {
    linearProofTerms: digests(msg.linearProofTerms, `${field}.linearProofTerms`),
    inclusionProofs: msg.inclusionProofs.map((p, i) => digests(p.terms, `${field}.inclusionProofs[${i}].terms`)),
  };
}

export function dualProofFromMsg(msg: P.DualProofMsg | null | undefined, field = 'dualProof'): DualProof {
  const m = required(msg, field);
  return {
    sourceTxHeader: txHeaderFromMsg(m.sourceTxHeader, `${field}.sourceTxHeader`),
    targetTxHeader: txHeaderFromMsg(m.targetTxHeader, `${field}.targetTxHeader`),
    inclusionProof: digests(m.inclusionProof, `${field}.inclusionProof`),
    consistencyProof: digests(m.consistencyProof, `${field}.consistencyProof`),
    targetBlTxAlh: digest(m.targetBlTxAlh, `${field}.targetBlTxAlh`),
    lastInclusionProof: digests(m.lastInclusionProof, `${field}.lastInclusionProof`),
    linearProof: linearProofFromMsg(m.linearProof, `${field}.linearProof`),
    linearAdvanceProof: linearAdvanceProofFromMsg(m.linearAdvanceProof, `${field}.linearAdvanceProof`),
  };
}

export function signatureFromMsg(msg: P.SignatureMsg | null | undefined, field = 'signature'): StateSignature | undefined {
  if (msg === null || msg === undefined) return undefined;
  const signature = toBuffer(msg.signature, `${field}.signature`);
  if (signature.length === 0) return undefined;
  return { publicKey: toBuffer(msg.publicKey, `${field}.publicKey`), signature };
}

/** A verifiable tx as the proofs need it. */
export interface VerifiableTx {
  readonly tx: Tx;
  readonly dualProof: DualProof;
  readonly signature: StateSignature | undefined;
}

export function verifiableTxFromMsg(msg: P.VerifiableTxMsg | null | undefined, field = 'verifiableTx'): VerifiableTx {
  const m = required(msg, field);
  return {
    tx: txFromMsg(m.tx, `${field}.tx`),
    dualProof: dualProofFromMsg(m.dualProof, `${field}.dualProof`),
    signature: signatureFromMsg(m.signature, `${field}.signature`),
  };
}

export interface VerifiableEntry {
  readonly entry: Entry;
  readonly verifiableTx: VerifiableTx;
  readonly inclusionProof: InclusionProof;
}

export function verifiableEntryFromMsg(msg: P.VerifiableEntryMsg | null | undefined, field = 'verifiableEntry'): VerifiableEntry {
  const m = required(msg, field);
  return {
    entry: entryFromMsg(required(m.entry, `${field}.entry`), `${field}.entry`),
    verifiableTx: verifiableTxFromMsg(m.verifiableTx, `${field}.verifiableTx`),
    inclusionProof: inclusionProofFromMsg(m.inclusionProof, `${field}.inclusionProof`),
  };
}

/** An empty database (txId 0) may report no hash; it then gets 32 zero bytes (never used in a proof). */
export function immutableStateFromMsg(msg: P.ImmutableStateMsg, field = 'state'): ImmuState {
  const txId = toTxId(msg.txId, `${field}.txId`);
  const rawHash = toBuffer(msg.txHash, `${field}.txHash`);
  return {
    db: msg.db,
    txId,
    txHash: txId === 0 && rawHash.length !== DIGEST_BYTES ? Buffer.alloc(DIGEST_BYTES) : digest(rawHash, `${field}.txHash`),
    signature: signatureFromMsg(msg.signature, `${field}.signature`),
    precommittedTxId: toTxId(msg.precommittedTxId, `${field}.precommittedTxId`),
    precommittedTxHash: toBuffer(msg.precommittedTxHash, `${field}.precommittedTxHash`),
  };
}
