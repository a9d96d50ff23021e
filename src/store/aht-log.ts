// The accumulated hash tree over Alh values, kept in immudb's three files (core spec 3.6, 6.6):
// aht/data (u32 len ‖ Alh per leaf), aht/tree (node digests), aht/commit (u64 offset ‖ u32 len per leaf,
// written lazily). Appending needs only the in-memory frontier (roots of the complete subtrees); reads
// for proofs go to the tree log through a small cache. The aht is derived data: it is flushed lazily
// and rebuilt from the tx log on open when needed (see immu-store recovery). No fsync on the hot path.
import { assert } from '../common/assert.js';
import { writeU64BE } from '../common/bytes.js';
import { ImmuError } from '../common/errors.js';
import { splitPoint } from '../proof/hash.js';
import { AppendLog } from './append-log.js';
import { nodesUntil, popcount, storedNodePosition } from './aht-math.js';
import { lastDigestInto, leafHashInto, nodeHashChainInto, wasmNodeHash as nodeHash } from './node-hasher.js';

const DIGEST = 32;
const DATA_RECORD_BYTES = 4 + DIGEST;
const COMMIT_RECORD_BYTES = 12;
/** Frontier levels: a tree of < 2^53 leaves. */
const FRONTIER_LEVELS = 53;
export const ahtNodeCacheEntriesMax = 8192;
export const ahtFlushEveryLeaves = 1024;

export interface AhtLogs {
  readonly data: AppendLog;
  readonly tree: AppendLog;
  readonly commit: AppendLog;
}

export class AhtLog {
  readonly #logs: AhtLogs;
  #size = 0;
  /**
   * frontier[b] holds the root of the complete subtree of 2^b leaves when bit b of size is set (other
   * levels hold stale bytes). One buffer per level, overwritten in place: appends allocate none.
   */
  readonly #frontier: readonly Buffer[] = Array.from({ length: FRONTIER_LEVELS }, () => Buffer.alloc(DIGEST));
  readonly #cache = new Map<number, Buffer>();
  #unflushedLeaves = 0;
  /** root() of the current size: set by append (its last digest), else computed at most once per size. */
  #root: Buffer | undefined;
  #rootStale = true;

  constructor(logs: AhtLogs) {
    this.#logs = logs;
  }

  get size(): number {
    return this.#size;
  }

  get logs(): AhtLogs {
    return this.#logs;
  }

  /** Sets the in-memory state for `n` leaves already in the files (frontier read from the tree log). */
  load(n: number): void {
    this.#size = n;
    this.#rootStale = true;
    this.#cache.clear();
    for (let b = 0, bit = 1; bit <= n; b++, bit *= 2) {
      if (Math.floor(n / bit) % 2 === 1) {
        const s = Math.floor(n / (bit * 2)) * bit * 2;
        this.#readDigest(nodesUntil(s + bit) + b).copy(this.#level(b));
      }
    }
  }

