import { describe, expect, it } from 'vitest';
import { ImmuError } from '../common/errors.js';
import {
  checkDatabaseAccess,
  checkDatabaseAdmin,
  checkMethodAccess,
  isSysadmin,
  METHOD_ACCESS,
  visibleDatabases,
  type Principal,
} from './permissions.js';

function user(username: string, permissions: [number, string][] = [], active = true): Principal {
  return { username, active, permissions: permissions.map(([permission, database]) => ({ permission, database })) };
}

const immudb = user('immudb', [[255, '*']]);
const sys2 = user('sys2', [[255, '*']]);
const reader = user('reader', [[1, 'db1']]);
const writer = user('writer', [[2, 'db1']]);
const admin = user('admin', [[254, 'db1']]);
const db255 = user('db255', [[255, 'db1']]); // immudb lets you grant this; here it is admin of db1 only
const sysAdminOfSystemdb = user('replsys', [[254, 'systemdb']]);

function outcome(fn: () => void): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (e instanceof ImmuError) return e.code;
    throw e;
  }
}

describe('sysadmin', () => {
  it.each<[string, Principal, boolean]>([
    ['immudb', immudb, true],
    ['immudb even without a stored grant', user('immudb'), true],
    ['255 on *', sys2, true],
    ['255 on one database', db255, false],
    ['admin', admin, false],
    ['inactive 255 on *', user('x', [[255, '*']], false), false],
  ])('%s', (_why, p, want) => {
    expect(isSysadmin(p)).toBe(want);
  });
});

describe('method access table (spec 2.5)', () => {
  const readMethods = ['Get', 'VerifiableGet', 'Scan', 'ZScan', 'History', 'TxById', 'VerifiableTxById', 'TxScan', 'Count', 'CurrentState', 'GetDatabaseSettingsV2', 'GetAll'];
  const writeMethods = ['Set', 'VerifiableSet', 'Delete', 'ExecAll', 'SetReference', 'VerifiableSetReference', 'ZAdd', 'VerifiableZAdd'];
  const adminMethods = ['exportTx', 'streamExportTx', 'replicateTx', 'FlushIndex', 'CompactIndex', 'Dump'];
  const sysadminMethods = ['CreateDatabase', 'CreateDatabaseWith', 'CreateDatabaseV2'];

  const rows: [string, string, Principal | undefined, string | undefined, string][] = [];
  for (const m of readMethods) {
    rows.push([m, 'reader', reader, 'db1', 'ok'], [m, 'reader elsewhere', reader, 'db2', 'PERMISSION_DENIED']);
  }
  for (const m of writeMethods) {
    rows.push(
      [m, 'writer', writer, 'db1', 'ok'],
      [m, 'admin', admin, 'db1', 'ok'],
      [m, 'reader', reader, 'db1', 'PERMISSION_DENIED'],
      [m, 'sysadmin', immudb, 'db1', 'ok'],
    );
  }
  for (const m of adminMethods) {
    rows.push(
      [m, 'admin', admin, 'db1', 'ok'],
      [m, '255 on the db', db255, 'db1', 'ok'],
      [m, 'writer', writer, 'db1', 'PERMISSION_DENIED'],
      [m, 'sysadmin', sys2, 'db1', 'ok'],
    );
  }
  for (const m of sysadminMethods) {
    rows.push(
      [m, 'immudb', immudb, undefined, 'ok'],
      [m, 'granted sysadmin', sys2, undefined, 'ok'],
      [m, 'db admin', admin, undefined, 'PERMISSION_DENIED'],
      [m, '255 on one db', db255, undefined, 'PERMISSION_DENIED'],
    );
  }
  rows.push(
    ['Health', 'anonymous', undefined, undefined, 'ok'],
    ['ServerInfo', 'anonymous', undefined, undefined, 'ok'],
    ['Login', 'anonymous', undefined, undefined, 'ok'],
    ['OpenSession', 'anonymous', undefined, undefined, 'ok'],
    ['Get', 'anonymous', undefined, 'db1', 'UNAUTHENTICATED'],
    ['DatabaseListV2', 'anonymous', undefined, undefined, 'UNAUTHENTICATED'],
    ['DatabaseListV2', 'reader, no db selected', reader, undefined, 'ok'],
    ['Logout', 'reader', reader, undefined, 'ok'],
    ['UseDatabase', 'reader', reader, undefined, 'ok'],
    ['Get', 'reader, no db selected', reader, undefined, 'NO_DATABASE_SELECTED'],
    ['Get', 'inactive reader', user('r', [[1, 'db1']], false), 'db1', 'PERMISSION_DENIED'],
    ['NoSuchMethod', 'sysadmin', immudb, 'db1', 'PERMISSION_DENIED'],
    ['get', 'sysadmin, wrong case', immudb, 'db1', 'PERMISSION_DENIED'],
    ['__proto__', 'sysadmin', immudb, 'db1', 'PERMISSION_DENIED'],
    ['UpdateAuthConfig', 'admin', admin, undefined, 'PERMISSION_DENIED'],
    // systemdb is read-only from outside (2.6), for everyone
    ['Get', 'sysadmin on systemdb', immudb, 'systemdb', 'ok'],
    ['Scan', 'admin of systemdb', sysAdminOfSystemdb, 'systemdb', 'ok'],
    ['exportTx', 'admin of systemdb (replicating it)', sysAdminOfSystemdb, 'systemdb', 'ok'],
    ['Set', 'sysadmin on systemdb', immudb, 'systemdb', 'PERMISSION_DENIED'],
    ['ExecAll', 'sysadmin on systemdb', immudb, 'systemdb', 'PERMISSION_DENIED'],
    ['ZAdd', 'admin of systemdb', sysAdminOfSystemdb, 'systemdb', 'PERMISSION_DENIED'],
    ['Get', 'no permission on systemdb', reader, 'systemdb', 'PERMISSION_DENIED'],
  );

  it.each(rows)('%s by %s on %s -> %s', (method, _who, caller, db, want) => {
    expect(outcome(() => checkMethodAccess(method, caller, db))).toBe(want);
  });

  it('deviation: GetAll needs read only (immudb asks readwrite)', () => {
    expect(METHOD_ACCESS.get('GetAll')).toEqual({ kind: 'database', level: 'read' });
  });
});

describe('database-level checks', () => {
  it.each<[string, () => void, string]>([
    ['admin updates own db', () => checkDatabaseAdmin(admin, 'db1'), 'ok'],
    ['admin updates other db', () => checkDatabaseAdmin(admin, 'db2'), 'PERMISSION_DENIED'],
    ['writer updates db', () => checkDatabaseAdmin(writer, 'db1'), 'PERMISSION_DENIED'],
    ['sysadmin updates any db', () => checkDatabaseAdmin(sys2, 'db9'), 'ok'],
    ['reader uses db', () => checkDatabaseAccess(reader, 'db1'), 'ok'],
    ['reader uses other db', () => checkDatabaseAccess(reader, 'db2'), 'PERMISSION_DENIED'],
    ['sysadmin uses any db', () => checkDatabaseAccess(immudb, 'db2'), 'ok'],
  ])('%s', (_why, fn, want) => {
    expect(outcome(fn)).toBe(want);
  });

  it('DatabaseList: sysadmin sees all, others what they hold', () => {
    expect(visibleDatabases(immudb, ['db1', 'db2'])).toEqual(['db1', 'db2']);
    expect(visibleDatabases(reader, ['db1', 'db2'])).toEqual(['db1']);
    expect(visibleDatabases(user('nobody'), ['db1'])).toEqual([]);
  });
});
