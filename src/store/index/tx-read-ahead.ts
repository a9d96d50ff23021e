// Reads committed txs from the IndexSource in id order while keeping several reads in flight, so the
// indexer overlaps log reads with its lmdb commits. Never reads past the id it is told is committed.
// A failed read surfaces when that tx is taken, in order; reads queued behind it are dropped.
import { ImmuError } from '../../common/errors.js';
import { indexTxId, type IndexTx } from './index-batch.js';
import type { IndexSource } from './key-index.js';

export class TxReadAhead {
  readonly #source: IndexSource;
  readonly #windowTxs: number;
  readonly #queue: Promise<IndexTx>[] = [];
  #nextToRequest: number;
  #nextToTake: number;

  constructor(source: IndexSource, fromTxId: number, windowTxs: number) {
    this.#source = source;
    this.#windowTxs = windowTxs;
    this.#nextToRequest = fromTxId;
    this.#nextToTake = fromTxId;
  }

  /** The id the next take() returns. */
  get nextTxId(): number {
    return this.#nextToTake;
  }

  /** Takes the next tx (id nextTxId, which must be <= lastTxId), topping reads up to lastTxId. */
  async take(lastTxId: number): Promise<IndexTx> {
    while (this.#queue.length < this.#windowTxs && this.#nextToRequest <= lastTxId) {
      this.#queue.push(this.#request(this.#nextToRequest++));
    }
    const next = this.#queue.shift();
    if (next === undefined) throw new ImmuError('INTERNAL', `tx ${this.#nextToTake} is beyond the committed tx ${lastTxId}`);
    const txId = this.#nextToTake++;
    const tx = await next;
    if (indexTxId(tx) !== txId) {
      throw new ImmuError('CORRUPTED_DATA', `index source returned tx ${indexTxId(tx)} when asked for tx ${txId}`, { txId });
    }
    return tx;
  }

  #request(txId: number): Promise<IndexTx> {
    const record = this.#source.readRecordForIndex?.(txId);
    if (record !== undefined) return Promise.resolve(record);
    const p: Promise<IndexTx> = Promise.resolve().then(() => this.#source.readTxForIndex(txId));
    p.catch(() => undefined); // observed when taken; this only keeps queued failures from being "unhandled"
    return p;
  }
}
