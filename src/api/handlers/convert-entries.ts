// Proto <-> TypeScript for the read results of the KV API: KVMetadata (with Expiration), Reference, Entry
// and ZEntry. Keys and values here are user bytes without immudb's prefixes (database/types.ts). Both
// directions: `*ToProto` builds what the server sends, `*FromProto` validates what a peer sent (our
// tests, and later the TypeScript client). Every 64-bit number goes through ../convert.ts.
// Absent optional messages are left out of the reply (protobufjs skips null/undefined fields).
import type { Entry, Reference, ZEntry } from '../../database/types.js';
import type { KvMetadata } from '../../proof/metadata.js';
import { toBuffer, toInt64, toTxId, toUint } from '../convert.js';
import type {
  EntryInit,
  EntryMsg,
  KVMetadataInit,
  KVMetadataMsg,
  ReferenceInit,
  ReferenceMsg,
  ZEntryInit,
  ZEntryMsg,
} from '../proto-types.js';

/** undefined stays absent on the wire (immudb sends a nil KVMetadata for entries without metadata). */
export function kvMetadataToProto(md: KvMetadata | undefined): KVMetadataInit | undefined {
  if (md === undefined) return undefined;
  return {
    ...(md.deleted === true ? { deleted: true } : {}),
    ...(md.expiresAt !== undefined ? { expiration: { expiresAt: md.expiresAt } } : {}),
    ...(md.nonIndexable === true ? { nonIndexable: true } : {}),
  };
}

/** An absent or empty KVMetadata is no metadata (an empty one encodes to zero bytes either way). */
export function kvMetadataFromProto(msg: KVMetadataMsg | null | undefined, field = 'metadata'): KvMetadata | undefined {
  if (msg === null || msg === undefined) return undefined;
  const expiresAt = msg.expiration === null || msg.expiration === undefined ? undefined : toInt64(msg.expiration.expiresAt, `${field}.expiration.expiresAt`);
  if (msg.deleted !== true && expiresAt === undefined && msg.nonIndexable !== true) return undefined;
  return {
    ...(msg.deleted === true ? { deleted: true } : {}),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    ...(msg.nonIndexable === true ? { nonIndexable: true } : {}),
  };
}

export function referenceToProto(r: Reference): ReferenceInit {
  const metadata = kvMetadataToProto(r.metadata);
  return { tx: r.tx, key: r.key, atTx: r.atTx, revision: r.revision, ...(metadata !== undefined ? { metadata } : {}) };
}

export function referenceFromProto(msg: ReferenceMsg, field = 'referencedBy'): Reference {
  return {
    tx: toTxId(msg.tx, `${field}.tx`),
    key: toBuffer(msg.key, `${field}.key`),
    atTx: toTxId(msg.atTx, `${field}.atTx`),
    metadata: kvMetadataFromProto(msg.metadata, `${field}.metadata`),
    revision: toUint(msg.revision, `${field}.revision`),
  };
}

export function entryToProto(e: Entry): EntryInit {
  const metadata = kvMetadataToProto(e.metadata);
  return {
    tx: e.tx,
    key: e.key,
    value: e.value,
    ...(e.referencedBy !== undefined ? { referencedBy: referenceToProto(e.referencedBy) } : {}),
    ...(metadata !== undefined ? { metadata } : {}),
    expired: e.expired,
    revision: e.revision,
  };
}

export function entryFromProto(msg: EntryMsg, field = 'entry'): Entry {
  const referencedBy = msg.referencedBy === null || msg.referencedBy === undefined ? undefined : referenceFromProto(msg.referencedBy, `${field}.referencedBy`);
  return {
    tx: toTxId(msg.tx, `${field}.tx`),
    key: toBuffer(msg.key, `${field}.key`),
    value: toBuffer(msg.value, `${field}.value`),
    ...(referencedBy !== undefined ? { referencedBy } : {}),
    metadata: kvMetadataFromProto(msg.metadata, `${field}.metadata`),
    expired: msg.expired === true,
    revision: toUint(msg.revision, `${field}.revision`),
  };
}

export function zEntryToProto(z: ZEntry): ZEntryInit {
  return {
    set: z.set,
    key: z.key,
    ...(z.entry !== undefined ? { entry: entryToProto(z.entry) } : {}),
    score: z.score,
    atTx: z.atTx,
  };
}

export function zEntryFromProto(msg: ZEntryMsg, field = 'zEntry'): ZEntry {
  return {
    set: toBuffer(msg.set, `${field}.set`),
    key: toBuffer(msg.key, `${field}.key`),
    entry: msg.entry === null || msg.entry === undefined ? undefined : entryFromProto(msg.entry, `${field}.entry`),
    score: msg.score,
    atTx: toTxId(msg.atTx, `${field}.atTx`),
  };
}
