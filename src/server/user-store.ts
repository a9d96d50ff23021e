// Persistence of users (key 0x01 + username) and user-database settings (key 0x02 + name) in
// systemdb, through the tiny SystemKv seam so it runs on the real Database (adapted by the
// composition root) and on an in-memory double in tests. Settings of systemdb and defaultdb are never
// stored (they come from server flags), as in immudb. systemdb is the source of truth; user records are
// cached in memory because every RPC looks its caller up. A cached record is served only while
// systemdb's committed tx id is the one read before the record was fetched: any systemdb commit (our own
// writes, or txs a replica receives by replication) invalidates the whole cache, and writes through
// this store also drop the entry they change.
import { assert } from '../common/assert.js';
import { ImmuError } from '../common/errors.js';
import { isReservedDatabaseName, SYSADMIN_USERNAME } from './names.js';
import type { PasswordHasher } from './password-hash.js';
import { ALL_DATABASES, Permission } from './permissions.js';
import type { DatabaseSettings, ServerSettingsDefaults } from './settings.js';
import { settingsFromJson, settingsToJson } from './settings-json.js';
import {
  DATABASE_SETTINGS_KEY_PREFIX,
  databaseSettingsKey,
  newUser,
  USER_KEY_PREFIX,
  userFromJson,
  userKey,
  userToJson,
  type UserRecord,
} from './users.js';

/**
 * The slice of a database the control plane needs. `set` must be durable and visible to `get` and
 * `scan` when its promise resolves (the adapter waits for systemdb's index, as immudb's saveUser
 * does). `delete` is a logical delete: `get` returns undefined and `scan` skips the key afterwards.
 */
export interface SystemKv {
  /**
   * systemdb's committed tx id: it changes with every commit, whoever made it (this node or
   * replication). `get` reflects at least every tx up to the id read before it was called.
   */
  committedTxId(): number;
  set(key: Buffer, value: Buffer): Promise<void>;
  get(key: Buffer): Promise<Buffer | undefined>;
  scan(prefix: Buffer): Promise<{ key: Buffer; value: Buffer }[]>;
  delete(key: Buffer): Promise<void>;
}

/** A user record fetched when systemdb's committed tx id was `atTxId` (undefined: no such user). */
interface CachedUser {
  readonly atTxId: number;
  readonly user: UserRecord | undefined;
}

/** Users cached at most; beyond this the cache is cleared (a node with more users just reads more). */
export const userCacheEntriesMax = 10_000;

export class UserStore {
  readonly #kv: SystemKv;
  readonly #defaults: ServerSettingsDefaults;
  readonly #users = new Map<string, CachedUser>();

  constructor(kv: SystemKv, defaults: ServerSettingsDefaults) {
    this.#kv = kv;
    this.#defaults = defaults;
  }

  /** The user as systemdb holds it; served from memory while no systemdb tx committed since it was read. */
  async getUser(username: string): Promise<UserRecord | undefined> {
    const atTxId = this.#kv.committedTxId();
    const cached = this.#users.get(username);
    if (cached !== undefined && cached.atTxId === atTxId) return cached.user;
    const v = await this.#kv.get(userKey(username));
    const user = v === undefined ? undefined : frozenUser(userFromJson(v));
    const now = this.#users.get(username);
    // keep whichever read is newer (a slower concurrent read must not replace a fresher one)
    if (now === undefined || now.atTxId <= atTxId) {
      if (this.#users.size >= userCacheEntriesMax) this.#users.clear();
      this.#users.set(username, { atTxId, user });
    }
    return user;
  }

  async putUser(user: UserRecord): Promise<void> {
    this.#users.delete(user.username);
    try {
      await this.#kv.set(userKey(user.username), userToJson(user));
    } finally {
      // a read that raced with the write may have cached the old record under an older tx id; the
      // commit changed the tx id, so it would not be served, but drop it anyway
      this.#users.delete(user.username);
    }
  }

  async listUsers(): Promise<UserRecord[]> {
    const rows = await this.#kv.scan(Buffer.of(USER_KEY_PREFIX));
    return rows.map((r) => userFromJson(r.value));
  }

  /**
   * First start: create `immudb` with sysadmin (255 on `*`) unless it exists. With `force`, reset its
   * password when it differs (--force-admin-password). Returns what it did.
   */
  async ensureAdminUser(
    password: string,
    hasher: PasswordHasher,
    atMs: number,
    force = false,
  ): Promise<'created' | 'password-reset' | 'unchanged'> {
    if (password === '') throw new ImmuError('PASSWORD_WEAK', 'the admin password is empty');
    const existing = await this.getUser(SYSADMIN_USERNAME);
    if (existing === undefined) {
      const hashedPassword = await hasher.hash(password);
      const permissions = [{ permission: Permission.SYS_ADMIN, database: ALL_DATABASES }];
      await this.putUser(newUser({ username: SYSADMIN_USERNAME, hashedPassword, permissions, createdBy: SYSADMIN_USERNAME, atMs }));
      return 'created';
    }
    if (!force || (await hasher.verify(password, existing.hashedPassword))) return 'unchanged';
    const hashedPassword = await hasher.hash(password);
    await this.putUser({ ...existing, hashedPassword, createdBy: SYSADMIN_USERNAME, createdAtMs: atMs });
    return 'password-reset';
  }

  async getDatabaseSettings(database: string): Promise<DatabaseSettings | undefined> {
    const v = await this.#kv.get(databaseSettingsKey(database));
    return v === undefined ? undefined : settingsFromJson(v, this.#defaults).settings;
  }

  async putDatabaseSettings(database: string, settings: DatabaseSettings): Promise<void> {
    assert(!isReservedDatabaseName(database), 'settings of systemdb/defaultdb are never persisted');
    await this.#kv.set(databaseSettingsKey(database), settingsToJson(database, settings));
  }

  async deleteDatabaseSettings(database: string): Promise<void> {
    assert(!isReservedDatabaseName(database), 'settings of systemdb/defaultdb are never persisted');
    await this.#kv.delete(databaseSettingsKey(database));
  }

  async listDatabaseSettings(): Promise<{ database: string; settings: DatabaseSettings }[]> {
    const rows = await this.#kv.scan(Buffer.of(DATABASE_SETTINGS_KEY_PREFIX));
    return rows.map((r) => ({
      database: r.key.subarray(1).toString('utf8'),
      settings: settingsFromJson(r.value, this.#defaults).settings,
    }));
  }
}

/** Cached records are shared by every caller: freeze them so no caller can change another's view. */
function frozenUser(u: UserRecord): UserRecord {
  for (const p of u.permissions) Object.freeze(p);
  Object.freeze(u.permissions);
  Object.freeze(u.unknownJson);
  return Object.freeze(u);
}
