// Proto <-> TypeScript for transactions and what proves them: TxHeader (with TxMetadata), TxEntry, Tx,
// InclusionProof, LinearProof, LinearAdvanceProof, DualProof, Signature, VerifiableTx, VerifiableEntry,
// ImmutableState. The shapes are immudb's (core spec 4.8); three wire rules matter to clients:
//   - TxHeader.metadata is always sent, possibly empty, as immudb does (an empty one hashes like none);
//   - TxEntry.metadata (field 4) is never sent for header-version-0 txs: immudb-node 1.1.1 declares
//     field 4 as an int32 and fails to decode the whole reply otherwise (sdk spec 4.1);
//   - DualProof.linearAdvanceProof is always sent, empty when there is nothing to prove, so the Go
//     client never has to rebuild it with extra calls (core spec 4.3).
// `*FromProto` validates untrusted input (tests, the future client); it never trusts lengths or ids.
import { assert } from '../../common/assert.js';
import { ImmuError } from '../../common/errors.js';
import type { DatabaseState, Tx, TxEntry, VerifiableEntry, VerifiableTx } from '../../database/types.js';
import type { DualProof, LinearAdvanceProof, LinearProof } from '../../proof/dual-proof.js';
import type { InclusionProof } from '../../proof/htree.js';
import type { TxMetadata } from '../../proof/metadata.js';
import type { TxHeader, TxHeaderVersion } from '../../proof/tx-header.js';
import type { StateSignature } from '../../server/node-api.js';
import { toBuffer, toInt64, toTxId } from '../convert.js';
import type {
  DualProofInit,
  DualProofMsg,
  ImmutableStateInit,
  ImmutableStateMsg,
  InclusionProofInit,
  InclusionProofMsg,
  LinearAdvanceProofInit,
  LinearAdvanceProofMsg,
  LinearProofInit,
  LinearProofMsg,
  SignatureInit,
  SignatureMsg,
  TxEntryInit,
  TxEntryMsg,
  TxHeaderInit,
  TxHeaderMsg,
  TxInit,
  TxMetadataInit,
  TxMetadataMsg,
  TxMsg,
  VerifiableEntryInit,
  VerifiableEntryMsg,
  VerifiableTxInit,
  VerifiableTxMsg,
} from '../proto-types.js';
import { entryFromProto, entryToProto, kvMetadataFromProto, kvMetadataToProto, zEntryFromProto, zEntryToProto } from './convert-entries.js';

function invalid(field: string, why: string): ImmuError {
  return new ImmuError('INVALID_ARGUMENT', `${field}: ${why}`, { field });
}

function required<T>(msg: T | null | undefined, field: string): T {
  if (msg === null || msg === undefined) throw invalid(field, 'is missing');
  return msg;
}

/** An int32 wire field that holds a count or index. */
function nonNegativeInt32(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 0) throw invalid(field, 'must be a non-negative integer');
  return value;
}

function buffers(list: readonly Uint8Array[] | undefined, field: string): Buffer[] {
  return (list ?? []).map((b, i) => toBuffer(b, `${field}[${i}]`));
}

// ---- TxMetadata / TxHeader ------------------------------------------------------------------------

/** Always an object (never null): immudb sends a non-nil, possibly empty, TxMetadata. */
export function txMetadataToProto(md: TxMetadata | undefined): TxMetadataInit {
  // immudb encodes truncatedTxID only when > 0; a defined 0 would hash differently on each side.
  assert(md?.truncatedUptoTx !== 0, 'tx metadata truncatedUptoTx is 0 (immudb treats 0 as absent)');
  return {
    ...(md?.truncatedUptoTx !== undefined ? { truncatedTxID: md.truncatedUptoTx } : {}),
    ...(md?.extra !== undefined && md.extra.length > 0 ? { extra: md.extra } : {}),
  };
}

