// The write history of a scenario and its checker. Every write attempt is recorded with its key,
// value, start/end time and outcome: acked (with the tx id), failed definitely (the server refused it
// before writing), or uncertain (timeout, lost connection, sync-ack timeout: it may have committed).
// `check` compares the history with the final state read back from the surviving nodes:
// - lost: an acked write whose key is missing, or whose value was replaced only by a write that
//   finished before it began (a real-time order violation); an acked write whose key was not read
//   back at all also counts as lost: the oracle never passes by not looking;
// - phantom: a value read back that no recorded write produced;
// - failedButVisible: a value read back that only a definitely-failed write produced.
// Uncertain writes are resolved by the read when possible (committed / not committed) and counted as
// uncertain only when the read cannot tell (the key was not read). It knows nothing of gRPC; the load
// driver maps errors to outcomes with `classifyWriteError`.
import { isImmuError, type ErrorCode } from '../../src/client/index.js';

export type WriteOutcome =
  | { readonly kind: 'acked'; readonly txId: number }
  | { readonly kind: 'failed'; readonly code: string }
  | { readonly kind: 'uncertain'; readonly code: string };

export interface WriteRecord {
  readonly id: number;
  readonly key: string;
  readonly value: string;
  /** Node the write was sent to. */
  readonly node: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly outcome: WriteOutcome;
}

/** Final state read back: key -> value, `undefined` when the key was read and is absent. */
export type FinalReads = ReadonlyMap<string, string | undefined>;

export interface CheckResult {
  readonly attempts: number;
  readonly acked: number;
  readonly failedDefinitely: number;
  readonly lost: number;
  readonly lostWrites: readonly WriteRecord[];
  readonly uncertain: number;
  readonly uncertainCommitted: number;
  readonly uncertainNotCommitted: number;
  readonly phantoms: readonly { readonly key: string; readonly value: string }[];
  readonly failedButVisible: readonly WriteRecord[];
  /** True when nothing was lost, no phantom and no failed write is visible. */
  readonly ok: boolean;
}

/**
 * Codes meaning the server refused the write before storing anything, when the server itself said so
 * (the `immudbts-error-code` trailer). Everything else, and these same codes inferred from a bare
 * gRPC status, is uncertain.
 */
const definiteFailureCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'INVALID_ARGUMENT', 'KEY_EMPTY', 'KEY_TOO_LARGE', 'VALUE_TOO_LARGE', 'DUPLICATED_KEY', 'TOO_MANY_ENTRIES',
  'NO_ENTRIES', 'METADATA_INVALID', 'MESSAGE_TOO_LARGE', 'ILLEGAL_ARGUMENTS', 'PRECONDITION_FAILED',
  'DATABASE_NOT_FOUND', 'DATABASE_NOT_LOADED', 'UNAUTHENTICATED', 'INVALID_CREDENTIALS', 'PERMISSION_DENIED',
  'NO_DATABASE_SELECTED', 'REPLICA_READ_ONLY', 'STORE_BUSY', 'TOO_MANY_SESSIONS', 'LOGIN_THROTTLED',
]);

export function classifyWriteError(err: unknown): WriteOutcome {
  if (isImmuError(err)) {
    const fromTrailer = err.details?.['fromTrailer'] === true;
    if (fromTrailer && definiteFailureCodes.has(err.code)) return { kind: 'failed', code: err.code };
    return { kind: 'uncertain', code: err.code };
  }
  return { kind: 'uncertain', code: err instanceof Error ? err.message : String(err) };
}

export class WriteHistory {
  readonly #records: WriteRecord[] = [];

  record(r: Omit<WriteRecord, 'id'>): WriteRecord {
    const full: WriteRecord = { ...r, id: this.#records.length };
    this.#records.push(full);
    return full;
  }

  /** Times `write`, records its outcome and returns it; never throws for a failed write. */
  async attempt(key: string, value: string, node: string, write: () => Promise<number>, nowMs: () => number = Date.now): Promise<WriteRecord> {
    const startMs = nowMs();
    let outcome: WriteOutcome;
    try {
      outcome = { kind: 'acked', txId: await write() };
    } catch (err) {
      outcome = classifyWriteError(err);
    }
    return this.record({ key, value, node, startMs, endMs: nowMs(), outcome });
  }

  get records(): readonly WriteRecord[] {
    return this.#records;
  }

  /** Every key written (to read back at the end). */
  keys(): string[] {
    return [...new Set(this.#records.map((r) => r.key))];
  }

  check(reads: FinalReads): CheckResult {
    return checkHistory(this.#records, reads);
  }
}

function isLost(w: WriteRecord, finalValue: string | undefined, byValue: ReadonlyMap<string, WriteRecord>): boolean {
  if (finalValue === undefined) return true;
  if (finalValue === w.value) return false;
  const winner = byValue.get(finalValue);
  if (winner === undefined) return true; // phantom in place of an acked write
  // The final value may come from a concurrent or later write, not from one that ended before w began.
  return winner.outcome.kind === 'acked' && winner.endMs < w.startMs;
}

export function checkHistory(records: readonly WriteRecord[], reads: FinalReads): CheckResult {
  const byKey = new Map<string, WriteRecord[]>();
  for (const r of records) {
    const list = byKey.get(r.key);
    if (list === undefined) byKey.set(r.key, [r]);
    else list.push(r);
  }
  const valueIndex = (key: string): Map<string, WriteRecord> => new Map((byKey.get(key) ?? []).map((r) => [r.value, r]));

  const lostWrites: WriteRecord[] = [];
  const failedButVisible: WriteRecord[] = [];
  let acked = 0;
  let failedDefinitely = 0;
  let uncertain = 0;
  let uncertainCommitted = 0;
  let uncertainNotCommitted = 0;
  for (const r of records) {
    const read = reads.has(r.key);
    const finalValue = reads.get(r.key);
    switch (r.outcome.kind) {
      case 'acked':
        acked += 1;
        if (!read || isLost(r, finalValue, valueIndex(r.key))) lostWrites.push(r);
        break;
      case 'failed':
        failedDefinitely += 1;
        if (read && finalValue === r.value) failedButVisible.push(r);
        break;
      case 'uncertain':
        if (!read) uncertain += 1;
        else if (finalValue === r.value) uncertainCommitted += 1;
        else uncertainNotCommitted += 1;
        break;
    }
  }
  const phantoms: { key: string; value: string }[] = [];
  for (const [key, value] of reads) {
    if (value !== undefined && !(byKey.get(key) ?? []).some((r) => r.value === value)) phantoms.push({ key, value });
  }
  return {
    attempts: records.length,
    acked,
    failedDefinitely,
    lost: lostWrites.length,
    lostWrites,
    uncertain,
    uncertainCommitted,
    uncertainNotCommitted,
    phantoms,
    failedButVisible,
    ok: lostWrites.length === 0 && phantoms.length === 0 && failedButVisible.length === 0,
  };
}
