// Disk faults for a stopped node: flip one byte or cut the tail of a data file, chosen by kind (tx log,
// commit log, value log, AHT files) in a database's directory, and record exactly what changed so the
// scenario's report can say it. The layout mirrors immudb's (`tx/00000000.tx`, `commit/*.txi`,
// `val_0/*.val`, `aht/{data,tree,commit}`); it is restated here because cluster tests must not import
// src/store. It refuses to touch a running node's files: corrupting a live file tests the page cache,
// not recovery.
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export type DataFileKind = 'tx' | 'commit' | 'val' | 'ahtData' | 'ahtTree' | 'ahtCommit';

const layout: Readonly<Record<DataFileKind, { readonly dir: string; readonly ext: string }>> = {
  tx: { dir: 'tx', ext: 'tx' },
  commit: { dir: 'commit', ext: 'txi' },
  val: { dir: 'val_0', ext: 'val' },
  ahtData: { dir: join('aht', 'data'), ext: 'dat' },
  ahtTree: { dir: join('aht', 'tree'), ext: 'sha' },
  ahtCommit: { dir: join('aht', 'commit'), ext: 'di' },
};

export interface FlipByteFault {
  readonly kind: 'flip-byte';
  readonly file: string;
  readonly offset: number;
  readonly before: number;
  readonly after: number;
}

export interface TruncateTailFault {
  readonly kind: 'truncate-tail';
  readonly file: string;
  readonly sizeBefore: number;
  readonly sizeAfter: number;
  /** Hex of the bytes removed (first 64 only). */
  readonly removedHexPrefix: string;
}

export type DiskFault = FlipByteFault | TruncateTailFault;

/** What disk faults need of a node: where its data is and whether it is running. */
export interface FaultTarget {
  readonly name: string;
  readonly dataDir: string;
  readonly running: boolean;
}

function requireStopped(target: FaultTarget): void {
  if (target.running) throw new Error(`node ${target.name} is running: stop it before changing its files`);
}

/** The newest chunk file of a kind in a database (highest chunk number). */
export function dataFile(dataDir: string, database: string, kind: DataFileKind): string {
  const { dir, ext } = layout[kind];
  const full = join(dataDir, database, dir);
  if (!existsSync(full)) throw new Error(`no ${kind} directory at ${full}`);
  const re = new RegExp(`^\\d{8}\\.${ext}$`);
  const chunks = readdirSync(full).filter((f) => re.test(f)).sort();
  const last = chunks[chunks.length - 1];
  if (last === undefined) throw new Error(`no ${kind} chunk in ${full}`);
  return join(full, last);
}

function readByte(file: string, offset: number): number {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1);
    if (readSync(fd, buf, 0, 1, offset) !== 1) throw new Error(`cannot read byte ${offset} of ${file}`);
    return buf[0] ?? 0;
  } finally {
    closeSync(fd);
  }
}

/**
 * XORs one byte of `file` with `mask` (non-zero). `offset` may be negative: counted from the end
 * (-1 = last byte).
 */
export function flipByteInFile(file: string, offset: number, mask = 0xff): FlipByteFault {
  if (mask < 1 || mask > 0xff) throw new Error('mask must be 1..255');
  const size = statSync(file).size;
  const at = offset < 0 ? size + offset : offset;
  if (at < 0 || at >= size) throw new Error(`offset ${offset} is outside ${file} (${size} bytes)`);
  const before = readByte(file, at);
  const after = before ^ mask;
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, Buffer.from([after]), 0, 1, at);
  } finally {
    closeSync(fd);
  }
  return { kind: 'flip-byte', file, offset: at, before, after };
}

/** Removes the last `bytes` bytes of `file` (a torn write). */
export function truncateTailOfFile(file: string, bytes: number): TruncateTailFault {
  const sizeBefore = statSync(file).size;
  if (bytes < 1 || bytes > sizeBefore) throw new Error(`cannot cut ${bytes} bytes from ${file} (${sizeBefore} bytes)`);
  const sizeAfter = sizeBefore - bytes;
  const shown = Math.min(bytes, 64);
  const removed = Buffer.alloc(shown);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, removed, 0, shown, sizeAfter);
  } finally {
    closeSync(fd);
  }
  truncateSync(file, sizeAfter);
  return { kind: 'truncate-tail', file, sizeBefore, sizeAfter, removedHexPrefix: removed.toString('hex') };
}

/** Flips one byte in the newest file of `kind` of a stopped node's database. */
export function flipByte(target: FaultTarget, database: string, kind: DataFileKind, offset: number, mask = 0xff): FlipByteFault {
  requireStopped(target);
  return flipByteInFile(dataFile(target.dataDir, database, kind), offset, mask);
}

/** Cuts the tail of the newest file of `kind` of a stopped node's database. */
export function truncateTail(target: FaultTarget, database: string, kind: DataFileKind, bytes: number): TruncateTailFault {
  requireStopped(target);
  return truncateTailOfFile(dataFile(target.dataDir, database, kind), bytes);
}