/** An absent or empty TxMetadata is none (both hash alike). */
export function txMetadataFromProto(msg: TxMetadataMsg | null | undefined, field = 'metadata'): TxMetadata | undefined {
  if (msg === null || msg === undefined) return undefined;
  const truncatedUptoTx = toTxId(msg.truncatedTxID, `${field}.truncatedTxID`);
  const extra = toBuffer(msg.extra, `${field}.extra`);
  if (truncatedUptoTx === 0 && extra.length === 0) return undefined;
  return { ...(truncatedUptoTx > 0 ? { truncatedUptoTx } : {}), ...(extra.length > 0 ? { extra } : {}) };
}

export function txHeaderToProto(h: TxHeader): TxHeaderInit {
  return {
    id: h.id,
    prevAlh: h.prevAlh,
    ts: h.ts,
    nentries: h.nEntries,
    eH: h.eh,
    blTxId: h.blTxId,
    blRoot: h.blRoot,
    version: h.version,
    metadata: txMetadataToProto(h.metadata),
  };
}

function headerVersion(v: number, field: string): TxHeaderVersion {
  if (v !== 0 && v !== 1) throw invalid(field, `unknown tx header version ${v}`);
  return v;
}

export function txHeaderFromProto(msg: TxHeaderMsg | null | undefined, field = 'header'): TxHeader {
  const m = required(msg, field);
  return {
    id: toTxId(m.id, `${field}.id`),
    prevAlh: toBuffer(m.prevAlh, `${field}.prevAlh`),
    ts: toInt64(m.ts, `${field}.ts`),
    nEntries: nonNegativeInt32(m.nentries, `${field}.nentries`),
    eh: toBuffer(m.eH, `${field}.eH`),
    blTxId: toTxId(m.blTxId, `${field}.blTxId`),
    blRoot: toBuffer(m.blRoot, `${field}.blRoot`),
    version: headerVersion(m.version, `${field}.version`),
    metadata: txMetadataFromProto(m.metadata, `${field}.metadata`),
  };
}

// ---- TxEntry / Tx ---------------------------------------------------------------------------------

/** Entry metadata is sent only in version-1 txs (field 4 breaks immudb-node 1.1.1, which only reads v0). */
export function txEntryToProto(e: TxEntry, version: TxHeaderVersion): TxEntryInit {
  const metadata = version === 0 ? undefined : kvMetadataToProto(e.metadata);
  return {
    key: e.key,
    hValue: e.hValue,
    vLen: e.vLen,
    ...(metadata !== undefined ? { metadata } : {}),
    ...(e.value !== undefined ? { value: e.value } : {}),
  };
}

export function txEntryFromProto(msg: TxEntryMsg, field = 'entry'): TxEntry {
  const value = toBuffer(msg.value, `${field}.value`);
  return {
    key: toBuffer(msg.key, `${field}.key`),
    hValue: toBuffer(msg.hValue, `${field}.hValue`),
    vLen: nonNegativeInt32(msg.vLen, `${field}.vLen`),
    metadata: kvMetadataFromProto(msg.metadata, `${field}.metadata`),
    // proto3 cannot tell an empty value from none; only non-empty values are reported as present
    ...(value.length > 0 ? { value } : {}),
  };
}

export function txToProto(tx: Tx): TxInit {
  const version = tx.header.version;
  return {
    header: txHeaderToProto(tx.header),
    entries: tx.entries.map((e) => txEntryToProto(e, version)),
    kvEntries: tx.kvEntries.map(entryToProto),
    zEntries: tx.zEntries.map(zEntryToProto),
  };
}

export function txFromProto(msg: TxMsg | null | undefined, field = 'tx'): Tx {
  const m = required(msg, field);
  return {
    header: txHeaderFromProto(m.header, `${field}.header`),
    entries: m.entries.map((e, i) => txEntryFromProto(e, `${field}.entries[${i}]`)),
    kvEntries: m.kvEntries.map((e, i) => entryFromProto(e, `${field}.kvEntries[${i}]`)),
    zEntries: m.zEntries.map((z, i) => zEntryFromProto(z, `${field}.zEntries[${i}]`)),
  };
}

