// DualProof (v1, what every Verified* KV call returns) and DualProofV2 (documents API): proof that a
// source tx and a target tx belong to one history. Generation reads headers and the ahtree through
// ProofHistory; verification is immudb's exactly (core spec 4.3, 4.4) and never throws.
import { ImmuError } from '../common/errors.js';
import { ZERO32 } from '../common/bytes.js';
import {
  ahtConsistencyProof,
  ahtInclusionProof,
  ahtLastInclusionProof,
  verifyAhtConsistency,
  verifyAhtInclusion,
  verifyAhtLastInclusion,
} from './ahtree.js';
import { DIGEST_BYTES, leafHash } from './hash.js';
import {
  buildLinearAdvanceProof,
  buildLinearProof,
  verifyLinearAdvanceProof,
  verifyLinearProof,
  type LinearAdvanceProof,
  type LinearProof,
  type ProofHistory,
} from './linear-proof.js';
import { txAlh, type TxHeader } from './tx-header.js';

export type { LinearAdvanceProof, LinearProof, ProofHistory } from './linear-proof.js';

export interface DualProof {
  readonly sourceTxHeader: TxHeader;
  readonly targetTxHeader: TxHeader;
  /** Source in the tree of size target.blTxId; empty unless source.id < target.blTxId. */
  readonly inclusionProof: Buffer[];
  /** source.blTxId -> target.blTxId; empty when source.blTxId = 0. */
  readonly consistencyProof: Buffer[];
  /** Alh of tx target.blTxId; 32 zero bytes when target.blTxId = 0. */
  readonly targetBlTxAlh: Buffer;
  /** Leaf target.blTxId as the last of its tree; empty when target.blTxId = 0. */
  readonly lastInclusionProof: Buffer[];
  /** From max(source.id, target.blTxId) to target.id. */
  readonly linearProof: LinearProof;
  /** (source.blTxId, min(source.id, target.blTxId), target.blTxId); undefined when nothing to prove. */
  readonly linearAdvanceProof: LinearAdvanceProof | undefined;
}

export interface DualProofV2 {
  readonly sourceTxHeader: TxHeader;
  readonly targetTxHeader: TxHeader;
  readonly inclusionProof: Buffer[];
  readonly consistencyProof: Buffer[];
}

function checkOrder(source: TxHeader, target: TxHeader): void {
  if (source.id > target.id) {
    throw new ImmuError('ILLEGAL_ARGUMENTS', `source tx ${source.id} is newer than target tx ${target.id}`);
  }
  if (source.blTxId > target.blTxId) {
    throw new ImmuError('ILLEGAL_ARGUMENTS', `source tx ${source.id} links more txs than target tx ${target.id}`);
  }
}

/** DualProof v1 of source (older or equal) and target, as immudb's store generates it. */
export async function buildDualProof(h: ProofHistory, source: TxHeader, target: TxHeader): Promise<DualProof> {
  checkOrder(source, target);
  const tBl = target.blTxId;
  const inclusionProof = source.id < tBl ? ahtInclusionProof(h.aht, source.id, tBl) : [];
  const consistencyProof = source.blTxId > 0 ? ahtConsistencyProof(h.aht, source.blTxId, tBl) : [];
  const targetBlTxAlh = tBl > 0 ? txAlh(await h.txHeader(tBl)) : Buffer.from(ZERO32);
  const lastInclusionProof = tBl > 0 ? ahtLastInclusionProof(h.aht, tBl) : [];
  const linearProof = await buildLinearProof(h, Math.max(source.id, tBl), target.id);
  const linearAdvanceProof = await buildLinearAdvanceProof(h, source.blTxId, Math.min(source.id, tBl), tBl);
  return {
    sourceTxHeader: source,
    targetTxHeader: target,
    inclusionProof,
    consistencyProof,
    targetBlTxAlh,
    lastInclusionProof,
    linearProof,
    linearAdvanceProof,
  };
}

/** DualProofV2; both headers must be fully linked (blTxId = id - 1). */
export async function buildDualProofV2(h: ProofHistory, source: TxHeader, target: TxHeader): Promise<DualProofV2> {
  checkOrder(source, target);
  if (source.blTxId !== source.id - 1 || target.blTxId !== target.id - 1) {
    throw new ImmuError('ILLEGAL_ARGUMENTS', 'DualProofV2 needs headers with blTxId = id - 1');
  }
  if (source.id === target.id) return { sourceTxHeader: source, targetTxHeader: target, inclusionProof: [], consistencyProof: [] };
  return {
    sourceTxHeader: source,
    targetTxHeader: target,
    inclusionProof: ahtInclusionProof(h.aht, source.id, target.blTxId),
    consistencyProof: ahtConsistencyProof(h.aht, Math.max(1, source.blTxId), target.blTxId),
  };
}

