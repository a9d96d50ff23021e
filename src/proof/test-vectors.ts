// TEST SUPPORT ONLY (never imported by production code): loads the golden vectors that sit beside the
// checkout (shared/vectors, shared/immudb-testdata-vectors) and converts their hex JSON into our types.
// The vector files are read in place, never copied into the repo.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromHex } from '../common/bytes.js';
import type { DualProof, DualProofV2 } from './dual-proof.js';
import type { InclusionProof } from './htree.js';
import type { LinearAdvanceProof, LinearProof } from './linear-proof.js';
import { decodeTxMetadata } from './metadata.js';
import type { TxHeader, TxHeaderVersion } from './tx-header.js';

/** Finds the `shared` directory: $IMMUDB_SHARED_DIR, else the nearest ancestor holding shared/vectors. */
function sharedDir(): string {
  const fromEnv = process.env['IMMUDB_SHARED_DIR'];
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'shared');
    if (existsSync(join(candidate, 'vectors', 'manifest.json'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('shared/vectors not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** A file of shared/vectors, e.g. loadVector<AhtreeVectors>('ahtree.json'). */
export function loadVector<T>(name: string): T {
  return readJson<T>(join(sharedDir(), 'vectors', name));
}

/** A file of shared/immudb-testdata-vectors. */
export function loadTestdataVector<T>(name: string): T {
  return readJson<T>(join(sharedDir(), 'immudb-testdata-vectors', name));
}

export const hexBuf = fromHex;
export const hexList = (xs: readonly string[]): Buffer[] => xs.map((x) => fromHex(x));

// ---- vector shapes (only the fields the tests use are typed) ----

export interface HeaderVector {
  readonly name?: string;
  readonly id: number;
  readonly ts: number;
  readonly blTxId: number;
  readonly blRoot: string;
  readonly prevAlh: string;
  readonly version: number;
  readonly nentries: number;
  readonly eH: string;
  readonly txMetadata?: string;
  readonly alh: string;
  readonly headerBytes_export: string;
  readonly innerPreimage: string;
  readonly innerHash: string;
}

export interface InclusionProofVector {
  readonly leaf: number;
  readonly width: number;
  readonly terms: readonly string[];
}

export interface EntryVector {
  readonly index: number;
  readonly key: string;
  readonly md: string;
  readonly vLen: number;
  readonly value: string;
  readonly hValue: string;
  readonly digest: string;
  readonly inclusionProof: InclusionProofVector;
  readonly inclusionVerifies: boolean;
}

export interface TxVector extends HeaderVector {
  readonly entries: readonly EntryVector[];
  readonly exportTx: string;
}

export interface LinearProofVector {
  readonly sourceTxId: number;
  readonly targetTxId: number;
  readonly terms: readonly string[];
}

export interface LinearAdvanceProofVector {
  readonly linearProofTerms: readonly string[];
  readonly inclusionProofs: readonly (readonly string[])[];
}

export interface DualProofVector {
  readonly sourceTxId: number;
  readonly targetTxId: number;
  readonly sourceAlh: string;
  readonly targetAlh: string;
  readonly sourceTxHeader: HeaderVector;
  readonly targetTxHeader: HeaderVector;
  readonly inclusionProof: readonly string[];
  readonly consistencyProof: readonly string[];
  readonly targetBlTxAlh: string;
  readonly lastInclusionProof: readonly string[];
  readonly linearProof: LinearProofVector;
  readonly linearAdvanceProof: LinearAdvanceProofVector | null;
  readonly verifies: boolean;
  readonly verifiesWithTamperedTargetAlh: boolean;
}

export interface DualProofV2Vector {
  readonly sourceTxId: number;
  readonly targetTxId: number;
  readonly sourceAlh: string;
  readonly targetAlh: string;
  readonly sourceTxHeader: HeaderVector;
  readonly targetTxHeader: HeaderVector;
  readonly inclusionProof: readonly string[];
  readonly consistencyProof: readonly string[];
  readonly verifies: boolean;
}

/** store_txs_and_dualproofs.json and the two repo_data_*.json files share this shape. */
export interface StoreVectors {
  readonly committedState: { readonly txId: number; readonly alh: string };
  readonly txs: readonly TxVector[];
  readonly dualProofs: readonly DualProofVector[];
  readonly dualProofsV2?: readonly DualProofV2Vector[];
  readonly linearProof_3_7?: LinearProofVector & { readonly verifies: boolean };
}

// ---- conversions ----

export function headerFromVector(v: HeaderVector): TxHeader {
  if (v.version !== 0 && v.version !== 1) throw new Error(`vector header version ${v.version}`);
  return {
    id: v.id,
    ts: v.ts,
    blTxId: v.blTxId,
    blRoot: fromHex(v.blRoot),
    prevAlh: fromHex(v.prevAlh),
    version: v.version as TxHeaderVersion,
    metadata: decodeTxMetadata(fromHex(v.txMetadata ?? '')),
    nEntries: v.nentries,
    eh: fromHex(v.eH),
  };
}

export function inclusionProofFromVector(v: InclusionProofVector): InclusionProof {
  return { leaf: v.leaf, width: v.width, terms: hexList(v.terms) };
}

export function linearProofFromVector(v: LinearProofVector): LinearProof {
  return { sourceTxId: v.sourceTxId, targetTxId: v.targetTxId, terms: hexList(v.terms) };
}

export function linearAdvanceProofFromVector(v: LinearAdvanceProofVector | null): LinearAdvanceProof | undefined {
  if (v === null) return undefined;
  return { linearProofTerms: hexList(v.linearProofTerms), inclusionProofs: v.inclusionProofs.map(hexList) };
}

export function dualProofFromVector(v: DualProofVector): DualProof {
  return {
    sourceTxHeader: headerFromVector(v.sourceTxHeader),
    targetTxHeader: headerFromVector(v.targetTxHeader),
    inclusionProof: hexList(v.inclusionProof),
    consistencyProof: hexList(v.consistencyProof),
    targetBlTxAlh: fromHex(v.targetBlTxAlh),
    lastInclusionProof: hexList(v.lastInclusionProof),
    linearProof: linearProofFromVector(v.linearProof),
    linearAdvanceProof: linearAdvanceProofFromVector(v.linearAdvanceProof),
  };
}

export function dualProofV2FromVector(v: DualProofV2Vector): DualProofV2 {
  return {
    sourceTxHeader: headerFromVector(v.sourceTxHeader),
    targetTxHeader: headerFromVector(v.targetTxHeader),
    inclusionProof: hexList(v.inclusionProof),
    consistencyProof: hexList(v.consistencyProof),
  };
}
