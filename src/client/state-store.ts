// Where the client keeps the last state it proved, one per (server UUID, database): the root of trust of
// every later verified call. On disk, one JSON file per pair under `<stateDir>/<uuid>/<db>.json`, written
// atomically (temporary file, fsync, rename, fsync of the directory) with mode 0600, so a crash leaves
// either the old state or the new one, never a torn file. An in-memory store serves tests.
// It stores what it is given; deciding whether a state may replace another is the verifier's job.
// Two processes sharing a directory race last-writer-wins (no cross-process lock).
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ImmuError } from '../common/errors.js';
import type { StateSignature, TrustedState } from './types.js';

export interface StateStore {
  get(serverUuid: string, db: string): Promise<TrustedState | undefined>;
  set(state: TrustedState): Promise<void>;
}

/** `~/.immudb-ts/state`. */
export function defaultStateDir(): string {
  return join(homedir(), '.immudb-ts', 'state');
}

const stateFileVersion = 1;
const DIGEST_BYTES = 32;

function copyState(s: TrustedState): TrustedState {
  return {
    serverUuid: s.serverUuid,
    db: s.db,
    txId: s.txId,
    txHash: Buffer.from(s.txHash),
    signature: s.signature === undefined ? undefined : { publicKey: Buffer.from(s.signature.publicKey), signature: Buffer.from(s.signature.signature) },
  };
}

/** Keeps states in memory only (tests, short-lived tools that must not touch the disk). */
export class MemoryStateStore implements StateStore {
  readonly #states = new Map<string, TrustedState>();

  get(serverUuid: string, db: string): Promise<TrustedState | undefined> {
    const s = this.#states.get(JSON.stringify([serverUuid, db]));
    return Promise.resolve(s === undefined ? undefined : copyState(s));
  }

  set(state: TrustedState): Promise<void> {
    this.#states.set(JSON.stringify([state.serverUuid, state.db]), copyState(state));
    return Promise.resolve();
  }
}

/** A file-name-safe spelling: [A-Za-z0-9_-] kept, every other UTF-8 byte as %XX. */
export function safeName(text: string): string {
  if (text === '') return '%';
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9_-]/.test(ch) ? ch : `%${byte.toString(16).padStart(2, '0').toUpperCase()}`;
  }
  return out;
}

interface StateFileJson {
  readonly version: number;
  readonly serverUuid: string;
  readonly db: string;
  readonly txId: number;
  readonly txHash: string;
  readonly signature?: { readonly publicKey: string; readonly signature: string };
}

export function stateToJson(s: TrustedState): string {
  const body: StateFileJson = {
    version: stateFileVersion,
    serverUuid: s.serverUuid,
    db: s.db,
    txId: s.txId,
    txHash: s.txHash.toString('hex'),
    ...(s.signature !== undefined ? { signature: { publicKey: s.signature.publicKey.toString('hex'), signature: s.signature.signature.toString('hex') } } : {}),
  };
  return JSON.stringify(body, null, 2) + '\n';
}

function isHex(x: unknown): x is string {
  return typeof x === 'string' && x.length % 2 === 0 && /^[0-9a-f]*$/i.test(x);
}

/** Parses a state file; CORRUPTED_DATA naming the file when it is not one this store wrote. */
export function stateFromJson(text: string, path: string): TrustedState {
  const bad = (why: string): ImmuError => new ImmuError('CORRUPTED_DATA', `trusted state file ${path} is malformed: ${why}`, { path });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  if (typeof raw !== 'object' || raw === null) throw bad('not an object');
  const j = raw as Partial<Record<keyof StateFileJson, unknown>>;
  if (j.version !== stateFileVersion) throw bad(`unknown version ${String(j.version)}`);
  if (typeof j.serverUuid !== 'string' || typeof j.db !== 'string') throw bad('serverUuid and db must be strings');
  if (typeof j.txId !== 'number' || !Number.isSafeInteger(j.txId) || j.txId < 0) throw bad('txId must be a non-negative integer');
  if (!isHex(j.txHash) || j.txHash.length !== 2 * DIGEST_BYTES) throw bad('txHash must be 32 bytes of hex');
  let signature: StateSignature | undefined;
  if (j.signature !== undefined) {
    const sig = j.signature as { publicKey?: unknown; signature?: unknown };
    if (typeof sig !== 'object' || sig === null || !isHex(sig.publicKey) || !isHex(sig.signature)) throw bad('signature must hold hex publicKey and signature');
    signature = { publicKey: Buffer.from(sig.publicKey, 'hex'), signature: Buffer.from(sig.signature, 'hex') };
  }
  return { serverUuid: j.serverUuid, db: j.db, txId: j.txId, txHash: Buffer.from(j.txHash, 'hex'), signature };
}

function ioError(what: string, path: string, err: unknown): ImmuError {
  return new ImmuError('IO_ERROR', `cannot ${what} ${path}: ${(err as Error).message}`, { path });
}

/** One JSON file per (server UUID, database) under `dir`. */
export class FileStateStore implements StateStore {
  readonly #dir: string;

  constructor(dir: string = defaultStateDir()) {
    this.#dir = dir;
  }

  get dir(): string {
    return this.#dir;
  }

  /** `<dir>/<uuid>/<db>.json`, both parts made file-name-safe. */
  pathFor(serverUuid: string, db: string): string {
    return join(this.#dir, safeName(serverUuid), `${safeName(db)}.json`);
  }

  async get(serverUuid: string, db: string): Promise<TrustedState | undefined> {
    const path = this.pathFor(serverUuid, db);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw ioError('read', path, err);
    }
    const state = stateFromJson(text, path);
    if (state.serverUuid !== serverUuid || state.db !== db) {
      throw new ImmuError('CORRUPTED_DATA', `trusted state file ${path} belongs to ${state.serverUuid}/${state.db}`, { path });
    }
    return state;
  }

  async set(state: TrustedState): Promise<void> {
    const path = this.pathFor(state.serverUuid, state.db);
    const dir = join(this.#dir, safeName(state.serverUuid));
    const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw ioError('create', dir, err);
    }
    try {
      const fh = await open(tmp, 'wx', 0o600);
      try {
        await fh.writeFile(stateToJson(state), 'utf8');
        await fh.chmod(0o600);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, path);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw ioError('write', path, err);
    }
    await syncDir(dir);
  }
}

/** fsync of a directory so the rename survives a crash; platforms that refuse it are tolerated. */
async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw ioError('sync', dir, err);
  } finally {
    await fh?.close();
  }
}
