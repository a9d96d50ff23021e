// Who may create and change users (cluster spec 2.2), as pure functions
// (caller, target, request, context) -> allowed | denied. The handler loads the records, asks here,
// then applies the change with users.ts and persists it. Deliberate differences from immudb:
// - sysadmin is `immudb` or 255 on `*`; only a sysadmin grants or revokes it, only on `*`;
// - anyone may change their OWN password, always giving the old one (immudb forbids it to
//   read/readwrite users); changing `immudb`'s password also needs the old one;
// - nobody changes `immudb`'s permissions or active flag, nor their own;
// - a database admin may not touch a sysadmin's record.
import { ImmuError } from '../common/errors.js';
import { SYSADMIN_USERNAME, SYSTEMDB, validateNewPassword, validateUsername } from './names.js';
import {
  ALL_DATABASES,
  isAnyAdmin,
  isDatabaseAdmin,
  isPermissionCode,
  isSysadmin,
  levelOn,
  Permission,
  type PermissionCode,
  type Principal,
} from './permissions.js';
import type { UserRecord } from './users.js';

export type RuleResult =
  | { readonly kind: 'allowed'; readonly requireOldPassword: boolean }
  | { readonly kind: 'denied'; readonly error: ImmuError };

export interface RuleContext {
  /** Whether a user database (or defaultdb) exists; systemdb and `*` are handled here. */
  readonly databaseExists: (name: string) => boolean;
}

const ALLOWED: RuleResult = { kind: 'allowed', requireOldPassword: false };

function deny(code: 'PERMISSION_DENIED' | 'USER_EXISTS' | 'USER_NOT_FOUND' | 'INVALID_ARGUMENT' | 'DATABASE_NOT_FOUND', message: string): RuleResult {
  return { kind: 'denied', error: new ImmuError(code, message) };
}

/** Throw the error of a denied result; return the allowed one. */
export function enforce(r: RuleResult): Extract<RuleResult, { kind: 'allowed' }> {
  if (r.kind === 'denied') throw r.error;
  return r;
}

/** Input validation shared by rules; returns the denial or undefined. */
function badInput(fn: () => void): RuleResult | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (e instanceof ImmuError) return { kind: 'denied', error: e };
    throw e;
  }
}

/** The (database, permission) pair a grant or a creation names: valid codes, and where they may go. */
function checkGrantTarget(
  caller: Principal,
  database: string,
  permission: number,
  ctx: RuleContext,
  mustExist = true,
): RuleResult | undefined {
  if (!isPermissionCode(permission)) return deny('INVALID_ARGUMENT', `unknown permission ${permission}`);
  if (permission === Permission.SYS_ADMIN || database === ALL_DATABASES) {
    if (permission !== Permission.SYS_ADMIN || database !== ALL_DATABASES) {
      return deny('INVALID_ARGUMENT', `sysadmin (255) can only be granted on '${ALL_DATABASES}'`);
    }
    if (!isSysadmin(caller)) return deny('PERMISSION_DENIED', 'only a sysadmin may grant or revoke sysadmin');
    return undefined;
  }
  if (database === SYSTEMDB) {
    if (permission === Permission.READ_WRITE) return deny('PERMISSION_DENIED', 'readwrite on systemdb is not allowed');
  } else if (mustExist && !ctx.databaseExists(database)) {
    return deny('DATABASE_NOT_FOUND', `database '${database}' does not exist`);
  }
  if (!isDatabaseAdmin(caller, database)) {
    return deny('PERMISSION_DENIED', `only an admin of database '${database}' or a sysadmin may do this`);
  }
  return undefined;
}

export interface CreateUserRequest {
  readonly username: string;
  readonly password: string;
  readonly permission: number;
  readonly database: string;
}

/** CreateUser: caller sysadmin or admin of that database; new name, valid password and grant. */
export function canCreateUser(caller: Principal, existing: UserRecord | undefined, req: CreateUserRequest, ctx: RuleContext): RuleResult {
  if (!isAnyAdmin(caller)) return deny('PERMISSION_DENIED', 'only an admin or a sysadmin may create users');
  const bad = badInput(() => {
    validateUsername(req.username);
    validateNewPassword(req.password);
  });
  if (bad) return bad;
  if (req.database === '') return deny('INVALID_ARGUMENT', 'database is required');
  const grant = checkGrantTarget(caller, req.database, req.permission, ctx);
  if (grant) return grant;
  if (existing !== undefined) return deny('USER_EXISTS', `user '${req.username}' already exists`);
  return ALLOWED;
}

export interface ChangePasswordRequest {
  readonly username: string;
  readonly newPassword: string;
}

