// A small pool of worker threads that run hashPackedTx (tx-hashing.ts) for large txs, so SHA-256 of
// thousands of entries per tx does not serialize on the main thread. Small txs are hashed inline: the
// round trip costs more than it saves. Each worker owns one SharedArrayBuffer arena, posted to it once
// (again only when a larger tx needs a larger arena): a job copies the packed tx into the arena, the
// worker hashes it in place and answers with a number, and the hashed record part is copied back. Two
// alternatives were measured and rejected: transferring the packed tx's ArrayBuffer (a fresh one per tx,
// detached on each post: postMessage was 12% of the main thread in 1000-KV Sets, and this layout cut the
// server's CPU per KV by ~15%; docs/benchmarks.md), and a fresh SharedArrayBuffer per tx (a worker isolate allocates so
// little that it rarely collects, so every posted SAB stayed alive there: +100-150 MiB RSS over 1M
// entries). The two memcpys (~200 KB per 1000 entries) cost a few microseconds.
// Hashing runs on the WASM SHA-256 (sha256-wasm.ts) in the workers and inline alike. The worker body
// is hashPackedTx's own source text, so vitest and dist run the same code.
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import { assert } from '../common/assert.js';
import { ImmuError } from '../common/errors.js';
import { instantiateSha256Wasm, sha256WasmBytes, type Sha256Wasm } from '../proof/sha256-wasm.js';
import { allocLocal, hashPackedTx, type PackAllocator, type PackedTx } from './tx-hashing.js';

export const hashInlineEntriesMax = 63; // txs with fewer entries than 64 are hashed on the caller's thread
export const hashWorkersMax = 4;
/** Largest arena a worker keeps between jobs (a 1000-entry tx of 128-byte values packs to ~0.2 MiB). */
export const hashArenaBytesMax = 16 << 20;

const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const hasher = new WebAssembly.Instance(new WebAssembly.Module(workerData.wasm), {}).exports;
const hashPackedTx = (${hashPackedTx.toString()});
let arena;
parentPort.on('message', (msg) => {
  if (typeof msg === 'string') {
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
  if (msg.arena !== undefined && msg.keep) arena = msg.arena;
  hashPackedTx(new Uint8Array(msg.arena ?? arena, 0, msg.len), hasher);
  parentPort.postMessage(msg.len);
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
  /** This worker's arena (the worker holds it too); replaced by a larger one when a tx outgrows it. */
  arena: SharedArrayBuffer | undefined;
  /** The memory of the job in flight (the arena, or a one-off buffer for a tx above hashArenaBytesMax). */
  jobArena: SharedArrayBuffer | undefined;
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

  /** Where a tx of `entries` entries should be packed (any memory works: workers hash a copy). */
  allocatorFor(_entries: number): PackAllocator {
    return allocLocal;
  }

  #usesWorker(entries: number): boolean {
    return entries > hashInlineEntriesMax && this.#slots.length > 0 && !this.#closed;
  }

  #spawn(): Slot {
    const worker = new Worker(workerSource, { eval: true, workerData: { wasm: sha256WasmBytes() } });
    worker.unref();
    const slot: Slot = { worker, job: undefined, arena: undefined, jobArena: undefined, cpu: [] };
    worker.on('message', (msg: number | WorkerCpu) => {
      if (typeof msg !== 'number') {
        slot.cpu.shift()?.(msg);
        return;
      }
      const job = slot.job;
      const mem = slot.jobArena;
      assert(job !== undefined && mem !== undefined, 'hash worker replied without a job');
      slot.job = undefined;
      slot.jobArena = undefined;
      // hashing wrote only the head (Eh, duplicate) and the record's hVals: copy back [0, recEnd)
      job.p.buf.set(new Uint8Array(mem, 0, job.p.recEnd));
      job.resolve(job.p);
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
   * Fills hVals and Eh (and the duplicate-key slot) of the packed tx in place. Returns `p` itself when
   * it was hashed inline (small txs: no promise, no tick), else a promise of it.
   */
  hash(p: PackedTx): PackedTx | Promise<PackedTx> {
    if (!this.#usesWorker(p.n)) {
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
      const len = job.p.buf.byteLength;
      let msg: { len: number; arena?: SharedArrayBuffer; keep?: boolean } = { len };
      if (len > hashArenaBytesMax) {
        // a giant tx gets memory of its own, so no worker keeps that much for its lifetime
        slot.jobArena = new SharedArrayBuffer(len);
        msg = { len, arena: slot.jobArena, keep: false };
      } else {
        if (slot.arena === undefined || slot.arena.byteLength < len) {
          // grow geometrically so a workload of similar txs replaces it only a few times
          slot.arena = new SharedArrayBuffer(Math.min(hashArenaBytesMax, Math.max(len, 2 * (slot.arena?.byteLength ?? 0), 1 << 16)));
          msg = { len, arena: slot.arena, keep: true };
        }
        slot.jobArena = slot.arena;
      }
      new Uint8Array(slot.jobArena, 0, len).set(job.p.buf);
      slot.worker.postMessage(msg);
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
