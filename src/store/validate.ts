// Boundary validation of a tx handed to commit(): every rule gives its own error code and runs before
// anything is written. Duplicate keys (DUPLICATED_KEY) are found while the packed tx is hashed
// (tx-hashing.ts), off the main thread, and refused before precommit. Limits come from the store's chunk headers (fixed at creation).
import { ImmuError } from '../common/errors.js';
import { kvMetadataBytesMax } from '../common/limits.js';
import { encodeKvMetadata, encodeTxMetadata, type KvMetadata } from '../proof/metadata.js';
import type { TxHeaderVersion } from '../proof/tx-header.js';
import { maxTxEntriesFor, type StoreLimits } from './store-layout.js';
import type { TxInput } from './types.js';

export function validateTxInput(tx: TxInput, limits: StoreLimits, version: TxHeaderVersion): void {
  if (typeof tx !== 'object' || tx === null || !Array.isArray(tx.entries)) {
    throw new ImmuError('INVALID_ARGUMENT', 'a transaction needs an entries array');
  }
  const n = tx.entries.length;
  if (n === 0) throw new ImmuError('NO_ENTRIES', 'a transaction needs at least one entry');
  const maxEntries = maxTxEntriesFor(limits, version);
  if (n > maxEntries) throw new ImmuError('TOO_MANY_ENTRIES', `${n} entries, max ${maxEntries}`, { entries: n, max: maxEntries });
  const txMd = checkedTxMetadata(tx);
  if (version === 0 && txMd.length > 0) throw new ImmuError('METADATA_INVALID', 'tx header version 0 cannot carry tx metadata');
  for (let i = 0; i < n; i++) {
    const e = tx.entries[i];
    if (typeof e !== 'object' || e === null || !Buffer.isBuffer(e.key) || !Buffer.isBuffer(e.value)) {
      throw new ImmuError('INVALID_ARGUMENT', `entry ${i} needs Buffer key and value`);
    }
    if (e.key.length === 0) throw new ImmuError('KEY_EMPTY', `entry ${i} has an empty key`);
    if (e.key.length > limits.maxKeyLen) {
      throw new ImmuError('KEY_TOO_LARGE', `entry ${i} key is ${e.key.length} bytes, max ${limits.maxKeyLen}`);
    }
    if (e.value.length > limits.maxValueLen) {
      throw new ImmuError('VALUE_TOO_LARGE', `entry ${i} value is ${e.value.length} bytes, max ${limits.maxValueLen}`);
    }
    checkKvMetadata(e.metadata, i, version);
  }
}

const NO_METADATA = Buffer.alloc(0);

function checkedTxMetadata(tx: TxInput): Buffer {
  const md = tx.metadata;
  if (md === undefined) return NO_METADATA;
  if (md.truncatedUptoTx !== undefined && !(Number.isSafeInteger(md.truncatedUptoTx) && md.truncatedUptoTx > 0)) {
    throw new ImmuError('METADATA_INVALID', 'truncatedUptoTx must be a positive tx id');
  }
  if (md.extra !== undefined && !(md.extra instanceof Uint8Array)) throw new ImmuError('METADATA_INVALID', 'extra must be bytes');
  return encodeTxMetadata(md);
}

function checkKvMetadata(md: KvMetadata | undefined, i: number, version: TxHeaderVersion): void {
  if (md === undefined) return;
  if (typeof md !== 'object' || md === null) throw new ImmuError('METADATA_INVALID', `entry ${i} metadata is not an object`);
  if (md.expiresAt !== undefined && !(Number.isSafeInteger(md.expiresAt) && md.expiresAt >= 0)) {
    throw new ImmuError('METADATA_INVALID', `entry ${i} expiresAt must be a non-negative integer (unix seconds)`);
  }
  const bytes = encodeKvMetadata(md);
  if (bytes.length > kvMetadataBytesMax) throw new ImmuError('METADATA_INVALID', `entry ${i} metadata too long`);
  if (version === 0 && bytes.length > 0) {
    throw new ImmuError('METADATA_INVALID', `entry ${i}: tx header version 0 entries cannot carry metadata`);
  }
}