/**
 * ChangePassword. Allowed: yourself (old password required); a sysadmin for anyone (old password
 * required when the target is `immudb`); an admin for the non-sysadmin users they created.
 * The handler must verify the old password when `requireOldPassword` is set.
 */
export function canChangePassword(caller: Principal, target: UserRecord | undefined, req: ChangePasswordRequest): RuleResult {
  const self = req.username === caller.username;
  if (!self && !isAnyAdmin(caller)) return deny('PERMISSION_DENIED', 'you may only change your own password');
  const bad = badInput(() => validateNewPassword(req.newPassword));
  if (bad) return bad;
  if (target === undefined) return deny('USER_NOT_FOUND', `user '${req.username}' does not exist`);
  const requireOldPassword = self || target.username === SYSADMIN_USERNAME;
  if (self || isSysadmin(caller)) return { kind: 'allowed', requireOldPassword };
  if (isSysadmin(target)) return deny('PERMISSION_DENIED', 'only a sysadmin may change a sysadmin');
  if (target.createdBy !== caller.username) return deny('PERMISSION_DENIED', 'an admin may only change users they created');
  return { kind: 'allowed', requireOldPassword };
}

export interface ChangePermissionRequest {
  readonly action: 'grant' | 'revoke';
  readonly username: string;
  readonly database: string;
  readonly permission: number;
}

/** ChangePermission (grant replaces; revoke removes). */
export function canChangePermission(
  caller: Principal,
  target: UserRecord | undefined,
  req: ChangePermissionRequest,
  ctx: RuleContext,
): RuleResult {
  if (req.username === caller.username) return deny('PERMISSION_DENIED', 'you can not change your own permissions');
  if (req.username === SYSADMIN_USERNAME) return deny('PERMISSION_DENIED', `the permissions of '${SYSADMIN_USERNAME}' can not change`);
  const held = target?.permissions.find((p) => p.database === req.database)?.permission;
  const revoke = req.action === 'revoke';
  // A revoke acts on what the target holds there, even on a deleted database (cleanup).
  const permission = revoke && held !== undefined ? held : req.permission;
  const grant = checkGrantTarget(caller, req.database, permission, ctx, !(revoke && held !== undefined));
  if (grant) return grant;
  if (target === undefined) return deny('USER_NOT_FOUND', `user '${req.username}' does not exist`);
  if (!target.active) return deny('PERMISSION_DENIED', `user '${req.username}' is not active`);
  if (isSysadmin(target) && !isSysadmin(caller)) return deny('PERMISSION_DENIED', 'only a sysadmin may change a sysadmin');
  return ALLOWED;
}

export interface SetActiveRequest {
  readonly username: string;
  readonly active: boolean;
}

/** SetActiveUser: not yourself, never `immudb`; a sysadmin for anyone, an admin for users they created. */
export function canSetActive(caller: Principal, target: UserRecord | undefined, req: SetActiveRequest): RuleResult {
  if (!isAnyAdmin(caller)) return deny('PERMISSION_DENIED', 'only an admin or a sysadmin may activate or deactivate users');
  if (req.username === caller.username) return deny('PERMISSION_DENIED', 'you can not change your own active flag');
  if (req.username === SYSADMIN_USERNAME) return deny('PERMISSION_DENIED', `'${SYSADMIN_USERNAME}' can not be deactivated`);
  if (target === undefined) return deny('USER_NOT_FOUND', `user '${req.username}' does not exist`);
  if (isSysadmin(caller)) return ALLOWED;
  if (isSysadmin(target)) return deny('PERMISSION_DENIED', 'only a sysadmin may change a sysadmin');
  if (target.createdBy !== caller.username) return deny('PERMISSION_DENIED', 'an admin may only change users they created');
  return ALLOWED;
}

/**
 * ListUsers: a sysadmin sees everyone (inactive too); an admin of the selected database sees the
 * users holding any permission on it (and themselves); anyone else sees only themselves.
 */
export function visibleUsers(caller: Principal, users: readonly UserRecord[], selectedDatabase: string | undefined): UserRecord[] {
  if (isSysadmin(caller)) return [...users];
  const db = selectedDatabase;
  const admin = db !== undefined && levelOn(caller, db) === 'admin';
  return users.filter((u) => u.username === caller.username || (admin && u.permissions.some((p) => p.database === db)));
}

/** The permission code a validated grant carries (for the caller applying it). */
export function grantedCode(req: { readonly permission: number }): PermissionCode {
  if (!isPermissionCode(req.permission)) throw new ImmuError('INVALID_ARGUMENT', `unknown permission ${req.permission}`);
  return req.permission;
}
