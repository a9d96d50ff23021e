// The user record and its JSON form, as immudb stores it in systemdb under key 0x01 + username:
// {username, hashedpassword (base64 of the bcrypt string, Go's []byte encoding), permissions
// [{permission, database}], sqlPrivileges, hasPrivileges, active, createdBy, createdat}. `createdat`
// and `createdBy` are rewritten on every change, as immudb does ("last modified at/by"). Pure record
// transformations; the rules deciding WHO may change a user are in user-rules.ts.
import { ImmuError } from '../common/errors.js';
import { isPermissionCode, Permission, type PermissionCode } from './permissions.js';

export const USER_KEY_PREFIX = 0x01;
export const DATABASE_SETTINGS_KEY_PREFIX = 0x02;

export interface UserPermission {
  readonly permission: PermissionCode;
  readonly database: string;
}

export interface UserRecord {
  readonly username: string;
  /** bcrypt hash string ($2a$/$2b$...). */
  readonly hashedPassword: string;
  readonly permissions: readonly UserPermission[];
  readonly active: boolean;
  readonly createdBy: string;
  /** Unix ms of the last change (immudb's `createdat`). */
  readonly createdAtMs: number;
  /** JSON fields we do not interpret (e.g. immudb's sqlPrivileges), kept verbatim. */
  readonly unknownJson: Readonly<Record<string, unknown>>;
}

export function userKey(username: string): Buffer {
  return Buffer.concat([Buffer.of(USER_KEY_PREFIX), Buffer.from(username, 'utf8')]);
}

export function databaseSettingsKey(database: string): Buffer {
  return Buffer.concat([Buffer.of(DATABASE_SETTINGS_KEY_PREFIX), Buffer.from(database, 'utf8')]);
}

export function newUser(args: {
  readonly username: string;
  readonly hashedPassword: string;
  readonly permissions: readonly UserPermission[];
  readonly createdBy: string;
  readonly atMs: number;
}): UserRecord {
  const { atMs, ...rest } = args;
  return { ...rest, active: true, createdAtMs: atMs, unknownJson: {} };
}

export function permissionOn(user: UserRecord, database: string): PermissionCode | undefined {
  return user.permissions.find((p) => p.database === database)?.permission;
}

/** One permission per (user, database): a grant replaces, a revoke removes. */
export function withPermission(
  user: UserRecord,
  change: { readonly action: 'grant' | 'revoke'; readonly database: string; readonly permission: PermissionCode },
  by: string,
  atMs: number,
): { readonly user: UserRecord; readonly changed: boolean } {
  const others = user.permissions.filter((p) => p.database !== change.database);
  const before = permissionOn(user, change.database);
  const permissions = change.action === 'grant' ? [...others, { permission: change.permission, database: change.database }] : others;
  const changed = change.action === 'grant' ? before !== change.permission : before !== undefined;
  if (!changed) return { user, changed };
  return { user: { ...user, permissions, createdBy: by, createdAtMs: atMs, unknownJson: withoutSql(user) }, changed };
}

export function withPassword(user: UserRecord, hashedPassword: string, by: string, atMs: number): UserRecord {
  return { ...user, hashedPassword, createdBy: by, createdAtMs: atMs };
}

export function withActive(user: UserRecord, active: boolean, by: string, atMs: number): UserRecord {
  return { ...user, active, createdBy: by, createdAtMs: atMs };
}

/** immudb's SQL privileges follow the permission; dropping stale ones makes us write fresh defaults. */
function withoutSql(user: UserRecord): Readonly<Record<string, unknown>> {
  const { sqlPrivileges: _s, hasPrivileges: _h, ...rest } = user.unknownJson;
  return rest;
}

const SQL_PRIVILEGES_ALL = ['SELECT', 'CREATE', 'INSERT', 'UPDATE', 'DELETE', 'DROP', 'ALTER'] as const;

/** immudb's default SQL privileges for a permission: read -> SELECT; anything more -> all seven. */
function defaultSqlPrivileges(permissions: readonly UserPermission[]): { privilege: string; database: string }[] {
  return permissions.flatMap((p) =>
    (p.permission === Permission.READ ? ['SELECT'] : SQL_PRIVILEGES_ALL).map((privilege) => ({ privilege, database: p.database })),
  );
}

export function userToJson(u: UserRecord): Buffer {
  const doc: Record<string, unknown> = {
    sqlPrivileges: defaultSqlPrivileges(u.permissions),
    hasPrivileges: true,
    ...u.unknownJson,
    username: u.username,
    hashedpassword: Buffer.from(u.hashedPassword, 'utf8').toString('base64'),
    permissions: u.permissions.map((p) => ({ permission: p.permission, database: p.database })),
    active: u.active,
    createdBy: u.createdBy,
    createdat: new Date(u.createdAtMs).toISOString(),
  };
  return Buffer.from(JSON.stringify(doc), 'utf8');
}

const KNOWN_USER_FIELDS = new Set(['username', 'hashedpassword', 'permissions', 'active', 'createdBy', 'createdat']);

export function userFromJson(bytes: Buffer): UserRecord {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw corrupted('not JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw corrupted('not an object');
  const d = doc as Record<string, unknown>;
  if (typeof d['username'] !== 'string' || typeof d['hashedpassword'] !== 'string') throw corrupted('username or hashedpassword missing');
  const createdAtMs = typeof d['createdat'] === 'string' ? Date.parse(d['createdat']) : 0;
  return {
    username: d['username'],
    hashedPassword: Buffer.from(d['hashedpassword'], 'base64').toString('utf8'),
    permissions: parsePermissions(d['permissions']),
    active: d['active'] === true,
    createdBy: typeof d['createdBy'] === 'string' ? d['createdBy'] : '',
    createdAtMs: Number.isNaN(createdAtMs) ? 0 : createdAtMs,
    unknownJson: Object.fromEntries(Object.entries(d).filter(([k]) => !KNOWN_USER_FIELDS.has(k))),
  };
}

function parsePermissions(v: unknown): UserPermission[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw corrupted('permissions is not a list');
  return v.map((p: unknown) => {
    const r = p as Record<string, unknown> | null;
    const code = r?.['permission'];
    const database = r?.['database'];
    if (!isPermissionCode(code) || typeof database !== 'string') throw corrupted('bad permission entry');
    return { permission: code, database };
  });
}

function corrupted(what: string): ImmuError {
  return new ImmuError('CORRUPTED_DATA', `stored user record: ${what}`);
}
