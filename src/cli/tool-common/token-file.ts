// The token file of immuclient and immuadmin: what `login` leaves behind so later invocations act as
// the same user. It holds the legacy token, the endpoint it was issued by and the selected database,
// never a password. Written atomically (temporary file, rename) with mode 0600 and re-chmodded, so a
// token never sits world-readable even when the file existed before with looser permissions.
import { randomBytes } from 'node:crypto';
import { chmod, open, readFile, rename, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ImmuError } from '../../common/errors.js';

export interface SavedLogin {
  readonly endpoint: string;
  readonly username: string;
  readonly token: string;
  /** Selected database; undefined for immuadmin, which selects none. */
  readonly database: string | undefined;
}

const tokenFileVersion = 1;

export function defaultTokenFile(tool: 'immuclient' | 'immuadmin'): string {
  return join(homedir(), `.${tool}-ts-token`);
}

function malformed(path: string, why: string): ImmuError {
  return new ImmuError('IO_ERROR', `token file ${path} is malformed (${why}): log in again`, { path });
}

export async function readTokenFile(path: string): Promise<SavedLogin | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ImmuError('IO_ERROR', `cannot read token file ${path}: ${(err as Error).message}`, { path });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw malformed(path, 'not JSON');
  }
  if (typeof raw !== 'object' || raw === null) throw malformed(path, 'not an object');
  const j = raw as Record<string, unknown>;
  if (j['version'] !== tokenFileVersion) throw malformed(path, 'unknown version');
  const { endpoint, username, token, database } = j;
  if (typeof endpoint !== 'string' || typeof username !== 'string' || typeof token !== 'string') throw malformed(path, 'missing fields');
  if (database !== undefined && typeof database !== 'string') throw malformed(path, 'database must be a string');
  return { endpoint, username, token, database };
}

export async function writeTokenFile(path: string, login: SavedLogin): Promise<void> {
  const body = JSON.stringify({ version: tokenFileVersion, ...login }, null, 2) + '\n';
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(body, 'utf8');
      await fh.chmod(0o600);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    await chmod(path, 0o600);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new ImmuError('IO_ERROR', `cannot write token file ${path}: ${(err as Error).message}`, { path });
  }
}

/** Removes the token file; true when there was one. */
export async function removeTokenFile(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new ImmuError('IO_ERROR', `cannot remove token file ${path}: ${(err as Error).message}`, { path });
  }
}
