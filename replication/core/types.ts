// Shared nouns of the replication core: a tx reference (id + Alh), the primary endpoint, and the typed
// halt reasons every halt carries. Pure data; no behaviour beyond constructors and the code table.
import type { ErrorCode } from '../../src/common/errors.js';
import { EMPTY_HASH } from '../../src/proof/index.js';

/** A point in a history: tx id and the Alh (accumulated linear hash) of the history up to it. */
export interface TxRef {
  readonly txId: number;
  readonly alh: Buffer;
}

/** The Alh of the empty history (tx 0), which is tx 1's prevAlh. */
export const GENESIS: TxRef = { txId: 0, alh: EMPTY_HASH };

export interface PrimaryEndpoint {
  readonly host: string;
  readonly port: number;
  readonly database: string;
}

export function sameEndpoint(a: PrimaryEndpoint | undefined, b: PrimaryEndpoint | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.host === b.host && a.port === b.port && a.database === b.database;
}

/** Why a replica stopped replicating. Each kind maps to one stable error code (HALT_CODES). */
export type HaltKind =
  /**
   * A primary public key is configured and the primary's signed state (CurrentState) carries no
   * signature, or one that does not verify with that key: this is not the primary we trust.
   */
  | 'primary-signature-invalid'
  /** The primary sent a tx that fails verification or contradicts what it sent before. */
  | 'forged-tx'
  /** The replica committed something the primary does not have (or has differently). Never discarded. */
  | 'commit-divergence'
  /** The replica precommitted txs the primary does not have and allowTxDiscarding is off. */
  | 'precommit-divergence'
  /** The primary's epoch is older than the highest epoch this replica has persisted. */
  | 'stale-epoch'
  /** The replica's own files failed verification at start: sticky, and never promotable. */
  | 'local-corruption'
  /** The periodic proof that local committed state is part of the primary's history failed. */
  | 'consistency-proof-failed'
  /** A local store operation the core asked for (persist, apply, discard) failed. */
  | 'local-failure'
  /** The primary cannot serve this replica as configured (e.g. sync replica, async primary). */
  | 'incompatible-primary';

export const HALT_CODES = {
  // listed before forged-tx: readers mapping a code back to one kind (failover-plan.ts) keep forged-tx
  'primary-signature-invalid': 'PROOF_FAILED',
  'forged-tx': 'PROOF_FAILED',
  'commit-divergence': 'REPLICATION_DIVERGENCE',
  'precommit-divergence': 'REPLICATION_DIVERGENCE',
  'stale-epoch': 'REPLICATION_STALE_EPOCH',
  'local-corruption': 'CORRUPTED_DATA',
  'consistency-proof-failed': 'STATE_INCONSISTENT',
  'local-failure': 'IO_ERROR',
  'incompatible-primary': 'REPLICATION_HALTED',
} as const satisfies Record<HaltKind, ErrorCode>;

export interface HaltReason {
  readonly kind: HaltKind;
  readonly code: ErrorCode;
  readonly message: string;
  /** The tx the decision was about, when there is one. */
  readonly txId: number | undefined;
}

export function haltReason(kind: HaltKind, message: string, txId?: number): HaltReason {
  return { kind, code: HALT_CODES[kind], message, txId };
}

/** The result of every step function: the new state and the actions the driver performs in order. */
export interface Step<S, A> {
  readonly state: S;
  readonly actions: readonly A[];
}
