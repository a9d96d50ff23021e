// The failover layer's decisions, pure: what kind of call an RPC is, which endpoints a call tries in
// which order (from the roles last probed and the caller's read preference), what to do after an
// attempt failed (retry elsewhere, re-probe roles, re-login, or stop: a definite failure or a write
// whose outcome is unknown), and the jittered backoff between attempts. No I/O, no clock, no
// randomness of its own: time and the random draw come in as arguments. failover-core.ts does the I/O.
import type { ErrorCode } from '../../common/errors.js';
import { failoverBackoffMsBase, failoverBackoffMsMax, failoverJitterFraction } from './failover-limits.js';

/** Where reads go: only the primary, replicas first (the primary as the fallback), or any node in the caller's order. */
export type ReadPreference = 'primary' | 'replica' | 'any';

export const readPreferences: readonly ReadPreference[] = ['primary', 'replica', 'any'];

/**
 * write: changes the selected database (primary only; never sent twice when its outcome is unknown).
 * read: reads the selected database (any node the preference allows; idempotent, retried anywhere).
 * primary-read: a read whose answer anchors trust (CurrentState): the primary first, replicas as fallback.
 * node: per-node calls (admin, health, status): the primary first, retried elsewhere only when not sent.
 */
export type RpcKind = 'write' | 'read' | 'primary-read' | 'node';

const writeRpcs: ReadonlySet<string> = new Set([
  'Set', 'VerifiableSet', 'Delete', 'ExecAll', 'SetReference', 'VerifiableSetReference', 'ZAdd', 'VerifiableZAdd',
]);
const readRpcs: ReadonlySet<string> = new Set([
  'Get', 'VerifiableGet', 'GetAll', 'Scan', 'Count', 'CountAll', 'TxById', 'VerifiableTxById', 'TxScan', 'History', 'ZScan',
]);

export function rpcKind(method: string): RpcKind {
  if (writeRpcs.has(method)) return 'write';
  if (readRpcs.has(method)) return 'read';
  if (method === 'CurrentState') return 'primary-read';
  return 'node';
}

export type NodeRole = 'primary' | 'replica' | 'unknown';

/** What the client knows of one endpoint for the selected database. */
export interface EndpointView {
  readonly endpoint: string;
  readonly role: NodeRole;
  /** The primary epoch the node reports (0 when unknown). */
  readonly epoch: number;
  /** A primary that was replaced (status halted, REPLICATION_STALE_EPOCH): never written to. */
  readonly fenced: boolean;
  readonly committedTxId: number;
  /** Until when (client clock, ms) the endpoint is tried last because it failed to connect. */
  readonly penaltyUntilMs: number;
}

export function unknownView(endpoint: string): EndpointView {
  return { endpoint, role: 'unknown', epoch: 0, fenced: false, committedTxId: 0, penaltyUntilMs: 0 };
}

/** The live primary: an unfenced primary with the highest epoch (an old primary that came back loses). */
export function pickPrimary(views: readonly EndpointView[]): EndpointView | undefined {
  let best: EndpointView | undefined;
  for (const v of views) {
    if (v.role !== 'primary' || v.fenced) continue;
    if (best === undefined || v.epoch > best.epoch) best = v;
  }
  return best;
}

/** Penalised endpoints go last; the order is otherwise kept (stable). */
function penalisedLast(views: readonly EndpointView[], nowMs: number): EndpointView[] {
  return [...views.filter((v) => v.penaltyUntilMs <= nowMs), ...views.filter((v) => v.penaltyUntilMs > nowMs)];
}