  /** Root over all leaves (from the frontier); undefined for an empty tree. */
  root(): Buffer | undefined {
    if (!this.#rootStale) return this.#root;
    const f = this.#frontier;
    const n = this.#size;
    let carry: Buffer | undefined;
    for (let b = 0, bit = 1; bit <= n; b++, bit *= 2) {
      if (Math.floor(n / bit) % 2 === 0) continue;
      const level = f[b] as Buffer;
      carry = carry === undefined ? Buffer.from(level) : nodeHash(level, carry);
    }
    this.#root = carry;
    this.#rootStale = false;
    return carry;
  }

  /**
   * Appends leaf size+1: its 1 + popcount(size) digests (core spec 3.6: the leaf hash, then MTH(s, n) for
   * every set bit of size, ascending) are hashed straight into the tree-log record, the last being the
   * new root. The frontier gains the digest after the merges of the trailing set bits.
   */
  append(alh: Buffer): void {
    const size = this.#size;
    let trailingOnes = 0;
    for (let s = size; s % 2 === 1; s = Math.floor(s / 2)) trailingOnes++;
    const node = Buffer.allocUnsafe((1 + popcount(size)) * DIGEST);
    leafHashInto(alh, node, 0);
    if (trailingOnes === 0) lastDigestInto(this.#level(0), 0);
    let at = 0;
    for (let b = 0, bit = 1; bit <= size; b++, bit *= 2) {
      if (Math.floor(size / bit) % 2 === 1) {
        at += DIGEST;
        nodeHashChainInto(this.#level(b), node, at);
        // the digest after the merges of the trailing set bits is the frontier's new level
        if (b + 1 === trailingOnes) lastDigestInto(this.#level(trailingOnes), 0);
      }
    }
    assert(at + DIGEST === node.length, 'aht digests per leaf');
    this.#logs.tree.append(node);
    const dataRec = Buffer.allocUnsafe(DATA_RECORD_BYTES);
    dataRec.writeUInt32BE(DIGEST, 0);
    alh.copy(dataRec, 4);
    this.#logs.data.append(dataRec);
    this.#size = size + 1;
    const root = Buffer.allocUnsafe(DIGEST);
    lastDigestInto(root, 0);
    this.#root = root;
    this.#rootStale = false;
    if (++this.#unflushedLeaves >= ahtFlushEveryLeaves) this.flush();
  }

  #level(b: number): Buffer {
    const f = this.#frontier[b];
    assert(f !== undefined, `aht frontier level ${b} exists`);
    return f;
  }

  /** Writes buffered digests and the lazy commit records to the files (no fsync). */
  flush(): void {
    const committed = this.#logs.commit.size / COMMIT_RECORD_BYTES;
    if (committed < this.#size) {
      const b = Buffer.allocUnsafe((this.#size - committed) * COMMIT_RECORD_BYTES);
      for (let leaf = committed + 1, o = 0; leaf <= this.#size; leaf++, o += COMMIT_RECORD_BYTES) {
        writeU64BE(b, o, (leaf - 1) * DATA_RECORD_BYTES);
        b.writeUInt32BE(DIGEST, o + 8);
      }
      this.#logs.commit.append(b);
    }
    this.#logs.data.flush();
    this.#logs.tree.flush();
    this.#logs.commit.flush();
    this.#unflushedLeaves = 0;
  }

  async sync(): Promise<void> {
    this.flush();
    await Promise.all([this.#logs.data.sync(), this.#logs.tree.sync(), this.#logs.commit.sync()]);
  }

  /** Drops leaves beyond n (files truncated, frontier reloaded). */
  truncate(n: number): void {
    assert(n >= 0 && n <= this.storedLeaves(), 'aht truncate beyond the stored leaves');
    this.#logs.tree.truncate(nodesUntil(n + 1) * DIGEST);
    this.#logs.data.truncate(n * DATA_RECORD_BYTES);
    const commitRecords = Math.floor(this.#logs.commit.size / COMMIT_RECORD_BYTES);
    this.#logs.commit.truncate(Math.min(commitRecords, n) * COMMIT_RECORD_BYTES);
    this.load(n);
  }

  /** Whole leaves present in all three files' prefixes (commit log may lag: it is written lazily). */
  storedLeaves(): number {
    return Math.min(Math.floor(this.#logs.data.size / DATA_RECORD_BYTES), leavesFromTree(this.#logs.tree.size));
  }

  /** Alh stored for leaf n in aht/data. */
  storedAlh(leaf: number): Buffer {
    const rec = this.#logs.data.readAt((leaf - 1) * DATA_RECORD_BYTES, DATA_RECORD_BYTES);
    if (rec.readUInt32BE(0) !== DIGEST) throw this.#corrupt(this.#logs.data, (leaf - 1) * DATA_RECORD_BYTES, 'data record length');
    return rec.subarray(4);
  }

  /** The lazily written commit record of a leaf, if present. */
  storedCommitRecord(leaf: number): { readonly offset: number; readonly length: number } | undefined {
    if (leaf * COMMIT_RECORD_BYTES > this.#logs.commit.size) return undefined;
    const b = this.#logs.commit.readAt((leaf - 1) * COMMIT_RECORD_BYTES, COMMIT_RECORD_BYTES);
    return { offset: Number(b.readBigUInt64BE(0)), length: b.readUInt32BE(8) };
  }

  /** The digests stored for leaf n (1 + popcount(n-1) of them). */
  storedDigests(leaf: number, count: number): Buffer {
    return this.#logs.tree.readAt(nodesUntil(leaf) * DIGEST, count * DIGEST);
  }

  locateDigest(leaf: number): { readonly file: string; readonly offset: number } {
    return this.#logs.tree.locate(nodesUntil(leaf) * DIGEST);
  }

  /** MTH over 0-based leaves [lo, hi) (RFC 6962), read from the tree log. */
  mth(lo: number, hi: number): Buffer {
    if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 0 && lo < hi && hi <= this.#size)) {
      throw new ImmuError('ILLEGAL_ARGUMENTS', `aht range [${lo}, ${hi}) outside a tree of ${this.#size} leaves`);
    }
    const pos = storedNodePosition(lo, hi);
    if (pos !== undefined) return this.#readDigest(nodesUntil(hi) + pos);
    const k = splitPoint(hi - lo);
    return nodeHash(this.mth(lo, lo + k), this.mth(lo + k, hi));
  }

  #readDigest(index: number): Buffer {
    const hit = this.#cache.get(index);
    if (hit !== undefined) return hit;
    const d = this.#logs.tree.readAt(index * DIGEST, DIGEST);
    if (this.#cache.size >= ahtNodeCacheEntriesMax) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    this.#cache.set(index, d);
    return d;
  }

  #corrupt(log: AppendLog, pos: number, what: string): ImmuError {
    const at = log.locate(pos);
    return new ImmuError('CORRUPTED_DATA', `${at.file} at offset ${at.offset}: ${what}`, at);
  }

  dropCache(): void {
    this.#cache.clear();
  }
}

function leavesFromTree(treeBytes: number): number {
  let lo = 0;
  let hi = Math.max(1, Math.floor(treeBytes / DIGEST));
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (nodesUntil(mid + 1) * DIGEST <= treeBytes) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
