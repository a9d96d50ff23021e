// An in-memory ProofHistory: headers in id order plus a MemoryAhtree over their Alhs. Used by tests and
// by anything that holds a whole (small) history in memory, e.g. a client replaying exported headers.
// append() checks the chain like a replica does (id, prevAlh, blRoot = root(blTxId)); no persistence.
import { ImmuError } from '../common/errors.js';
import { MemoryAhtree } from './ahtree.js';
import { EMPTY_HASH } from './hash.js';
import type { ProofHistory } from './linear-proof.js';
import { txAlh, type TxHeader } from './tx-header.js';

export class MemoryProofHistory implements ProofHistory {
  readonly aht = new MemoryAhtree();
  readonly #headers: TxHeader[] = [];
  #lastAlh: Buffer = EMPTY_HASH;

  /** Number of txs held; also the id of the last one. */
  get size(): number {
    return this.#headers.length;
  }

  /** Alh of the last tx (EMPTY for an empty history). */
  get lastAlh(): Buffer {
    return this.#lastAlh;
  }

  /** Appends the next tx; throws CORRUPTED_DATA when it does not chain onto the history. Returns its Alh. */
  append(h: TxHeader): Buffer {
    const expectedId = this.#headers.length + 1;
    if (h.id !== expectedId) throw new ImmuError('CORRUPTED_DATA', `expected tx ${expectedId}, got tx ${h.id}`);
    if (!h.prevAlh.equals(this.#lastAlh)) throw new ImmuError('CORRUPTED_DATA', `tx ${h.id} prevAlh does not match Alh of tx ${h.id - 1}`);
    if (!Number.isSafeInteger(h.blTxId) || h.blTxId < 0 || h.blTxId >= h.id) {
      throw new ImmuError('CORRUPTED_DATA', `tx ${h.id} has blTxId ${h.blTxId}`);
    }
    const expectedRoot = h.blTxId === 0 ? Buffer.alloc(32) : this.aht.root(h.blTxId);
    if (!h.blRoot.equals(expectedRoot)) throw new ImmuError('CORRUPTED_DATA', `tx ${h.id} blRoot is not the ahtree root at ${h.blTxId}`);
    const alh = txAlh(h);
    this.#headers.push(h);
    this.aht.append(alh);
    this.#lastAlh = alh;
    return alh;
  }

  async txHeader(id: number): Promise<TxHeader> {
    const h = Number.isSafeInteger(id) && id >= 1 ? this.#headers[id - 1] : undefined;
    if (h === undefined) throw new ImmuError('TX_NOT_FOUND', `tx ${id} is not in this history`);
    return h;
  }
}
