// Callers parked in waitForIndexedTx: each resolves once indexedTxId reaches its tx, or rejects on its
// timeout (TIMEOUT), when the index stalls (the stall's error) or closes (STORE_CLOSED). Nothing here
// decides when the index advances; the indexer calls advance()/failAll().
// Every Set parks one waiter, so a waiter costs one promise and one small object: no timer of its own.
// Waiters are kept in txId order (advance resolves a prefix) and in deadline order, and one shared
// timer is armed for the earliest deadline still pending; settled waiters are skipped lazily.
import { ImmuError } from '../../common/errors.js';

interface Waiter {
  readonly txId: number;
  readonly deadlineMs: number;
  readonly timeoutMs: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  settled: boolean;
}

/** A timer may fire up to this much before its deadline by performance.now() (libuv caches loop time). */
const timerSlackMs = 1;
/** The longest delay setTimeout honours. */
const timerDelayMsMax = 2 ** 31 - 1;
/** Settled waiters a queue may hold beyond twice the pending ones before it is compacted. */
const compactSpanMin = 1024;

/** Waiters in ascending order of one key, with settled ones dropped from the front as they are met. */
class OrderedQueue {
  #items: Waiter[] = [];
  #head = 0;
  readonly #keyOf: (w: Waiter) => number;

  constructor(keyOf: (w: Waiter) => number) {
    this.#keyOf = keyOf;
  }

  /** Inserts after every waiter with a key <= w's (callers mostly arrive in key order: an append). */
  insert(w: Waiter): void {
    const items = this.#items;
    const key = this.#keyOf(w);
    let i = items.length;
    while (i > this.#head && this.#keyOf(items[i - 1] as Waiter) > key) i--;
    if (i === items.length) items.push(w);
    else items.splice(i, 0, w);
  }

  /** The first pending waiter, dropping settled ones before it. */
  peek(): Waiter | undefined {
    const items = this.#items;
    while (this.#head < items.length && (items[this.#head] as Waiter).settled) this.#head++;
    if (this.#head === items.length) {
      this.clear();
      return undefined;
    }
    if (this.#head >= 1024 && this.#head * 2 >= items.length) {
      this.#items = items.slice(this.#head);
      this.#head = 0;
    }
    return this.#items[this.#head];
  }

  /** Removes and returns the first pending waiter. */
  shift(): Waiter | undefined {
    const w = this.peek();
    if (w !== undefined) this.#head++;
    return w;
  }

  /** Waiters held, settled ones included. */
  get span(): number {
    return this.#items.length - this.#head;
  }

  /** Drops every settled waiter, keeping the order of the rest. */
  compact(): void {
    this.#items = this.#items.slice(this.#head).filter((w) => !w.settled);
    this.#head = 0;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}

export class IndexWaiters {
  readonly #indexedTxId: () => number;
  readonly #byTx = new OrderedQueue((w) => w.txId);
  readonly #byDeadline = new OrderedQueue((w) => w.deadlineMs);
  #pending = 0;
  #timer: NodeJS.Timeout | undefined;
  /** The deadline the timer is armed for. */
  #timerAtMs = Infinity;

  /** `indexedTxId` reads the index's progress, for timeout messages. */
  constructor(indexedTxId: () => number) {
    this.#indexedTxId = indexedTxId;
  }

  get size(): number {
    return this.#pending;
  }

  wait(txId: number, timeoutMs: number): Promise<void> {
    // as setTimeout treats its delay: out of range (NaN, negative, beyond 2^31 - 1) is 1 ms
    if (!(timeoutMs >= 1 && timeoutMs <= timerDelayMsMax)) timeoutMs = 1;
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { txId, deadlineMs: performance.now() + timeoutMs, timeoutMs, resolve, reject, settled: false };
      this.#pending++;
      this.#byTx.insert(w);
      this.#byDeadline.insert(w);
      // a waiter that stays pending (a far txId, a long timeout) keeps settled ones behind it queued
      if (this.#byDeadline.span > 2 * this.#pending + compactSpanMin) this.#byDeadline.compact();
      if (this.#byTx.span > 2 * this.#pending + compactSpanMin) this.#byTx.compact();
      if (w.deadlineMs < this.#timerAtMs) this.#arm(w.deadlineMs);
    });
  }

  advance(indexedTxId: number): void {
    for (let w = this.#byTx.peek(); w !== undefined && w.txId <= indexedTxId; w = this.#byTx.peek()) {
      this.#byTx.shift();
      this.#settle(w);
      w.resolve();
    }
    if (this.#pending === 0) this.#reset();
    else this.#byDeadline.peek(); // drops the settled front, so resolved waiters are not kept until a timeout
  }

  failAll(err: Error): void {
    for (let w = this.#byTx.shift(); w !== undefined; w = this.#byTx.shift()) {
      this.#settle(w);
      w.reject(err);
    }
    this.#reset();
  }

  #settle(w: Waiter): void {
    w.settled = true;
    this.#pending--;
  }

  #arm(atMs: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAtMs = atMs;
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, atMs - performance.now()));
  }

  #expire(): void {
    this.#timer = undefined;
    this.#timerAtMs = Infinity;
    const now = performance.now();
    for (let w = this.#byDeadline.peek(); w !== undefined && w.deadlineMs <= now + timerSlackMs; w = this.#byDeadline.peek()) {
      this.#byDeadline.shift();
      this.#settle(w);
      const at = this.#indexedTxId();
      w.reject(new ImmuError('TIMEOUT', `index did not reach tx ${w.txId} within ${w.timeoutMs} ms (at tx ${at})`, { txId: w.txId, indexedTxId: at }));
    }
    if (this.#pending === 0) this.#reset();
    else {
      const next = this.#byDeadline.peek();
      if (next !== undefined) this.#arm(next.deadlineMs);
    }
  }

  /** No waiter is pending: drops the queues and the timer (which would otherwise keep the process alive). */
  #reset(): void {
    this.#byTx.clear();
    this.#byDeadline.clear();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAtMs = Infinity;
  }
}
