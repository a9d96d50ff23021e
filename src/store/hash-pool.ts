// A small pool of worker threads that run hashPackedTx (tx-hashing.ts) for large txs, so SHA-256 of
// thousands of entries per tx does not serialize on the main thread. Small txs are hashed inline: the
// round trip costs more than it saves. The worker body is hashPackedTx's own source text.
import { hash } from 'node:crypto';
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import { assert } from '../common/assert.js';
import { ImmuError } from '../common/errors.js';
import { hashPackedTx, type HashFn, type PackedTx } from './tx-hashing.js';

export const hashInlineEntriesMax = 63; // txs with fewer entries than 64 are hashed on the caller's thread
export const hashWorkersMax = 4;

const workerSource = `
const { parentPort } = require('node:worker_threads');
const { hash } = require('node:crypto');
const hashPackedTx = (${hashPackedTx.toString()});
parentPort.on('message', (ab) => {
  hashPackedTx(ab, hash);
  parentPort.postMessage(ab, [ab]);
});
`;

interface Job {
  readonly ab: ArrayBuffer;
  readonly resolve: (ab: ArrayBuffer) => void;
  readonly reject: (err: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  job: Job | undefined;
}

const inlineHash = hash as unknown as HashFn;

export class HashPool {
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  #closed = false;

  constructor(workers = Math.min(hashWorkersMax, Math.max(1, os.availableParallelism()))) {
    for (let i = 0; i < workers; i++) this.#slots.push(this.#spawn());
  }

  #spawn(): Slot {
    const worker = new Worker(workerSource, { eval: true });
    worker.unref();
    const slot: Slot = { worker, job: undefined };
    worker.on('message', (ab: ArrayBuffer) => {
      const job = slot.job;
      assert(job !== undefined, 'hash worker replied without a job');
      slot.job = undefined;
      job.resolve(ab);
      this.#pump();
    });
    worker.on('error', (err: Error) => {
      const job = slot.job;
      slot.job = undefined;
      job?.reject(new ImmuError('INTERNAL', `hash worker failed: ${err.message}`));
    });
    return slot;
  }

  /** Hashes in place (inline for small txs); resolves with the (possibly transferred back) buffer. */
  async hash(p: PackedTx): Promise<ArrayBuffer> {
    if (p.n <= hashInlineEntriesMax || this.#slots.length === 0 || this.#closed) {
      hashPackedTx(p.ab, inlineHash);
      return p.ab;
    }
    return new Promise<ArrayBuffer>((resolve, reject) => {
      this.#queue.push({ ab: p.ab, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) return;
      if (slot.job !== undefined) continue;
      const job = this.#queue.shift() as Job;
      slot.job = job;
      slot.worker.postMessage(job.ab, [job.ab]);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) {
      hashPackedTx(job.ab, inlineHash);
      job.resolve(job.ab);
    }
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }
}
