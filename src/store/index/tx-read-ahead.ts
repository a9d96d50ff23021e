// Reads committed txs from the IndexSource in id order while keeping several reads in flight, so the
// indexer overlaps log reads with its lmdb commits. Never reads past the id it is told is committed.
// A failed read surfaces when that tx is taken, in order; reads queued behind it are dropped.
// On the live path every tx is still in memory as its packed record: next() then hands it over
// synchronously, with no promise per tx; reads from the log are queued ahead and awaited.
import { ImmuError } from '../../common/errors.js';
import { indexTxId, type IndexTx } from './index-batch.js';
import type { IndexSource } from './key-index.js';

export class TxReadAhead {
  readonly #source: IndexSource;
  readonly #windowTxs: number;
  /** Requested txs from nextTxId on: records already in hand, or reads in flight. */
  readonly #queue: Array<IndexTx | Promise<IndexTx>> = [];
  #nextToRequest: number;
  #nextToTake: number;

  constructor(source: IndexSource, fromTxId: number, windowTxs: number) {
    this.#source = source;
    this.#windowTxs = windowTxs;
    this.#nextToRequest = fromTxId;
    this.#nextToTake = fromTxId;
  }

  /** The id the next call of next() returns. */
  get nextTxId(): number {
    return this.#nextToTake;
  }

  /**
   * Takes the next tx (id nextTxId, which must be <= lastTxId): the tx itself when it is in memory,
   * else a promise of it; tops reads up to lastTxId. Throws (or rejects) what its read failed with.
   */
  next(lastTxId: number): IndexTx | Promise<IndexTx> {
    const txId = this.#nextToTake;
    if (this.#queue.length === 0 && txId <= lastTxId) {
      const record = this.#source.readRecordForIndex?.(txId);
      if (record !== undefined) {
        this.#nextToTake++;
        this.#nextToRequest++;
        return checked(record, txId);
      }
    }
    while (this.#queue.length < this.#windowTxs && this.#nextToRequest <= lastTxId) {
      this.#queue.push(this.#request(this.#nextToRequest++));
    }
    const next = this.#queue.shift();
    if (next === undefined) throw new ImmuError('INTERNAL', `tx ${txId} is beyond the committed tx ${lastTxId}`);
    this.#nextToTake++;
    return next instanceof Promise ? next.then((tx) => checked(tx, txId)) : checked(next, txId);
  }

  #request(txId: number): IndexTx | Promise<IndexTx> {
    const record = this.#source.readRecordForIndex?.(txId);
    if (record !== undefined) return record;
    const p: Promise<IndexTx> = Promise.resolve().then(() => this.#source.readTxForIndex(txId));
    p.catch(() => undefined); // observed when taken; this only keeps queued failures from being "unhandled"
    return p;
  }
}

function checked(tx: IndexTx, txId: number): IndexTx {
  if (indexTxId(tx) !== txId) {
    throw new ImmuError('CORRUPTED_DATA', `index source returned tx ${indexTxId(tx)} when asked for tx ${txId}`, { txId });
  }
  return tx;
}
