// Permission codes, who is a sysadmin, and the RPC -> required access table (cluster spec 2.5) as
// data, with the systemdb read-only rule (2.6). `checkMethodAccess` is what the auth interceptor
// asks for every call once it knows the caller and the selected database. User-management rules
// (who may create or change whom) are in user-rules.ts; database lifecycle rules are here
// (`checkDatabaseAdmin`, `checkSysadmin`). Pure: no I/O, no clock.
import { ImmuError } from '../common/errors.js';
import { SYSADMIN_USERNAME, SYSTEMDB } from './names.js';

export const Permission = {
  READ: 1,
  READ_WRITE: 2,
  ADMIN: 254,
  SYS_ADMIN: 255,
} as const;
export type PermissionCode = (typeof Permission)[keyof typeof Permission];

/** The database of the bootstrap sysadmin grant, and of any sysadmin grant. */
export const ALL_DATABASES = '*';

export function isPermissionCode(v: unknown): v is PermissionCode {
  return v === 1 || v === 2 || v === 254 || v === 255;
}

/** What a method needs; see METHOD_ACCESS. */
export type MethodAccess =
  /** callable without logging in */
  | { readonly kind: 'public' }
  /** a logged-in caller; the handler applies its own rules (user-rules.ts, checkDatabaseAdmin...) */
  | { readonly kind: 'authenticated' }
  /** a selected database and at least this level on it */
  | { readonly kind: 'database'; readonly level: 'read' | 'readwrite' | 'admin' }
  | { readonly kind: 'sysadmin' };

/** The caller as the access rules see it. */
export interface Principal {
  readonly username: string;
  readonly permissions: readonly { readonly permission: number; readonly database: string }[];
  readonly active: boolean;
}

const PUBLIC: MethodAccess = { kind: 'public' };
const AUTHENTICATED: MethodAccess = { kind: 'authenticated' };
const READ: MethodAccess = { kind: 'database', level: 'read' };
const READ_WRITE: MethodAccess = { kind: 'database', level: 'readwrite' };
const ADMIN: MethodAccess = { kind: 'database', level: 'admin' };
const SYSADMIN: MethodAccess = { kind: 'sysadmin' };

/**
 * gRPC method name (ImmuService, as in the proto) -> access. Methods absent here are denied.
 * Deliberate differences from immudb: GetAll needs read (immudb wrongly asks readwrite); user
 * management and database lifecycle methods are 'authenticated' because their rules depend on the
 * request (target user, target database), not on the selected database.
 */
export const METHOD_ACCESS: ReadonlyMap<string, MethodAccess> = new Map<string, MethodAccess>([
  // no login
  ...(['Health', 'ServerInfo', 'Login', 'OpenSession'] as const).map((m) => [m, PUBLIC] as const),
  // logged in, no database needed; the handler applies request-dependent rules
  ...([
    'Logout', 'KeepAlive', 'CloseSession', 'UseDatabase', 'DatabaseList', 'DatabaseListV2',
    'ListUsers', 'CreateUser', 'ChangePassword', 'ChangePermission', 'SetActiveUser',
    'UpdateDatabase', 'UpdateDatabaseV2', 'LoadDatabase', 'UnloadDatabase', 'DeleteDatabase',
    'ReplicationStatus',
  ] as const).map((m) => [m, AUTHENTICATED] as const),
  // read
  ...([
    'Get', 'VerifiableGet', 'streamGet', 'streamVerifiableGet', 'GetAll', 'Scan', 'streamScan', 'ZScan',
    'streamZScan', 'History', 'streamHistory', 'TxById', 'VerifiableTxById', 'TxScan', 'streamTxScan',
    'Count', 'CountAll', 'CurrentState', 'DatabaseHealth', 'GetDatabaseSettings', 'GetDatabaseSettingsV2',
  ] as const).map((m) => [m, READ] as const),
  // readwrite
  ...([
    'Set', 'VerifiableSet', 'streamSet', 'streamVerifiableSet', 'Delete', 'ExecAll', 'streamExecAll',
    'SetReference', 'VerifiableSetReference', 'ZAdd', 'VerifiableZAdd',
  ] as const).map((m) => [m, READ_WRITE] as const),
  // admin of the selected database (replication credentials need this on the primary)
  ...(['Dump', 'FlushIndex', 'CompactIndex', 'exportTx', 'streamExportTx', 'replicateTx'] as const).map(
    (m) => [m, ADMIN] as const,
  ),
  // sysadmin
  ...(['CreateDatabase', 'CreateDatabaseWith', 'CreateDatabaseV2', 'UpdateAuthConfig', 'UpdateMTLSConfig'] as const).map(
    (m) => [m, SYSADMIN] as const,
  ),
]);