/** The endpoints one call tries, in order. Known replicas and fenced primaries never receive writes. */
export function candidateOrder(views: readonly EndpointView[], kind: RpcKind, preference: ReadPreference, nowMs: number): string[] {
  const primary = pickPrimary(views);
  const ordered = penalisedLast(views, nowMs);
  const replicas = ordered.filter((v) => v.role === 'replica');
  const unknown = ordered.filter((v) => v.role === 'unknown');
  const stale = ordered.filter((v) => v.role === 'primary' && v !== primary);
  const first = primary === undefined ? [] : [primary];
  let chosen: EndpointView[];
  if (kind === 'write') chosen = [...first, ...unknown];
  else if (kind === 'read' && preference === 'any') chosen = [...ordered.filter((v) => !stale.includes(v)), ...stale];
  else if (kind === 'read' && preference === 'replica') chosen = [...replicas, ...first, ...unknown];
  else if (kind === 'read') chosen = [...first, ...unknown];
  else chosen = [...first, ...replicas, ...unknown, ...stale];
  return chosen.map((v) => v.endpoint);
}

/** One failed attempt, as the core saw it. */
export interface AttemptFailure {
  readonly kind: RpcKind;
  readonly code: ErrorCode;
  /** False when the request provably never left the client (the channel never became ready). */
  readonly sent: boolean;
  readonly role: NodeRole;
}

export type AfterFailure =
  /** Try the next candidate (after backoff); `reprobe` re-learns roles first; `penalize` demotes the endpoint. */
  | { readonly kind: 'retry'; readonly reprobe: boolean; readonly penalize: boolean; readonly reauth: boolean }
  /** A definite answer (the server refused, or a read failed everywhere it may go): report it as is. */
  | { readonly kind: 'fail' }
  /** The write may or may not have been committed: report WRITE_OUTCOME_UNKNOWN, never resend it. */
  | { readonly kind: 'outcome-unknown' };

/** Codes that, after a write was sent, leave its outcome open (the tx may be committed, or committed later). */
const outcomeOpenCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'TIMEOUT', 'NODE_UNAVAILABLE', 'STORE_CLOSED', 'SYNC_ACK_TIMEOUT', 'REPLICATION_STALE_EPOCH', 'INTERNAL', 'IO_ERROR',
]);

/** Codes after which a read may succeed on another node. */
const readRetryCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'TIMEOUT', 'NODE_UNAVAILABLE', 'STORE_CLOSED', 'DATABASE_NOT_LOADED', 'INTERNAL', 'IO_ERROR',
]);

const retry = (reprobe: boolean, penalize: boolean, reauth = false): AfterFailure => ({ kind: 'retry', reprobe, penalize, reauth });

export function afterFailure(f: AttemptFailure): AfterFailure {
  if (!f.sent) return retry(f.kind === 'write' || f.role === 'primary', true);
  // The server authenticates before it executes anything: the call did not happen there.
  if (f.code === 'UNAUTHENTICATED') return retry(false, false, true);
  if (f.kind === 'write') {
    if (f.code === 'REPLICA_READ_ONLY') return retry(true, false);
    return outcomeOpenCodes.has(f.code) ? { kind: 'outcome-unknown' } : { kind: 'fail' };
  }
  if (f.kind === 'node') return { kind: 'fail' };
  // A replica behind the asked state refuses (TX_BEYOND_STATE) rather than answer from the past: skip it.
  if (f.code === 'TX_BEYOND_STATE') return f.role === 'primary' ? { kind: 'fail' } : retry(false, false);
  if (readRetryCodes.has(f.code)) {
    const unreachable = f.code === 'NODE_UNAVAILABLE' || f.code === 'TIMEOUT';
    return retry(unreachable && f.role === 'primary', unreachable);
  }
  return { kind: 'fail' };
}

/** Delay before retry number `retryNo` (1 = the first retry): doubling, capped, minus up to 20 % jitter. */
export function backoffDelayMs(retryNo: number, random01: number): number {
  const full = Math.min(failoverBackoffMsBase * 2 ** Math.max(0, retryNo - 1), failoverBackoffMsMax);
  const r = Math.min(Math.max(random01, 0), 1);
  return Math.round(full * (1 - failoverJitterFraction * r));
}
