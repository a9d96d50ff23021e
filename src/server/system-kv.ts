// Adapts systemdb's Database to the SystemKv slice the user/settings store needs. Writes wait for the
// index (read-your-writes, as immudb's saveUser does); scans page through the whole prefix so listing
// never silently stops at the per-call scan cap.
import { isImmuError } from '../common/errors.js';
import { scanResultsMax } from '../common/limits.js';
import type { Database } from '../database/database.js';
import type { SystemKv } from './user-store.js';

export class DatabaseSystemKv implements SystemKv {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  committedTxId(): number {
    return this.#db.currentState().txId;
  }

  async set(key: Buffer, value: Buffer): Promise<void> {
    await this.#db.set({ kvs: [{ key, value }] });
  }

  async get(key: Buffer): Promise<Buffer | undefined> {
    try {
      return (await this.#db.get({ key })).value;
    } catch (err) {
      if (isImmuError(err, 'KEY_NOT_FOUND')) return undefined;
      throw err;
    }
  }

  async scan(prefix: Buffer): Promise<{ key: Buffer; value: Buffer }[]> {
    const rows: { key: Buffer; value: Buffer }[] = [];
    let seekKey: Buffer | undefined;
    for (;;) {
      const page = await this.#db.scan({ prefix, ...(seekKey === undefined ? {} : { seekKey }), limit: scanResultsMax });
      for (const e of page) rows.push({ key: e.key, value: e.value });
      if (page.length < scanResultsMax) return rows;
      seekKey = page[page.length - 1]?.key;
    }
  }

  async delete(key: Buffer): Promise<void> {
    await this.#db.delete({ keys: [key] });
  }
}
