import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvariantViolation } from '../common/assert.js';
import { ImmuError } from '../common/errors.js';
import {
  databaseDir,
  normalizeDatabaseName,
  normalizeUserDatabaseName,
  strongPasswordProblem,
  validateNewPassword,
  validateUsername,
} from './names.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e instanceof ImmuError ? e.code : `not ImmuError: ${String(e)}`;
  }
}

describe('database names', () => {
  it.each([
    ['mydb', 'mydb'],
    ['MyDB', 'mydb'],
    ['db_1', 'db_1'],
    ['_', '_'],
    ['0', '0'],
    ['a'.repeat(128), 'a'.repeat(128)],
  ])('accepts %j as %j', (raw, want) => {
    expect(normalizeDatabaseName(raw)).toBe(want);
  });

  it.each([
    ['empty', ''],
    ['too long', 'a'.repeat(129)],
    ['dot dot', '..'],
    ['dot', '.'],
    ['slash traversal', '../etc'],
    ['deep traversal', '../../../../tmp/x'],
    ['absolute path', '/etc/passwd'],
    ['backslash', '..\\windows'],
    ['embedded slash', 'a/b'],
    ['NUL byte', 'db\0'],
    ['NUL then traversal', 'db\0/../x'],
    ['trailing newline', 'db\n'],
    ['space', 'my db'],
    ['dash', 'my-db'],
    ['dot inside', 'my.db'],
    ['tilde', '~root'],
    ['percent-encoded slash', '..%2fetc'],
    ['fullwidth solidus', 'a\uff0fb'],
    ['division slash', 'a\u2215b'],
    ['one-dot leader', '\u2024\u2024'],
    ['KELVIN SIGN lowercases to k', 'systemdb\u212a'],
    ['KELVIN SIGN only', '\u212a'],
    ['dotted capital I', '\u0130db'],
    ['long s', '\u017fystemdb'],
    ['unicode lowercase letter', 'caf\u00e9'],
    ['combining mark', 'e\u0301'],
    ['zero width space', 'db\u200b'],
    ['right-to-left override', 'db\u202e'],
    ['fullwidth letters', '\uff53\uff59\uff53'],
    ['emoji', 'db\u{1f600}'],
  ])('refuses %s', (_why, raw) => {
    expect(codeOf(() => normalizeDatabaseName(raw))).toBe('DATABASE_NAME_INVALID');
  });

  it.each(['systemdb', 'SYSTEMDB', 'SystemDb', 'defaultdb', 'DefaultDB'])('refuses reserved %j after lowercasing', (raw) => {
    expect(codeOf(() => normalizeUserDatabaseName(raw))).toBe('DATABASE_RESERVED');
  });

  it('refuses extra reserved names such as the log dir', () => {
    expect(codeOf(() => normalizeUserDatabaseName('IMMULOG', ['immulog']))).toBe('DATABASE_RESERVED');
    expect(normalizeUserDatabaseName('mydb', ['immulog'])).toBe('mydb');
  });

  it('puts a database directly under the data dir', () => {
    expect(databaseDir('/data', 'mydb')).toBe(path.resolve('/data/mydb'));
    expect(databaseDir('rel/data/', 'x_1')).toBe(path.resolve('rel/data/x_1'));
  });

  it.each(['..', '../x', 'a/b', '', 'Upper', '/abs'])('databaseDir crashes on an unvalidated name %j', (name) => {
    expect(() => databaseDir('/data', name)).toThrow(InvariantViolation);
  });
});

describe('usernames', () => {
  it.each(['immudb', 'User_1', 'A', 'x'.repeat(63)])('accepts %j', (u) => {
    expect(validateUsername(u)).toBe(u);
  });
  it.each(['', 'x'.repeat(64), 'a b', 'a-b', 'a.b', 'ü', 'a\0', '../x', 'a\n'])('refuses %j', (u) => {
    expect(codeOf(() => validateUsername(u))).toBe('INVALID_ARGUMENT');
  });
});

describe('passwords', () => {
  it('the server requires non-empty, <= 72 bytes, no NUL', () => {
    expect(codeOf(() => validateNewPassword('x'))).toBeUndefined();
    expect(codeOf(() => validateNewPassword('a'.repeat(72)))).toBeUndefined();
    expect(codeOf(() => validateNewPassword(''))).toBe('PASSWORD_WEAK');
    expect(codeOf(() => validateNewPassword('a'.repeat(73)))).toBe('PASSWORD_WEAK');
    expect(codeOf(() => validateNewPassword('\u00e9'.repeat(37)))).toBe('PASSWORD_WEAK'); // 74 bytes
    expect(codeOf(() => validateNewPassword('ab\0cd'))).toBe('PASSWORD_WEAK');
  });

  it.each([
    ['Passw0rd!', undefined],
    ['Aa1!Aa1!', undefined],
    ['Ünïcödé1€', undefined],
    ['short1A!', undefined],
    ['Sh0rt!', 'password must be 8 to 32 characters'],
    ['A1!' + 'a'.repeat(30), 'password must be 8 to 32 characters'],
    ['password1!', 'password needs at least one uppercase letter'],
    ['Password!!', 'password needs at least one digit'],
    ['Password11', 'password needs at least one punctuation mark or symbol'],
    ['Pass word1!', 'password may only contain letters, digits, punctuation and symbols'],
    ['Pass\tword1!', 'password may only contain letters, digits, punctuation and symbols'],
  ])('strong password rule on %j', (pw, problem) => {
    expect(strongPasswordProblem(pw)).toBe(problem);
  });
});
