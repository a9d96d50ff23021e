// Turns ScanOptions (prefix, seekKey, endKey, inclusiveness, direction) into where an lmdb key cursor
// starts and how each key it meets is classified: skip it, take it, or stop. Pure; byte order is
// Buffer.compare order, which is lmdb's default key order. Empty prefix/seek/end buffers mean "none".
import type { ScanOptions } from '../types.js';

export type KeyVerdict = 'skip' | 'take' | 'stop';

export interface ScanPlan {
  readonly reverse: boolean;
  /**
   * Where the cursor starts: ascending, the first key >= start; descending, the last key <= start.
   * Undefined means the first (ascending) or last (descending) key of the database.
   */
  readonly start: Buffer | undefined;
  readonly classify: (key: Buffer) => KeyVerdict;
}

function nonEmpty(b: Buffer | undefined): Buffer | undefined {
  return b !== undefined && b.length > 0 ? b : undefined;
}

/** The smallest key greater than every key with this prefix, or undefined when there is none (all 0xff). */
export function prefixSuccessor(prefix: Buffer): Buffer | undefined {
  let end = prefix.length;
  while (end > 0 && prefix[end - 1] === 0xff) end--;
  if (end === 0) return undefined;
  const succ = Buffer.from(prefix.subarray(0, end));
  succ[end - 1] = (succ[end - 1] as number) + 1;
  return succ;
}

function maxKey(a: Buffer | undefined, b: Buffer | undefined): Buffer | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Buffer.compare(a, b) >= 0 ? a : b;
}

function minKey(a: Buffer | undefined, b: Buffer | undefined): Buffer | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Buffer.compare(a, b) <= 0 ? a : b;
}

export function planScan(opts: ScanOptions): ScanPlan {
  const prefix = nonEmpty(opts.prefix);
  const seek = nonEmpty(opts.seekKey);
  const end = nonEmpty(opts.endKey);
  const inclusiveSeek = opts.inclusiveSeek === true;
  const inclusiveEnd = opts.inclusiveEnd !== false;
  const reverse = opts.desc === true;
  // Ascending keys grow (sign +1), descending keys shrink (sign -1): "past" a bound means sign*cmp > 0.
  const sign = reverse ? -1 : 1;
  const classify = (key: Buffer): KeyVerdict => {
    if (prefix !== undefined && !key.subarray(0, prefix.length).equals(prefix)) {
      return sign * Buffer.compare(key, prefix) < 0 ? 'skip' : 'stop';
    }
    if (end !== undefined) {
      const c = sign * Buffer.compare(key, end);
      if (c > 0 || (c === 0 && !inclusiveEnd)) return 'stop';
    }
    if (seek !== undefined) {
      const c = sign * Buffer.compare(key, seek);
      if (c < 0 || (c === 0 && !inclusiveSeek)) return 'skip';
    }
    return 'take';
  };
  const start = reverse
    ? minKey(seek, prefix === undefined ? undefined : prefixSuccessor(prefix))
    : maxKey(seek, prefix);
  // A descending scan over an all-0xff prefix has no successor: start from the last key and skip down.
  return { reverse, start, classify };
}
