// A small pool of worker threads that run hashPackedTx (tx-hashing.ts) for large txs, so SHA-256 of
// thousands of entries per tx does not serialize on the main thread. Small txs are hashed inline: the
// round trip costs more than it saves. The packed tx's ArrayBuffer is transferred to the worker and back
// (no copy). A SharedArrayBuffer was measured and rejected: a worker isolate allocates so little that it
// rarely collects, so every posted SAB stayed alive there (+100-150 MiB RSS over 1M entries).
// Hashing runs on the WASM SHA-256 (sha256-wasm.ts) in the workers and inline alike. The worker body
// is hashPackedTx's own source text, so vitest and dist run the same code.
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import { assert } from '../common/assert.js';
import { ImmuError } from '../common/errors.js';
import { instantiateSha256Wasm, sha256WasmBytes, type Sha256Wasm } from './sha256-wasm.js';
import { allocLocal, allocTransferable, hashPackedTx, type PackAllocator, type PackedTx } from './tx-hashing.js';

export const hashInlineEntriesMax = 63; // txs with fewer entries than 64 are hashed on the caller's thread
export const hashWorkersMax = 4;

const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const hasher = new WebAssembly.Instance(new WebAssembly.Module(workerData.wasm), {}).exports;
const hashPackedTx = (${hashPackedTx.toString()});
parentPort.on('message', (ab) => {
  if (typeof ab === 'string') {
    // 'cpu': this thread's own on-CPU time (Linux schedstat, ns), for the benchmark's cost per entry
    let cpuNs = -1;
    let tid = -1;
    try {
      const fs = require('node:fs');
      cpuNs = Number(fs.readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]);
      tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    } catch {}
    parentPort.postMessage({ cpuNs, tid });
    return;
  }
  hashPackedTx(new Uint8Array(ab), hasher);
  parentPort.postMessage(ab, [ab]);
});
`;

/** A hash worker's own on-CPU time (ns) and OS thread id; -1 where /proc is unavailable. */
export interface WorkerCpu {
  readonly cpuNs: number;
  readonly tid: number;
}

interface Job {
  readonly p: PackedTx;
  readonly resolve: (p: PackedTx) => void;
  readonly reject: (err: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  job: Job | undefined;
  /** Waiters for this worker's CPU report (replies come in order with job replies). */
  readonly cpu: Array<(r: WorkerCpu) => void>;
}

export class HashPool {
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  #inline: Sha256Wasm | undefined;
  #closed = false;

  constructor(workers = Math.min(hashWorkersMax, Math.max(1, os.availableParallelism()))) {
    for (let i = 0; i < workers; i++) this.#slots.push(this.#spawn());
  }

  /** Where a tx of `entries` entries should be packed: a whole, unpooled ArrayBuffer when a worker will hash it. */
  allocatorFor(entries: number): PackAllocator {
    return this.#usesWorker(entries) ? allocTransferable : allocLocal;
  }

  #usesWorker(entries: number): boolean {
    return entries > hashInlineEntriesMax && this.#slots.length > 0 && !this.#closed;
  }

  #spawn(): Slot {
    const worker = new Worker(workerSource, { eval: true, workerData: { wasm: sha256WasmBytes() } });
    worker.unref();
    const slot: Slot = { worker, job: undefined, cpu: [] };
    worker.on('message', (ab: ArrayBuffer | WorkerCpu) => {
      if (!(ab instanceof ArrayBuffer)) {
        slot.cpu.shift()?.(ab);
        return;
      }
      const job = slot.job;
      assert(job !== undefined, 'hash worker replied without a job');
      slot.job = undefined;
      job.resolve({ ...job.p, buf: Buffer.from(ab) });
      this.#pump();
    });
    worker.on('error', (err: Error) => {
      const job = slot.job;
      slot.job = undefined;
      job?.reject(new ImmuError('INTERNAL', `hash worker failed: ${err.message}`));
    });
    return slot;
  }

  #hashInline(p: PackedTx): void {
    this.#inline ??= instantiateSha256Wasm();
    hashPackedTx(p.buf, this.#inline);
  }

  /**
   * Fills hVals and Eh (and the duplicate-key slot) of the packed tx. Resolves with the packed tx to use
   * from then on: `p` itself when hashed inline, else a view of the buffer transferred back (p.buf is
   * detached meanwhile).
   */
  async hash(p: PackedTx): Promise<PackedTx> {
    const whole = p.buf.byteOffset === 0 && p.buf.byteLength === p.buf.buffer.byteLength && !(p.buf.buffer instanceof SharedArrayBuffer);
    if (!this.#usesWorker(p.n) || !whole) {
      this.#hashInline(p);
      return p;
    }
    return new Promise<PackedTx>((resolve, reject) => {
      this.#queue.push({ p, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) return;
      if (slot.job !== undefined) continue;
      const job = this.#queue.shift() as Job;
      slot.job = job;
      const ab = job.p.buf.buffer as ArrayBuffer;
      slot.worker.postMessage(ab, [ab]);
    }
  }

  /**
   * On-CPU nanoseconds each hash worker has used so far, measured inside the worker (Linux
   * /proc/thread-self/schedstat; -1 where unavailable). For benchmarks: cost per entry.
   */
  workerCpu(): Promise<WorkerCpu[]> {
    return Promise.all(
      this.#slots.map(
        (slot) =>
          new Promise<WorkerCpu>((resolve) => {
            slot.cpu.push(resolve);
            slot.worker.postMessage('cpu');
          }),
      ),
    );
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) {
      this.#hashInline(job.p);
      job.resolve(job.p);
    }
    for (const slot of this.#slots) for (const w of slot.cpu.splice(0)) w({ cpuNs: -1, tid: -1 });
    // The store closes the pool only when no commit is in flight; after a simulated crash a posted job
    // may never come back, and its commit never resolves (as with a real crash).
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }
}
