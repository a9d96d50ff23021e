// The server identity: `<dir>/immudb.identifier`, 12 raw bytes of an xid (4-byte big-endian unix
// seconds, 3 machine bytes, 2 pid bytes, 3 counter bytes), written once and reused forever. Its
// string form (base32hex, lowercase, 20 chars) is the `immudb-uuid` response header. Creation is
// atomic (tmp + fsync + rename + fsync dir); an existing file of the wrong size is CORRUPTED_DATA,
// never silently replaced (replicas and clients know the server by it). A file left by old immudb
// versions in `<dir>/defaultdb/` is adopted.
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ImmuError } from '../common/errors.js';

export const IDENTIFIER_FILE = 'immudb.identifier';
export const xidBytes = 12;
export const xidChars = 20;
const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';

export interface ServerIdentifier {
  readonly bytes: Buffer;
  /** The `immudb-uuid` header value. */
  readonly text: string;
}

export interface IdentifierOptions {
  /** Unix seconds for a new xid. */
  readonly nowSeconds?: () => number;
  readonly randomBytes?: (n: number) => Buffer;
}

export function xidToString(bytes: Buffer): string {
  if (bytes.length !== xidBytes) throw new ImmuError('INVALID_ARGUMENT', `an xid has ${xidBytes} bytes`);
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32HEX[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32HEX[(acc << (5 - bits)) & 31];
  return out;
}

export function xidFromString(text: string): Buffer {
  if (text.length !== xidChars || !/^[0-9a-v]+$/.test(text)) {
    throw new ImmuError('INVALID_ARGUMENT', 'not an xid string');
  }
  const out = Buffer.alloc(xidBytes);
  let acc = 0;
  let bits = 0;
  let i = 0;
  for (const c of text) {
    acc = (acc << 5) | BASE32HEX.indexOf(c);
    bits += 5;
    if (bits >= 8 && i < xidBytes) {
      out[i++] = (acc >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
    acc &= (1 << bits) - 1;
  }
  if (xidToString(out) !== text) throw new ImmuError('INVALID_ARGUMENT', 'not a canonical xid string');
  return out;
}

export function newXid(opts: IdentifierOptions = {}): Buffer {
  const seconds = (opts.nowSeconds ?? (() => Math.floor(Date.now() / 1000)))();
  const random = opts.randomBytes ?? cryptoRandomBytes;
  const b = Buffer.alloc(xidBytes);
  b.writeUInt32BE(seconds >>> 0, 0);
  random(3).copy(b, 4); // machine id: random, as we have no stable, private machine fingerprint
  b.writeUInt16BE(process.pid & 0xffff, 7);
  random(3).copy(b, 9); // counter: random start
  return b;
}

/** Read `<dir>/immudb.identifier`, or adopt the old location, or create it. Creates `dir`. */
export async function readOrCreateIdentifier(dir: string, opts: IdentifierOptions = {}): Promise<ServerIdentifier> {
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, IDENTIFIER_FILE);
  const existing = (await readIfExists(file)) ?? (await readIfExists(path.join(dir, 'defaultdb', IDENTIFIER_FILE)));
  const bytes = existing ?? newXid(opts);
  if (bytes.length !== xidBytes) {
    throw new ImmuError('CORRUPTED_DATA', `${file} holds ${bytes.length} bytes, not ${xidBytes}`);
  }
  if (!(await readIfExists(file))) await writeAtomically(dir, file, bytes);
  return { bytes, text: xidToString(bytes) };
}

async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ImmuError('IO_ERROR', `cannot read ${file}: ${(e as Error).message}`);
  }
}

async function writeAtomically(dir: string, file: string, bytes: Buffer): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  const fh = await fs.open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, file);
  const dh = await fs.open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}
