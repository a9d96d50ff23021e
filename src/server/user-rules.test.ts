import { describe, expect, it } from 'vitest';
import {
  canChangePassword,
  canChangePermission,
  canCreateUser,
  canSetActive,
  visibleUsers,
  type RuleContext,
  type RuleResult,
} from './user-rules.js';
import { newUser, userFromJson, userToJson, withActive, withPassword, withPermission, type UserRecord } from './users.js';

const ctx: RuleContext = { databaseExists: (n) => ['defaultdb', 'db1', 'db2'].includes(n) };

function u(username: string, perms: [number, string][] = [], createdBy = 'immudb', active = true): UserRecord {
  const rec = newUser({
    username,
    hashedPassword: '$2b$10$x',
    permissions: perms.map(([permission, database]) => ({ permission: permission as 1 | 2 | 254 | 255, database })),
    createdBy,
    atMs: 0,
  });
  return active ? rec : { ...rec, active: false };
}

const immudb = u('immudb', [[255, '*']]);
const sys2 = u('sys2', [[255, '*']]);
const admin1 = u('admin1', [[254, 'db1']]);
const admin2 = u('admin2', [[254, 'db2']]);
const reader = u('reader', [[1, 'db1']]);
const byAdmin1 = u('kid', [[1, 'db1']], 'admin1');
const inactive = u('gone', [[1, 'db1']], 'admin1', false);

function code(r: RuleResult): string {
  return r.kind === 'allowed' ? (r.requireOldPassword ? 'ok+old' : 'ok') : r.error.code;
}

describe('CreateUser (2.2)', () => {
  const req = (o: Partial<{ username: string; password: string; permission: number; database: string }> = {}) => ({
    username: 'newbie',
    password: 'pw',
    permission: 1,
    database: 'db1',
    ...o,
  });
  it.each<[string, UserRecord, UserRecord | undefined, ReturnType<typeof req>, string]>([
    ['sysadmin creates a reader', immudb, undefined, req(), 'ok'],
    ['admin of the db creates a readwrite user', admin1, undefined, req({ permission: 2 }), 'ok'],
    ['admin of the db creates an admin', admin1, undefined, req({ permission: 254 }), 'ok'],
    ['admin of another db', admin2, undefined, req(), 'PERMISSION_DENIED'],
    ['plain reader', reader, undefined, req(), 'PERMISSION_DENIED'],
    ['existing user', immudb, reader, req({ username: 'reader' }), 'USER_EXISTS'],
    ['missing database', immudb, undefined, req({ database: 'nope' }), 'DATABASE_NOT_FOUND'],
    ['empty database', immudb, undefined, req({ database: '' }), 'INVALID_ARGUMENT'],
    ['bad permission code', immudb, undefined, req({ permission: 3 }), 'INVALID_ARGUMENT'],
    ['bad username', immudb, undefined, req({ username: 'a-b' }), 'INVALID_ARGUMENT'],
    ['empty password', immudb, undefined, req({ password: '' }), 'PASSWORD_WEAK'],
    ['73-byte password', immudb, undefined, req({ password: 'a'.repeat(73) }), 'PASSWORD_WEAK'],
    ['sysadmin creates another sysadmin on *', immudb, undefined, req({ permission: 255, database: '*' }), 'ok'],
    ['granted sysadmin creates a sysadmin', sys2, undefined, req({ permission: 255, database: '*' }), 'ok'],
    ['admin creates a sysadmin', admin1, undefined, req({ permission: 255, database: '*' }), 'PERMISSION_DENIED'],
    ['255 on one database', immudb, undefined, req({ permission: 255 }), 'INVALID_ARGUMENT'],
    ['read on *', immudb, undefined, req({ permission: 1, database: '*' }), 'INVALID_ARGUMENT'],
    ['readwrite on systemdb', immudb, undefined, req({ permission: 2, database: 'systemdb' }), 'PERMISSION_DENIED'],
    ['read on systemdb by sysadmin', immudb, undefined, req({ permission: 1, database: 'systemdb' }), 'ok'],
    ['admin on systemdb by sysadmin (replicating systemdb)', immudb, undefined, req({ permission: 254, database: 'systemdb' }), 'ok'],
    ['admin on systemdb by a db admin', admin1, undefined, req({ permission: 254, database: 'systemdb' }), 'PERMISSION_DENIED'],
  ])('%s', (_why, caller, existing, r, want) => {
    expect(code(canCreateUser(caller, existing, r, ctx))).toBe(want);
  });
});