/** Methods allowed while systemdb is the selected database: reads and replication export. */
export const SYSTEMDB_METHODS: ReadonlySet<string> = new Set([
  'Get', 'VerifiableGet', 'streamGet', 'streamVerifiableGet', 'GetAll', 'Scan', 'streamScan', 'ZScan',
  'streamZScan', 'History', 'streamHistory', 'TxById', 'VerifiableTxById', 'TxScan', 'streamTxScan',
  'Count', 'CountAll', 'CurrentState', 'DatabaseHealth', 'GetDatabaseSettings', 'GetDatabaseSettingsV2',
  'exportTx', 'streamExportTx', 'replicateTx', 'Dump', 'FlushIndex', 'CompactIndex',
]);

/**
 * Sysadmin: the built-in `immudb` user, or a user holding 255 on `*`. Only a sysadmin can grant 255
 * and only on `*` (user-rules.ts), so every such grant traces back to `immudb`. A 255 on a single
 * database (immudb lets you grant that) is read as admin of that database, nothing more.
 */
export function isSysadmin(p: Principal): boolean {
  if (!p.active) return false;
  if (p.username === SYSADMIN_USERNAME) return true;
  return p.permissions.some((x) => x.permission === Permission.SYS_ADMIN && x.database === ALL_DATABASES);
}

/** The caller's level on one database, with 255-on-one-database folded into admin. */
export function levelOn(p: Principal, database: string): 'read' | 'readwrite' | 'admin' | undefined {
  const code = p.permissions.find((x) => x.database === database)?.permission;
  switch (code) {
    case Permission.READ:
      return 'read';
    case Permission.READ_WRITE:
      return 'readwrite';
    case Permission.ADMIN:
    case Permission.SYS_ADMIN:
      return 'admin';
    default:
      return undefined;
  }
}

const LEVEL_RANK = { read: 1, readwrite: 2, admin: 3 } as const;

/** Admin of that database (254), or sysadmin. */
export function isDatabaseAdmin(p: Principal, database: string): boolean {
  return isSysadmin(p) || levelOn(p, database) === 'admin';
}

/** Admin of at least one database, or sysadmin. */
export function isAnyAdmin(p: Principal): boolean {
  return isSysadmin(p) || p.permissions.some((x) => x.permission === Permission.ADMIN || x.permission === Permission.SYS_ADMIN);
}

/** Any access to the database (UseDatabase, OpenSession, DatabaseList filtering). */
export function hasDatabaseAccess(p: Principal, database: string): boolean {
  return isSysadmin(p) || levelOn(p, database) !== undefined;
}

/**
 * The per-call check: `caller` undefined means not logged in; `database` is the selected one.
 * Throws UNAUTHENTICATED, NO_DATABASE_SELECTED or PERMISSION_DENIED.
 */
export function checkMethodAccess(method: string, caller: Principal | undefined, database: string | undefined): void {
  const access = METHOD_ACCESS.get(method);
  if (access === undefined) throw new ImmuError('PERMISSION_DENIED', `method ${method} is not allowed`);
  if (access.kind === 'public') return;
  if (caller === undefined) throw new ImmuError('UNAUTHENTICATED', 'not logged in');
  if (!caller.active) throw new ImmuError('PERMISSION_DENIED', 'user is not active');
  if (access.kind === 'authenticated') return;
  if (access.kind === 'sysadmin') {
    checkSysadmin(caller);
    return;
  }
  if (database === undefined) throw new ImmuError('NO_DATABASE_SELECTED', 'no database selected: call UseDatabase first');
  if (database === SYSTEMDB && !SYSTEMDB_METHODS.has(method)) {
    throw new ImmuError('PERMISSION_DENIED', `${method} is not allowed on systemdb, which is read-only from outside`);
  }
  if (isSysadmin(caller)) return;
  const level = levelOn(caller, database);
  if (level === undefined || LEVEL_RANK[level] < LEVEL_RANK[access.level]) {
    throw new ImmuError('PERMISSION_DENIED', `${method} needs ${access.level} permission on database '${database}'`);
  }
}

export function checkSysadmin(caller: Principal): void {
  if (!isSysadmin(caller)) throw new ImmuError('PERMISSION_DENIED', 'only a sysadmin may do this');
}

/** Update, load, unload, delete of a database: its admin or a sysadmin. */
export function checkDatabaseAdmin(caller: Principal, database: string): void {
  if (!isDatabaseAdmin(caller, database)) {
    throw new ImmuError('PERMISSION_DENIED', `only an admin of database '${database}' or a sysadmin may do this`);
  }
}

/** UseDatabase / OpenSession: any permission on it, or sysadmin. */
export function checkDatabaseAccess(caller: Principal, database: string): void {
  if (!hasDatabaseAccess(caller, database)) {
    throw new ImmuError('PERMISSION_DENIED', `user has no permission on database '${database}'`);
  }
}

/** DatabaseList: a sysadmin sees all, others the databases they hold a permission on. */
export function visibleDatabases(caller: Principal, names: readonly string[]): string[] {
  if (isSysadmin(caller)) return [...names];
  return names.filter((n) => levelOn(caller, n) !== undefined);
}
