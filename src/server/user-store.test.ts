import { describe, expect, it } from 'vitest';
import { InvariantViolation } from '../common/assert.js';
import { BcryptPasswordHasher, type PasswordHasher } from './password-hash.js';
import { createDatabaseSettings } from './settings.js';
import { MemorySystemKvTestDouble } from './testing/memory-system-kv.js';
import { UserStore } from './user-store.js';
import { newUser, userKey, withPermission } from './users.js';

const fastHasher: PasswordHasher = {
  hash: async (pw) => `h:${pw}`,
  verify: async (pw, h) => h === `h:${pw}`,
};
const defaults = { writeTxHeaderVersion: 1 } as const;

describe('UserStore', () => {
  it('stores users under 0x01 + username as immudb JSON, lists them', async () => {
    const kv = new MemorySystemKvTestDouble();
    const store = new UserStore(kv, defaults);
    const bob = newUser({ username: 'bob', hashedPassword: 'h:x', permissions: [{ permission: 1, database: 'db1' }], createdBy: 'immudb', atMs: 1 });
    await store.putUser(bob);
    expect((await kv.get(Buffer.concat([Buffer.of(1), Buffer.from('bob')])))?.toString()).toContain('"username":"bob"');
    expect(await store.getUser('bob')).toMatchObject({ username: 'bob', permissions: [{ permission: 1, database: 'db1' }] });
    expect(await store.getUser('nobody')).toBeUndefined();
    await store.putUser(withPermission(bob, { action: 'grant', database: 'db2', permission: 2 }, 'immudb', 2).user);
    expect((await store.listUsers()).map((u) => u.username)).toEqual(['bob']);
    expect((await store.getUser('bob'))?.permissions).toHaveLength(2);
    expect(userKey('bob')[0]).toBe(1);
  });

  it('bootstraps immudb as sysadmin once; force resets a different password only', async () => {
    const kv = new MemorySystemKvTestDouble();
    const store = new UserStore(kv, defaults);
    expect(await store.ensureAdminUser('immudb', fastHasher, 10)).toBe('created');
    expect(await store.getUser('immudb')).toMatchObject({ permissions: [{ permission: 255, database: '*' }], active: true });
    expect(await store.ensureAdminUser('other', fastHasher, 11)).toBe('unchanged');
    const writes = kv.writes;
    expect(await store.ensureAdminUser('immudb', fastHasher, 12, true)).toBe('unchanged');
    expect(kv.writes).toBe(writes);
    expect(await store.ensureAdminUser('n3w', fastHasher, 13, true)).toBe('password-reset');
    expect((await store.getUser('immudb'))?.hashedPassword).toBe('h:n3w');
    await expect(store.ensureAdminUser('', fastHasher, 14)).rejects.toMatchObject({ code: 'PASSWORD_WEAK' });
  });

  it('serves users from memory until systemdb commits anything, including txs it did not write', async () => {
    const kv = new MemorySystemKvTestDouble();
    const store = new UserStore(kv, defaults);
    const bob = newUser({ username: 'bob', hashedPassword: 'h:x', permissions: [], createdBy: 'immudb', atMs: 1 });
    await store.putUser(bob);
    const gets = kv.gets;
    const first = await store.getUser('bob');
    expect(await store.getUser('bob')).toBe(first);
    expect(await store.getUser('nobody')).toBeUndefined();
    expect(await store.getUser('nobody')).toBeUndefined();
    expect(kv.gets).toBe(gets + 2);
    expect(Object.isFrozen(first) && Object.isFrozen(first?.permissions)).toBe(true);
    // a write through the store: the next read sees it
    await store.putUser({ ...bob, active: false });
    expect((await store.getUser('bob'))?.active).toBe(false);
    // a commit that did not go through this store (a replica receiving systemdb by replication)
    await kv.set(userKey('bob'), Buffer.from(JSON.stringify({ username: 'bob', hashedpassword: 'aDp5', permissions: [], active: true, createdby: 'immudb', createdat: '1970-01-01T00:00:00Z' })));
    expect((await store.getUser('bob'))?.active).toBe(true);
    await kv.set(userKey('carol'), Buffer.from(JSON.stringify({ username: 'carol', hashedpassword: 'aDp5', permissions: [], active: true, createdby: 'immudb', createdat: '1970-01-01T00:00:00Z' })));
    expect((await store.getUser('carol'))?.username).toBe('carol');
  });

  it('with real bcrypt: the stored admin hash verifies', async () => {
    const hasher = new BcryptPasswordHasher(4);
    const store = new UserStore(new MemorySystemKvTestDouble(), defaults);
    await store.ensureAdminUser('s3cret', hasher, 0);
    const hash = (await store.getUser('immudb'))?.hashedPassword ?? '';
    expect(hash).toMatch(/^\$2b\$04\$/);
    expect(await hasher.verify('s3cret', hash)).toBe(true);
    expect(await hasher.verify('wrong', hash)).toBe(false);
    expect(await hasher.verify('s3cret', hash.replace('$2b$', '$2a$'))).toBe(true); // immudb's Go hashes
    expect(await hasher.verify('x', 'not a hash')).toBe(false);
    expect(await hasher.verify('a'.repeat(80), hash)).toBe(false);
  });

  it('persists database settings under 0x02 + name; delete; list; reserved never stored', async () => {
    const kv = new MemorySystemKvTestDouble();
    const store = new UserStore(kv, defaults);
    const s = createDatabaseSettings(defaults, { maxKeyLen: 100 }, { by: 'immudb', atMs: 5 });
    await store.putDatabaseSettings('db1', s);
    await store.putDatabaseSettings('db2', s);
    expect(await store.getDatabaseSettings('db1')).toEqual(s);
    expect((await store.listDatabaseSettings()).map((r) => r.database)).toEqual(['db1', 'db2']);
    await store.deleteDatabaseSettings('db1');
    expect(await store.getDatabaseSettings('db1')).toBeUndefined();
    expect((await store.listDatabaseSettings()).map((r) => r.database)).toEqual(['db2']);
    await expect(store.putDatabaseSettings('systemdb', s)).rejects.toBeInstanceOf(InvariantViolation);
    await expect(store.putDatabaseSettings('defaultdb', s)).rejects.toBeInstanceOf(InvariantViolation);
    // users and settings do not mix in scans
    expect(await store.listUsers()).toEqual([]);
  });
});
