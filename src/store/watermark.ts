// A monotonic tx-id watermark with waiters (precommitted, durable, committed, indexed...). Waiters are
// resolved when the value reaches their target, rejected on timeout, discard or close. No I/O.
import { ImmuError } from '../common/errors.js';

interface Waiter {
  readonly target: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

export class Watermark {
  #value: number;
  #waiters: Waiter[] = [];
  readonly #name: string;

  constructor(name: string, value: number) {
    this.#name = name;
    this.#value = value;
  }

  get value(): number {
    return this.#value;
  }

  /** Moves the watermark (up, or down after a discard) and resolves reached waiters. */
  set(value: number): void {
    this.#value = value;
    const ws = this.#waiters;
    if (ws.length === 0) return;
    // compacted in place (resolving runs no caller code synchronously, so nothing re-enters)
    let kept = 0;
    for (let i = 0; i < ws.length; i++) {
      const w = ws[i] as Waiter;
      if (w.target <= value) {
        if (w.timer !== undefined) clearTimeout(w.timer);
        w.resolve();
      } else ws[kept++] = w;
    }
    ws.length = kept;
  }

  wait(target: number, timeoutMs?: number): Promise<void> {
    if (target <= this.#value) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { target, resolve, reject, timer: undefined };
      if (timeoutMs !== undefined) {
        w.timer = setTimeout(() => {
          this.#waiters = this.#waiters.filter((x) => x !== w);
          reject(new ImmuError('TIMEOUT', `tx ${target} not ${this.#name} within ${timeoutMs} ms`, { txId: target }));
        }, timeoutMs);
      }
      this.#waiters.push(w);
    });
  }

  /** Rejects waiters whose target is >= fromTarget. */
  rejectFrom(fromTarget: number, err: Error): void {
    const still: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.target >= fromTarget) {
        if (w.timer !== undefined) clearTimeout(w.timer);
        w.reject(err);
      } else still.push(w);
    }
    this.#waiters = still;
  }

  get waiting(): number {
    return this.#waiters.length;
  }
}
