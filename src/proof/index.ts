// The public surface of src/proof: pure hashing, proof generation and verification, state signatures.
// Test support (test-vectors.ts) is deliberately not re-exported.
export { DIGEST_BYTES, EMPTY_HASH, leafHash, nodeHash, sha256, sha256Concat, splitPoint } from './hash.js';
export {
  decodeKvMetadata,
  decodeTxMetadata,
  encodeKvMetadata,
  encodeTxMetadata,
  type KvMetadata,
  type TxMetadata,
} from './metadata.js';
export {
  alhFrom,
  decodeTxHeaderExport,
  encodeTxHeaderExport,
  innerHash,
  innerPreimage,
  txAlh,
  TX_HEADER_VERSION_MAX,
  type TxHeader,
  type TxHeaderVersion,
} from './tx-header.js';
export { entryDigestFor, entryDigestV0, entryDigestV1, type EntryDigestFn } from './entry-digest.js';
export { htreeInclusionProof, htreeRoot, verifyEntryInclusion, type InclusionProof } from './htree.js';
export {
  ahtConsistencyProof,
  ahtInclusionProof,
  ahtLastInclusionProof,
  MemoryAhtree,
  verifyAhtConsistency,
  verifyAhtInclusion,
  verifyAhtLastInclusion,
  type MerkleNodeSource,
} from './ahtree.js';
export {
  buildLinearAdvanceProof,
  buildLinearProof,
  verifyLinearAdvanceProof,
  verifyLinearProof,
  type LinearAdvanceProof,
  type LinearProof,
  type ProofHistory,
} from './linear-proof.js';
export {
  buildDualProof,
  buildDualProofV2,
  verifyDualProof,
  verifyDualProofV2,
  type DualProof,
  type DualProofV2,
} from './dual-proof.js';
export { MemoryProofHistory } from './memory-history.js';
export {
  loadPublicKey,
  loadSigningKey,
  publicKeyFromPoint,
  publicKeyPoint,
  signState,
  stateSigningPayload,
  verifyStateSignature,
} from './state-signature.js';
