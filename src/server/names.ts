// Database and user names, and the password rules. A database name becomes a directory under the data
// dir, so this file is the one gate between request text and the filesystem: names are ASCII-only,
// lowercased, checked against the reserved names AFTER lowercasing (immudb checks before), and
// `databaseDir` asserts the resulting path stays directly under the data dir. It does no I/O.
import * as path from 'node:path';
import { assert } from '../common/assert.js';
import { ImmuError } from '../common/errors.js';
import {
  databaseNameCharsMax,
  passwordBytesMax,
  usernameCharsMax,
} from './limits.js';

export const SYSTEMDB = 'systemdb';
export const DEFAULTDB = 'defaultdb';
export const RESERVED_DATABASE_NAMES: ReadonlySet<string> = new Set([SYSTEMDB, DEFAULTDB]);
/** The built-in system administrator. */
export const SYSADMIN_USERNAME = 'immudb';

const DATABASE_NAME_RE = /^[a-z0-9_]+$/;
const USERNAME_RE = /^[A-Za-z0-9_]+$/;

/**
 * Lowercase and validate a database name (for create, use, load, ...). Only ASCII letters, digits
 * and `_` are accepted, BEFORE lowercasing: non-ASCII input is refused outright, so case-folding
 * tricks (KELVIN SIGN -> "k", dotted capital I -> two code points) never reach a directory name.
 */
export function normalizeDatabaseName(raw: string): string {
  if (typeof raw !== 'string' || raw.length === 0) {
    throw new ImmuError('DATABASE_NAME_INVALID', 'database name is empty');
  }
  if (raw.length > databaseNameCharsMax) {
    throw new ImmuError(
      'DATABASE_NAME_INVALID',
      `database name is longer than ${databaseNameCharsMax} characters`,
    );
  }
  const name = /^[\x00-\x7f]*$/.test(raw) ? raw.toLowerCase() : '';
  if (!DATABASE_NAME_RE.test(name)) {
    throw new ImmuError(
      'DATABASE_NAME_INVALID',
      'database name may only contain letters a-z, digits and "_"',
    );
  }
  return name;
}

/** True for the output of normalizeDatabaseName (lowercase ASCII, digits, `_`, 1..128). */
export function isNormalizedDatabaseName(name: string): boolean {
  return name.length <= databaseNameCharsMax && DATABASE_NAME_RE.test(name);
}

export function isReservedDatabaseName(normalized: string): boolean {
  return RESERVED_DATABASE_NAMES.has(normalized);
}

/**
 * Validate the name of a database to create (or update, load, unload, delete): normalised, and
 * neither systemdb, defaultdb nor one of `extraReserved` (e.g. the log dir name) after lowercasing.
 */
export function normalizeUserDatabaseName(raw: string, extraReserved: readonly string[] = []): string {
  const name = normalizeDatabaseName(raw);
  if (isReservedDatabaseName(name) || extraReserved.includes(name)) {
    throw new ImmuError('DATABASE_RESERVED', `database '${name}' is reserved`);
  }
  return name;
}

/**
 * The directory of a database. Re-validates the name and asserts that the result is an immediate
 * child of the data dir: a name that slipped past validation crashes here instead of escaping.
 */
export function databaseDir(dataDir: string, normalizedName: string): string {
  assert(isNormalizedDatabaseName(normalizedName), 'database name is normalised');
  const root = path.resolve(dataDir);
  const dir = path.resolve(root, normalizedName);
  assert(path.dirname(dir) === root && path.basename(dir) === normalizedName, 'database dir stays under the data dir');
  return dir;
}

/** 1..63 characters of [A-Za-z0-9_]; case is kept (immudb usernames are case-sensitive). */
export function validateUsername(raw: string): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > usernameCharsMax || !USERNAME_RE.test(raw)) {
    throw new ImmuError(
      'INVALID_ARGUMENT',
      `username must be 1..${usernameCharsMax} characters of letters, digits and "_"`,
    );
  }
  return raw;
}

/**
 * What the server requires of a new password: non-empty, at most 72 UTF-8 bytes (bcrypt ignores
 * the rest), no NUL. Strength is the client's business (`strongPasswordProblem`), as in immudb.
 */
export function validateNewPassword(password: string): void {
  if (typeof password !== 'string' || password.length === 0) {
    throw new ImmuError('PASSWORD_WEAK', 'password is empty');
  }
  if (Buffer.byteLength(password, 'utf8') > passwordBytesMax) {
    throw new ImmuError('PASSWORD_WEAK', `password is longer than ${passwordBytesMax} bytes`);
  }
  if (password.includes('\0')) {
    throw new ImmuError('PASSWORD_WEAK', 'password contains a NUL character');
  }
}

export { strongPasswordProblem } from '../common/password-policy.js';
