// TEST DOUBLE ONLY: SystemKv: an in-memory map with the same observable contract (set durable and
// visible at once, logical delete, prefix scan in key order). For unit tests only; production runs
// UserStore on systemdb through an adapter in the composition root. Counts writes so tests can check
// that no-op changes do not write.
import type { SystemKv } from '../user-store.js';

export class MemorySystemKvTestDouble implements SystemKv {
  readonly #map = new Map<string, Buffer>();
  writes = 0;
  /** Stands in for systemdb's committed tx id: one more per write. */
  txId = 0;
  /** Counts gets, so tests can check what the user cache serves. */
  gets = 0;

  committedTxId(): number {
    return this.txId;
  }

  async set(key: Buffer, value: Buffer): Promise<void> {
    this.writes += 1;
    this.txId += 1;
    this.#map.set(key.toString('hex'), Buffer.from(value));
  }

  async get(key: Buffer): Promise<Buffer | undefined> {
    this.gets += 1;
    const v = this.#map.get(key.toString('hex'));
    return v === undefined ? undefined : Buffer.from(v);
  }

  async scan(prefix: Buffer): Promise<{ key: Buffer; value: Buffer }[]> {
    return [...this.#map.entries()]
      .map(([k, v]) => ({ key: Buffer.from(k, 'hex'), value: Buffer.from(v) }))
      .filter((r) => r.key.subarray(0, prefix.length).equals(prefix))
      .sort((a, b) => Buffer.compare(a.key, b.key));
  }

  async delete(key: Buffer): Promise<void> {
    this.writes += 1;
    this.txId += 1;
    this.#map.delete(key.toString('hex'));
  }
}