// ---- proofs ---------------------------------------------------------------------------------------

export function inclusionProofToProto(p: InclusionProof): InclusionProofInit {
  return { leaf: p.leaf, width: p.width, terms: p.terms };
}

export function inclusionProofFromProto(msg: InclusionProofMsg | null | undefined, field = 'inclusionProof'): InclusionProof {
  const m = required(msg, field);
  return {
    leaf: nonNegativeInt32(m.leaf, `${field}.leaf`),
    width: nonNegativeInt32(m.width, `${field}.width`),
    terms: buffers(m.terms, `${field}.terms`),
  };
}

export function linearProofToProto(p: LinearProof): LinearProofInit {
  return { sourceTxId: p.sourceTxId, TargetTxId: p.targetTxId, terms: p.terms };
}

export function linearProofFromProto(msg: LinearProofMsg | null | undefined, field = 'linearProof'): LinearProof {
  const m = required(msg, field);
  return {
    sourceTxId: toTxId(m.sourceTxId, `${field}.sourceTxId`),
    targetTxId: toTxId(m.TargetTxId, `${field}.TargetTxId`),
    terms: buffers(m.terms, `${field}.terms`),
  };
}

/** immudb uses only `terms` of each InclusionProof inside a LinearAdvanceProof. */
export function linearAdvanceProofToProto(p: LinearAdvanceProof | undefined): LinearAdvanceProofInit {
  if (p === undefined) return {};
  return { linearProofTerms: p.linearProofTerms, inclusionProofs: p.inclusionProofs.map((terms) => ({ terms })) };
}

/** An absent or empty LinearAdvanceProof is "nothing to prove" (undefined). */
export function linearAdvanceProofFromProto(msg: LinearAdvanceProofMsg | null | undefined, field = 'linearAdvanceProof'): LinearAdvanceProof | undefined {
  if (msg === null || msg === undefined) return undefined;
  if (msg.linearProofTerms.length === 0 && msg.inclusionProofs.length === 0) return undefined;
  return {
    linearProofTerms: buffers(msg.linearProofTerms, `${field}.linearProofTerms`),
    inclusionProofs: msg.inclusionProofs.map((p, i) => buffers(p.terms, `${field}.inclusionProofs[${i}].terms`)),
  };
}

export function dualProofToProto(p: DualProof): DualProofInit {
  return {
    sourceTxHeader: txHeaderToProto(p.sourceTxHeader),
    targetTxHeader: txHeaderToProto(p.targetTxHeader),
    inclusionProof: p.inclusionProof,
    consistencyProof: p.consistencyProof,
    targetBlTxAlh: p.targetBlTxAlh,
    lastInclusionProof: p.lastInclusionProof,
    linearProof: linearProofToProto(p.linearProof),
    linearAdvanceProof: linearAdvanceProofToProto(p.linearAdvanceProof),
  };
}

export function dualProofFromProto(msg: DualProofMsg | null | undefined, field = 'dualProof'): DualProof {
  const m = required(msg, field);
  return {
    sourceTxHeader: txHeaderFromProto(m.sourceTxHeader, `${field}.sourceTxHeader`),
    targetTxHeader: txHeaderFromProto(m.targetTxHeader, `${field}.targetTxHeader`),
    inclusionProof: buffers(m.inclusionProof, `${field}.inclusionProof`),
    consistencyProof: buffers(m.consistencyProof, `${field}.consistencyProof`),
    targetBlTxAlh: toBuffer(m.targetBlTxAlh, `${field}.targetBlTxAlh`),
    lastInclusionProof: buffers(m.lastInclusionProof, `${field}.lastInclusionProof`),
    linearProof: linearProofFromProto(m.linearProof, `${field}.linearProof`),
    linearAdvanceProof: linearAdvanceProofFromProto(m.linearAdvanceProof, `${field}.linearAdvanceProof`),
  };
}