describe('ChangePassword (2.2, own password fixed)', () => {
  it.each<[string, UserRecord, UserRecord | undefined, string]>([
    ['a reader changes their own (old password required; immudb forbids)', reader, reader, 'ok+old'],
    ['immudb changes their own', immudb, immudb, 'ok+old'],
    ['sysadmin changes a reader, no old password', immudb, reader, 'ok'],
    ['granted sysadmin changes immudb: old password required', sys2, immudb, 'ok+old'],
    ['admin changes a user they created', admin1, byAdmin1, 'ok'],
    ['admin changes a user someone else created', admin1, reader, 'PERMISSION_DENIED'],
    ['admin changes immudb', admin1, immudb, 'PERMISSION_DENIED'],
    ['admin changes a sysadmin they created', admin1, { ...sys2, createdBy: 'admin1' }, 'PERMISSION_DENIED'],
    ['reader changes someone else', reader, byAdmin1, 'PERMISSION_DENIED'],
    ['reader probes a missing user (no existence leak)', reader, undefined, 'PERMISSION_DENIED'],
    ['sysadmin, missing user', immudb, undefined, 'USER_NOT_FOUND'],
  ])('%s', (_why, caller, target, want) => {
    expect(code(canChangePassword(caller, target, { username: target?.username ?? 'ghost', newPassword: 'new' }))).toBe(want);
  });

  it('refuses an empty new password', () => {
    expect(code(canChangePassword(immudb, reader, { username: 'reader', newPassword: '' }))).toBe('PASSWORD_WEAK');
  });
});

describe('ChangePermission (2.2)', () => {
  type Req = { action: 'grant' | 'revoke'; username: string; database: string; permission: number };
  const g = (username: string, database: string, permission: number): Req => ({ action: 'grant', username, database, permission });
  const r = (username: string, database: string, permission: number): Req => ({ action: 'revoke', username, database, permission });
  it.each<[string, UserRecord, UserRecord | undefined, Req, string]>([
    ['sysadmin grants readwrite', immudb, reader, g('reader', 'db1', 2), 'ok'],
    ['admin of the db grants on it', admin1, reader, g('reader', 'db1', 2), 'ok'],
    ['admin of another db', admin2, reader, g('reader', 'db1', 2), 'PERMISSION_DENIED'],
    ['reader grants', reader, byAdmin1, g('kid', 'db1', 2), 'PERMISSION_DENIED'],
    ['own permissions', admin1, admin1, g('admin1', 'db2', 1), 'PERMISSION_DENIED'],
    ['sysadmin changes own', immudb, immudb, r('immudb', '*', 255), 'PERMISSION_DENIED'],
    ["anyone changes immudb's", sys2, immudb, r('immudb', '*', 255), 'PERMISSION_DENIED'],
    ['readwrite on systemdb', immudb, reader, g('reader', 'systemdb', 2), 'PERMISSION_DENIED'],
    ['read on systemdb', immudb, reader, g('reader', 'systemdb', 1), 'ok'],
    ['admin on systemdb', immudb, reader, g('reader', 'systemdb', 254), 'ok'],
    ['missing database', immudb, reader, g('reader', 'nope', 1), 'DATABASE_NOT_FOUND'],
    ['inactive target', immudb, inactive, g('gone', 'db1', 2), 'PERMISSION_DENIED'],
    ['missing target', immudb, undefined, g('ghost', 'db1', 2), 'USER_NOT_FOUND'],
    ['bad code', immudb, reader, g('reader', 'db1', 7), 'INVALID_ARGUMENT'],
    ['sysadmin grants sysadmin on *', immudb, reader, g('reader', '*', 255), 'ok'],
    ['granted sysadmin grants sysadmin', sys2, reader, g('reader', '*', 255), 'ok'],
    ['admin grants sysadmin', admin1, reader, g('reader', '*', 255), 'PERMISSION_DENIED'],
    ['sysadmin on one db refused', immudb, reader, g('reader', 'db1', 255), 'INVALID_ARGUMENT'],
    ['sysadmin revokes a granted sysadmin', immudb, sys2, r('sys2', '*', 255), 'ok'],
    ['admin revokes a sysadmin (via any code)', admin1, sys2, r('sys2', '*', 1), 'PERMISSION_DENIED'],
    ['admin touches a sysadmin on their own db', admin1, sys2, g('sys2', 'db1', 1), 'PERMISSION_DENIED'],
    ['revoke on a deleted database the target still holds', immudb, u('old', [[1, 'dropped']]), r('old', 'dropped', 1), 'ok'],
    ['revoke on a deleted database by its (stale) admin', u('a', [[254, 'dropped']]), u('old', [[1, 'dropped']]), r('old', 'dropped', 1), 'ok'],
  ])('%s', (_why, caller, target, req, want) => {
    expect(code(canChangePermission(caller, target, req, ctx))).toBe(want);
  });
});

