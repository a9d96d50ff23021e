// The store's directory layout and the limits it persists in every chunk header (core spec 6.1, 6.2).
// Limits are fixed when a store is created; on open they are read back from the tx log's first chunk
// and options that disagree are ignored (with a warning, as immudb does).
import * as path from 'node:path';
import { ImmuError } from '../common/errors.js';
import {
  chunkFileSizeBytesDefault,
  chunkFileSizeBytesMax,
  keySizeBytesMax,
  txEntriesMaxDefault,
  txEntriesMaxHeaderV0,
  valueSizeBytesMaxDefault,
} from '../common/limits.js';
import {
  decodeMetadata,
  encodeMetadata,
  metadataBool,
  metadataNested,
  metadataU64,
  type MetadataValue,
  WRAPPED_METADATA,
} from './chunk-metadata.js';

/** Store format version we write: 2 = 44-byte commit entries carrying the Alh. */
export const STORE_FORMAT_VERSION = 2;
export const AHT_FORMAT_VERSION = 1;
export const COMMIT_ENTRY_BYTES_V2 = 44;
export const COMMIT_ENTRY_BYTES_V1 = 12;
export const VALUE_LOG_ID = 1; // val_0 is vLogId 1; we write one value log (immudb MaxIOConcurrency 1)

export const LAYOUT = {
  tx: { dir: 'tx', ext: 'tx' },
  commit: { dir: 'commit', ext: 'txi' },
  val: { dir: 'val_0', ext: 'val' },
  ahtData: { dir: path.join('aht', 'data'), ext: 'dat' },
  ahtTree: { dir: path.join('aht', 'tree'), ext: 'sha' },
  ahtCommit: { dir: path.join('aht', 'commit'), ext: 'di' },
} as const;

export interface StoreLimits {
  readonly version: number;
  readonly maxTxEntries: number;
  readonly maxKeyLen: number;
  readonly maxValueLen: number;
  readonly fileSizeBytes: number;
}

export function limitsFromOptions(o: {
  readonly maxKeyLen?: number;
  readonly maxValueLen?: number;
  readonly maxTxEntries?: number;
  readonly fileSizeBytes?: number;
}): StoreLimits {
  const limits: StoreLimits = {
    version: STORE_FORMAT_VERSION,
    maxKeyLen: o.maxKeyLen ?? keySizeBytesMax,
    maxValueLen: o.maxValueLen ?? valueSizeBytesMaxDefault,
    maxTxEntries: o.maxTxEntries ?? txEntriesMaxDefault,
    fileSizeBytes: o.fileSizeBytes ?? chunkFileSizeBytesDefault,
  };
  const bad = (why: string): never => {
    throw new ImmuError('SETTINGS_INVALID', why);
  };
  if (!Number.isInteger(limits.maxKeyLen) || limits.maxKeyLen < 1 || limits.maxKeyLen > keySizeBytesMax) {
    bad(`maxKeyLen must be in 1..${keySizeBytesMax}`);
  }
  if (!Number.isInteger(limits.maxValueLen) || limits.maxValueLen < 0 || limits.maxValueLen > 0xffffffff) {
    bad('maxValueLen must be a u32');
  }
  if (!Number.isInteger(limits.maxTxEntries) || limits.maxTxEntries < 1 || limits.maxTxEntries > 0xffffffff) {
    bad('maxTxEntries must be >= 1');
  }
  if (!Number.isInteger(limits.fileSizeBytes) || limits.fileSizeBytes < 1 || limits.fileSizeBytes > chunkFileSizeBytesMax) {
    bad(`fileSizeBytes must be in 1..${chunkFileSizeBytesMax}`);
  }
  return limits;
}

export function maxTxEntriesFor(limits: StoreLimits, headerVersion: 0 | 1): number {
  return headerVersion === 0 ? Math.min(limits.maxTxEntries, txEntriesMaxHeaderV0) : limits.maxTxEntries;
}