// ---- signed and verifiable replies ----------------------------------------------------------------

export function signatureToProto(s: StateSignature | undefined): SignatureInit | undefined {
  return s === undefined ? undefined : { publicKey: s.publicKey, signature: s.signature };
}

export function signatureFromProto(msg: SignatureMsg | null | undefined, field = 'signature'): StateSignature | undefined {
  if (msg === null || msg === undefined) return undefined;
  return { publicKey: toBuffer(msg.publicKey, `${field}.publicKey`), signature: toBuffer(msg.signature, `${field}.signature`) };
}

export function verifiableTxToProto(v: VerifiableTx, signature: StateSignature | undefined): VerifiableTxInit {
  const sig = signatureToProto(signature);
  return { tx: txToProto(v.tx), dualProof: dualProofToProto(v.dualProof), ...(sig !== undefined ? { signature: sig } : {}) };
}

export interface SignedVerifiableTx {
  readonly verifiableTx: VerifiableTx;
  readonly signature: StateSignature | undefined;
}

export function verifiableTxFromProto(msg: VerifiableTxMsg | null | undefined, field = 'verifiableTx'): SignedVerifiableTx {
  const m = required(msg, field);
  return {
    verifiableTx: { tx: txFromProto(m.tx, `${field}.tx`), dualProof: dualProofFromProto(m.dualProof, `${field}.dualProof`) },
    signature: signatureFromProto(m.signature, `${field}.signature`),
  };
}

export function verifiableEntryToProto(v: VerifiableEntry, signature: StateSignature | undefined): VerifiableEntryInit {
  return {
    entry: entryToProto(v.entry),
    verifiableTx: verifiableTxToProto(v.verifiableTx, signature),
    inclusionProof: inclusionProofToProto(v.inclusionProof),
  };
}

export interface SignedVerifiableEntry {
  readonly verifiableEntry: VerifiableEntry;
  readonly signature: StateSignature | undefined;
}

export function verifiableEntryFromProto(msg: VerifiableEntryMsg | null | undefined, field = 'verifiableEntry'): SignedVerifiableEntry {
  const m = required(msg, field);
  const vtx = verifiableTxFromProto(m.verifiableTx, `${field}.verifiableTx`);
  return {
    verifiableEntry: {
      entry: entryFromProto(required(m.entry, `${field}.entry`), `${field}.entry`),
      verifiableTx: vtx.verifiableTx,
      inclusionProof: inclusionProofFromProto(m.inclusionProof, `${field}.inclusionProof`),
    },
    signature: vtx.signature,
  };
}

/** CurrentState: the committed state (signed), plus the precommitted one (informational, not signed). */
export function immutableStateToProto(s: DatabaseState, signature: StateSignature | undefined): ImmutableStateInit {
  const sig = signatureToProto(signature);
  return {
    db: s.db,
    txId: s.txId,
    txHash: s.txHash,
    ...(sig !== undefined ? { signature: sig } : {}),
    precommittedTxId: s.precommittedTxId,
    precommittedTxHash: s.precommittedTxHash,
  };
}

export interface SignedState {
  readonly state: DatabaseState;
  readonly signature: StateSignature | undefined;
}

export function immutableStateFromProto(msg: ImmutableStateMsg | null | undefined, field = 'state'): SignedState {
  const m = required(msg, field);
  return {
    state: {
      db: m.db,
      txId: toTxId(m.txId, `${field}.txId`),
      txHash: toBuffer(m.txHash, `${field}.txHash`),
      precommittedTxId: toTxId(m.precommittedTxId, `${field}.precommittedTxId`),
      precommittedTxHash: toBuffer(m.precommittedTxHash, `${field}.precommittedTxHash`),
    },
    signature: signatureFromProto(m.signature, `${field}.signature`),
  };
}
