// Test support: real histories built with src/proof hashing (entry digests, Eh, BlRoot from an in-memory
// ahtree, the Alh chain), their export payloads, and the forgeries the scenarios feed a replica.
// Nothing here is a fake hash: a tx built here verifies exactly as one from the store would.
import { ZERO32 } from '../../../src/common/bytes.js';
import {
  EMPTY_HASH,
  encodeTxHeaderExport,
  entryDigestV1,
  htreeRoot,
  MemoryAhtree,
  sha256,
  txAlh,
  type TxHeader,
} from '../../../src/proof/index.js';
import type { TxRef } from '../types.js';

export interface TestEntry {
  readonly key: Buffer;
  readonly value: Buffer;
}

export interface TestTx {
  readonly header: TxHeader;
  readonly entries: readonly TestEntry[];
  readonly alh: Buffer;
}

export function encodeExport(header: TxHeader, entries: readonly TestEntry[]): Buffer {
  const hdr = encodeTxHeaderExport(header);
  const parts: Buffer[] = [Buffer.alloc(4), hdr];
  (parts[0] as Buffer).writeUInt32BE(hdr.length, 0);
  for (const e of entries) {
    const k = Buffer.alloc(2);
    k.writeUInt16BE(e.key.length, 0);
    const v = Buffer.alloc(4);
    v.writeUInt32BE(e.value.length, 0);
    parts.push(k, e.key, Buffer.from([0, 0]), v, e.value);
  }
  parts.push(Buffer.from([0, 1, 0]));
  return Buffer.concat(parts);
}

export function computeEh(entries: readonly TestEntry[]): Buffer {
  return htreeRoot(entries.map((e) => entryDigestV1(e.key, Buffer.alloc(0), sha256(e.value))));
}

export class TestHistory {
  readonly name: string;
  readonly #txs: TestTx[] = [];
  readonly #aht = new MemoryAhtree();

  constructor(name: string) {
    this.name = name;
  }

  get size(): number {
    return this.#txs.length;
  }

  /** Appends `count` txs; `salt` makes values differ between forks. */
  append(count: number, salt: string): this {
    for (let i = 0; i < count; i++) this.#push(this.#build(this.size + 1, salt));
    return this;
  }

  /** A new history sharing this one's first `atTxId` txs. */
  fork(name: string, atTxId: number): TestHistory {
    const h = new TestHistory(name);
    for (const tx of this.#txs.slice(0, atTxId)) h.#push(tx);
    return h;
  }

  tx(txId: number): TestTx {
    const tx = this.#txs[txId - 1];
    if (tx === undefined) throw new RangeError(`history ${this.name} has no tx ${txId}`);
    return tx;
  }

  alhAt(txId: number): Buffer {
    return txId === 0 ? EMPTY_HASH : this.tx(txId).alh;
  }

  ref(txId: number): TxRef {
    return { txId, alh: this.alhAt(txId) };
  }

  payload(txId: number): Buffer {
    const tx = this.tx(txId);
    return encodeExport(tx.header, tx.entries);
  }

  #build(id: number, salt: string): TestTx {
    const entries: TestEntry[] = [
      { key: Buffer.from(`key-${id}`), value: Buffer.from(`${salt}-value-${id}`) },
      { key: Buffer.from(`other-${id}`), value: Buffer.from(`${salt}-other-${id}`) },
    ];
    const header: TxHeader = {
      id,
      ts: 1_700_000_000 + id,
      blTxId: id - 1,
      blRoot: id === 1 ? ZERO32 : this.#aht.root(id - 1),
      prevAlh: this.alhAt(id - 1),
      version: 1,
      metadata: undefined,
      nEntries: entries.length,
      eh: computeEh(entries),
    };
    return { header, entries, alh: txAlh(header) };
  }

  #push(tx: TestTx): void {
    this.#txs.push(tx);
    this.#aht.append(tx.alh);
  }
}

export type Forgery = 'value' | 'ts' | 'eh' | 'truncate';

/** A tampered export of `tx`: value flipped (Eh no longer matches), ts changed (Alh changes, chain intact), Eh replaced, or cut short. */
export function forgedPayload(tx: TestTx, forgery: Forgery): Buffer {
  switch (forgery) {
    case 'value': {
      const entries = tx.entries.map((e, i) => (i === 0 ? { key: e.key, value: Buffer.from(`${e.value.toString()}!`) } : e));
      return encodeExport(tx.header, entries);
    }
    case 'ts':
      return encodeExport({ ...tx.header, ts: tx.header.ts + 1 }, tx.entries);
    case 'eh': {
      const entries = tx.entries.map((e, i) => (i === 0 ? { key: e.key, value: Buffer.from('forged') } : e));
      return encodeExport({ ...tx.header, eh: computeEh(entries) }, entries);
    }
    case 'truncate':
      return encodeExport(tx.header, tx.entries).subarray(0, 60);
  }
}