function wrap(fileSizeBytes: number, inner: Buffer): Buffer {
  const multi = encodeMetadata([
    ['FILE_SIZE', fileSizeBytes],
    [WRAPPED_METADATA, inner],
  ]);
  const single = encodeMetadata([
    ['PREALLOC_SIZE', 0],
    ['COMPRESSION_FORMAT', 0],
    ['COMPRESSION_LEVEL', 1],
    [WRAPPED_METADATA, multi],
  ]);
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(single.length, 0);
  return Buffer.concat([head, single]);
}

/** Chunk header for the tx, commit and value logs. */
export function storeChunkHeader(l: StoreLimits): Buffer {
  const store: Array<[string, MetadataValue]> = [
    ['VERSION', l.version],
    ['MAX_TX_ENTRIES', l.maxTxEntries],
    ['MAX_KEY_LEN', l.maxKeyLen],
    ['MAX_VALUE_LEN', l.maxValueLen],
    ['FILE_SIZE', l.fileSizeBytes],
    ['EMBEDDED_VALUES', false],
    ['PREALLOC_FILES', false],
  ];
  return wrap(l.fileSizeBytes, encodeMetadata(store));
}

/** Chunk header for the three aht logs. */
export function ahtChunkHeader(fileSizeBytes: number): Buffer {
  return wrap(fileSizeBytes, encodeMetadata([['VERSION', AHT_FORMAT_VERSION]]));
}

/** The multi-file and store maps of a chunk header, checked for what we support. */
export interface ParsedChunkHeader {
  readonly fileSizeBytes: number;
  readonly store: ReadonlyMap<string, Buffer>;
}

export function parseChunkHeader(metadata: Buffer, file: string): ParsedChunkHeader {
  const single = decodeMetadata(metadata, file);
  const compression = metadataU64(single, 'COMPRESSION_FORMAT', file) ?? 0;
  if (compression > 4) throw new ImmuError('CORRUPTED_DATA', `${file} at offset 0: unknown compression format ${compression}`, { file, offset: 0 });
  if (compression !== 0) {
    throw new ImmuError('UNIMPLEMENTED', `${file}: compressed logs (format ${compression}) are not supported`, { file });
  }
  const multi = metadataNested(single, file);
  const fileSizeBytes = metadataU64(multi, 'FILE_SIZE', file);
  if (fileSizeBytes === undefined || fileSizeBytes < 1) {
    throw new ImmuError('CORRUPTED_DATA', `${file}: chunk header lacks FILE_SIZE`, { file, offset: 0 });
  }
  return { fileSizeBytes, store: metadataNested(multi, file) };
}

/** Reads the store limits from a tx/commit/value log chunk header. */
export function limitsFromHeader(metadata: Buffer, file: string): StoreLimits & { readonly embeddedValues: boolean } {
  const { fileSizeBytes, store } = parseChunkHeader(metadata, file);
  const need = (k: string): number => {
    const v = metadataU64(store, k, file);
    if (v === undefined) throw new ImmuError('CORRUPTED_DATA', `${file}: chunk header lacks ${k}`, { file, offset: 0 });
    return v;
  };
  const version = need('VERSION');
  if (version > STORE_FORMAT_VERSION) {
    throw new ImmuError('CORRUPTED_DATA', `${file}: unknown store format version ${version}`, { file, offset: 0 });
  }
  return {
    version,
    maxTxEntries: need('MAX_TX_ENTRIES'),
    maxKeyLen: need('MAX_KEY_LEN'),
    maxValueLen: need('MAX_VALUE_LEN'),
    fileSizeBytes: metadataU64(store, 'FILE_SIZE', file) ?? fileSizeBytes,
    embeddedValues: metadataBool(store, 'EMBEDDED_VALUES', file) ?? false,
  };
}

export function commitEntryBytes(version: number): number {
  return version >= 2 ? COMMIT_ENTRY_BYTES_V2 : COMMIT_ENTRY_BYTES_V1;
}
