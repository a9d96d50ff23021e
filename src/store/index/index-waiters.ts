// Callers parked in waitForIndexedTx: each resolves once indexedTxId reaches its tx, or rejects on its
// timeout (TIMEOUT), when the index stalls (the stall's error) or closes (STORE_CLOSED). Nothing here
// decides when the index advances; the indexer calls advance()/failAll().
import { ImmuError } from '../../common/errors.js';

interface Waiter {
  readonly txId: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class IndexWaiters {
  readonly #waiters = new Set<Waiter>();

  get size(): number {
    return this.#waiters.size;
  }

  wait(txId: number, timeoutMs: number, indexedTxId: () => number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(
          new ImmuError('TIMEOUT', `index did not reach tx ${txId} within ${timeoutMs} ms (at tx ${indexedTxId()})`, {
            txId,
            indexedTxId: indexedTxId(),
          }),
        );
      }, timeoutMs);
      const waiter: Waiter = { txId, resolve, reject, timer };
      this.#waiters.add(waiter);
    });
  }

  advance(indexedTxId: number): void {
    for (const w of this.#waiters) {
      if (w.txId <= indexedTxId) {
        clearTimeout(w.timer);
        this.#waiters.delete(w);
        w.resolve();
      }
    }
  }

  failAll(err: Error): void {
    for (const w of this.#waiters) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.#waiters.clear();
  }
}