function isTxId(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

function isDigest(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array && x.length === DIGEST_BYTES;
}

/** Alh of an untrusted header, or undefined when the header is malformed. */
function checkedAlh(h: unknown): Buffer | undefined {
  if (typeof h !== 'object' || h === null) return undefined;
  const t = h as TxHeader;
  if (!isTxId(t.id) || !isTxId(t.blTxId) || !Number.isSafeInteger(t.ts)) return undefined;
  if (!isDigest(t.blRoot) || !isDigest(t.prevAlh) || !isDigest(t.eh)) return undefined;
  if (t.version !== 0 && t.version !== 1) return undefined;
  const md: unknown = t.metadata;
  if (md !== undefined && (typeof md !== 'object' || md === null || Array.isArray(md))) return undefined;
  if (!Number.isSafeInteger(t.nEntries) || t.nEntries < 0 || t.nEntries > (t.version === 0 ? 0xffff : 0xffffffff)) return undefined;
  try {
    return txAlh(t);
  } catch {
    return undefined;
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

/** Steps shared by v1 and v2: headers present, ids match, s != 0, s <= t, both Alh match. */
function headersMatch(p: DualProof | DualProofV2, s: number, t: number, sAlh: Uint8Array, tAlh: Uint8Array): boolean {
  if (typeof p !== 'object' || p === null) return false;
  if (!isTxId(s) || !isTxId(t) || !isDigest(sAlh) || !isDigest(tAlh)) return false;
  const sh = p.sourceTxHeader;
  const th = p.targetTxHeader;
  if (typeof sh !== 'object' || sh === null || typeof th !== 'object' || th === null) return false;
  if (sh.id !== s || th.id !== t || s === 0 || s > t) return false;
  const cs = checkedAlh(sh);
  const ct = checkedAlh(th);
  return cs !== undefined && ct !== undefined && equal(cs, sAlh) && equal(ct, tAlh);
}

/** immudb's DualProof verification (core spec 4.3): source (s, sAlh) and target (t, tAlh) share one history. */
export function verifyDualProof(p: DualProof, sourceId: number, targetId: number, sourceAlh: Uint8Array, targetAlh: Uint8Array): boolean {
  try {
    if (!headersMatch(p, sourceId, targetId, sourceAlh, targetAlh)) return false;
    const S = p.sourceTxHeader;
    const T = p.targetTxHeader;
    if (sourceId < T.blTxId && !verifyAhtInclusion(p.inclusionProof, sourceId, T.blTxId, leafHash(sourceAlh), T.blRoot)) return false;
    if (S.blTxId > 0 && !verifyAhtConsistency(p.consistencyProof, S.blTxId, T.blTxId, S.blRoot, T.blRoot)) return false;
    if (T.blTxId > 0) {
      if (!isDigest(p.targetBlTxAlh)) return false;
      if (!verifyAhtLastInclusion(p.lastInclusionProof, T.blTxId, leafHash(p.targetBlTxAlh), T.blRoot)) return false;
    }
    if (sourceId < T.blTxId) {
      return (
        verifyLinearProof(p.linearProof, T.blTxId, targetId, p.targetBlTxAlh, targetAlh) &&
        verifyLinearAdvanceProof(p.linearAdvanceProof, S.blTxId, sourceId, sourceAlh, T.blRoot, T.blTxId)
      );
    }
    return (
      verifyLinearProof(p.linearProof, sourceId, targetId, sourceAlh, targetAlh) &&
      verifyLinearAdvanceProof(p.linearAdvanceProof, S.blTxId, T.blTxId, p.targetBlTxAlh, T.blRoot, T.blTxId)
    );
  } catch {
    return false;
  }
}

/** immudb's DualProofV2 verification (core spec 4.4). */
export function verifyDualProofV2(p: DualProofV2, sourceId: number, targetId: number, sourceAlh: Uint8Array, targetAlh: Uint8Array): boolean {
  try {
    if (!headersMatch(p, sourceId, targetId, sourceAlh, targetAlh)) return false;
    const S = p.sourceTxHeader;
    const T = p.targetTxHeader;
    if (S.blTxId !== S.id - 1 || T.blTxId !== T.id - 1) return false;
    if (sourceId === targetId) return true;
    if (!verifyAhtInclusion(p.inclusionProof, sourceId, T.blTxId, leafHash(sourceAlh), T.blRoot)) return false;
    if (sourceId === 1) return verifyAhtConsistency(p.consistencyProof, 1, T.blTxId, leafHash(sourceAlh), T.blRoot);
    return verifyAhtConsistency(p.consistencyProof, S.blTxId, T.blTxId, S.blRoot, T.blRoot);
  } catch {
    return false;
  }
}
