// The primary-side sync-ack state machine's data: each replica's reported state, client writes waiting
// for acks, the commit allowance, and the events and actions around them. Types only.
import type { ErrorCode } from '../../src/common/errors.js';
import type { ReportedReplicaState } from './replica-types.js';
import type { TxRef } from './types.js';
import type { UnsafeAckBeforeReplicaPrecommit } from './unsafe-canary.js';

export interface PrimaryConfig {
  /** Replicas that must durably precommit a tx before it commits; 0 = async (commit on local durability). */
  readonly syncAcks: number;
  readonly syncAckTimeoutMs: number;
  /** Test canary only (unsafe-canary.ts); undefined in every real deployment. */
  readonly unsafeCanary: UnsafeAckBeforeReplicaPrecommit | undefined;
}

export type ReplicaStanding =
  /** Same epoch and history as ours: its precommitted tip counts as acks. */
  | 'acking'
  /** Reported an older epoch: answered (so it learns ours) but never counted. */
  | 'stale-epoch'
  /** Reported an Alh we do not have at that tx: rejected and never counted. */
  | 'diverged';

export interface ReplicaView {
  readonly replicaId: string;
  readonly epoch: number;
  readonly committed: TxRef;
  readonly precommitted: TxRef;
  readonly lastSeenMs: number;
  readonly standing: ReplicaStanding;
  readonly divergence: string | undefined;
}

export interface Waiter {
  readonly waitId: string;
  readonly txId: number;
  readonly sinceMs: number;
}

export interface PrimaryState {
  readonly database: string;
  readonly epoch: number;
  readonly config: PrimaryConfig;
  readonly committed: TxRef;
  /** Durably precommitted tip: the most a replica can have and the most we may allow. */
  readonly precommitted: TxRef;
  readonly allowedTxId: number;
  readonly replicas: readonly ReplicaView[];
  readonly waiters: readonly Waiter[];
  /** Set when a replica reported a newer epoch: this primary was replaced and commits nothing more. */
  readonly fencedByEpoch: number | undefined;
}

export type PrimaryEvent =
  /** Settings changed (syncAcks, timeout). Always accepted at once, also while writes are blocked. */
  | { readonly kind: 'configure'; readonly nowMs: number; readonly config: PrimaryConfig }
  | { readonly kind: 'precommitted'; readonly nowMs: number; readonly tx: TxRef }
  | { readonly kind: 'committed'; readonly nowMs: number; readonly tx: TxRef }
  /** A client write precommitted tx `txId` and now waits for it to commit. */
  | { readonly kind: 'writeWaiting'; readonly nowMs: number; readonly waitId: string; readonly txId: number }
  /**
   * A replica's export request. `state` is its ReplicaState (sync replicas only). The driver looks up its
   * own Alh at the reported ids (undefined when beyond its precommitted tip) so the core can compare.
   */
  | {
      readonly kind: 'replicaRequest';
      readonly nowMs: number;
      readonly replicaId: string;
      readonly epoch: number;
      readonly state: ReportedReplicaState | undefined;
      readonly primaryAlhAtCommitted: Buffer | undefined;
      readonly primaryAlhAtPrecommitted: Buffer | undefined;
    }
  | { readonly kind: 'tick'; readonly nowMs: number }
  /** The database is closing: nobody waits for acks any more. */
  | { readonly kind: 'close'; readonly nowMs: number };

export interface WriteError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details: Readonly<Record<string, unknown>>;
}

export type PrimaryAction =
  | { readonly kind: 'allowCommitUpTo'; readonly txId: number }
  /** The write's tx is committed: return success to the client. */
  | { readonly kind: 'releaseWrite'; readonly waitId: string; readonly txId: number }
  /** The write fails; its tx stays precommitted (and may still commit later). */
  | { readonly kind: 'failWrite'; readonly waitId: string; readonly txId: number; readonly error: WriteError }
  /** Serve the replica's request; in sync mode attach may-commit-up-to. Always attach our epoch. */
  | { readonly kind: 'answerReplica'; readonly replicaId: string; readonly epoch: number; readonly mayCommitUpTo: TxRef | undefined }
  | {
      readonly kind: 'rejectReplica';
      readonly replicaId: string;
      readonly code: ErrorCode;
      readonly scope: 'commit' | 'precommit' | 'epoch' | 'configuration';
      readonly message: string;
    }
  /** A replica follows a newer epoch: this node must stop acting as primary (refuse writes, log loudly). */
  | { readonly kind: 'fenced'; readonly epoch: number; readonly replicaId: string };