describe('SetActiveUser (2.2)', () => {
  it.each<[string, UserRecord, UserRecord | undefined, string]>([
    ['sysadmin deactivates a reader', immudb, reader, 'ok'],
    ['admin deactivates a user they created', admin1, byAdmin1, 'ok'],
    ['admin deactivates a user someone else created', admin1, reader, 'PERMISSION_DENIED'],
    ['admin deactivates a sysadmin they created', admin1, { ...sys2, createdBy: 'admin1' }, 'PERMISSION_DENIED'],
    ['reader deactivates', reader, byAdmin1, 'PERMISSION_DENIED'],
    ['self', admin1, admin1, 'PERMISSION_DENIED'],
    ['immudb by a granted sysadmin', sys2, immudb, 'PERMISSION_DENIED'],
    ['missing user', immudb, undefined, 'USER_NOT_FOUND'],
  ])('%s', (_why, caller, target, want) => {
    expect(code(canSetActive(caller, target, { username: target?.username ?? 'ghost', active: false }))).toBe(want);
  });
});

describe('ListUsers (2.2)', () => {
  const all = [immudb, sys2, admin1, admin2, reader, byAdmin1, inactive];
  it('sysadmin sees everyone, inactive too', () => {
    expect(visibleUsers(immudb, all, 'db1')).toHaveLength(all.length);
  });
  it('admin of the selected db sees users with a permission on it, and themselves', () => {
    expect(visibleUsers(admin1, all, 'db1').map((x) => x.username).sort()).toEqual(['admin1', 'gone', 'kid', 'reader']);
    expect(visibleUsers(admin1, all, 'db2').map((x) => x.username)).toEqual(['admin1']);
  });
  it('anyone else sees only themselves', () => {
    expect(visibleUsers(reader, all, 'db1').map((x) => x.username)).toEqual(['reader']);
  });
});

describe('user record', () => {
  it('JSON is immudb-shaped and round-trips', () => {
    const rec = newUser({ username: 'bob', hashedPassword: '$2a$10$abc', permissions: [{ permission: 2, database: 'db1' }], createdBy: 'immudb', atMs: 1_700_000_000_000 });
    const doc = JSON.parse(userToJson(rec).toString()) as Record<string, unknown>;
    expect(doc).toMatchObject({
      username: 'bob',
      hashedpassword: Buffer.from('$2a$10$abc').toString('base64'),
      permissions: [{ permission: 2, database: 'db1' }],
      active: true,
      createdBy: 'immudb',
      createdat: '2023-11-14T22:13:20.000Z',
      hasPrivileges: true,
    });
    expect((doc['sqlPrivileges'] as unknown[]).length).toBe(7);
    expect(userFromJson(userToJson(rec))).toEqual({ ...rec, unknownJson: { sqlPrivileges: doc['sqlPrivileges'], hasPrivileges: true } });
  });

  it('grant replaces, revoke removes, no-ops report unchanged', () => {
    const a = newUser({ username: 'a', hashedPassword: 'h', permissions: [{ permission: 1, database: 'db1' }], createdBy: 'immudb', atMs: 0 });
    const g = withPermission(a, { action: 'grant', database: 'db1', permission: 2 }, 'admin', 5);
    expect(g.changed).toBe(true);
    expect(g.user.permissions).toEqual([{ permission: 2, database: 'db1' }]);
    expect([g.user.createdBy, g.user.createdAtMs]).toEqual(['admin', 5]);
    expect(withPermission(g.user, { action: 'grant', database: 'db1', permission: 2 }, 'x', 9).changed).toBe(false);
    const rv = withPermission(g.user, { action: 'revoke', database: 'db1', permission: 2 }, 'x', 9);
    expect([rv.changed, rv.user.permissions]).toEqual([true, []]);
    expect(withPermission(rv.user, { action: 'revoke', database: 'db1', permission: 2 }, 'x', 9).changed).toBe(false);
    expect(withPassword(a, 'h2', 'a', 3).hashedPassword).toBe('h2');
    expect(withActive(a, false, 'immudb', 3).active).toBe(false);
  });

  it.each(['{', '[]', '{"username":"x"}', '{"username":"x","hashedpassword":"aA==","permissions":[{"permission":3,"database":"d"}]}'])(
    'a corrupted record %j is CORRUPTED_DATA',
    (text) => {
      expect(() => userFromJson(Buffer.from(text))).toThrow(expect.objectContaining({ code: 'CORRUPTED_DATA' }));
    },
  );
});
