// The replica state machine's data: config, the local store facts it starts from, its state, the events
// a driver feeds in and the actions it must perform (in order). Types only; behaviour is in
// replica-step.ts and replica-receive.ts. Tx ids are safe integers (TxHeader decodes them so).
import type { LagSample } from './lag.js';
import type { HaltReason, PrimaryEndpoint, TxRef } from './types.js';

export interface ReplicaConfig {
  readonly database: string;
  /** undefined: a passive replica (read-only, fed only by external replicateTx); no replicator runs. */
  readonly primary: PrimaryEndpoint | undefined;
  readonly syncReplication: boolean;
  readonly allowTxDiscarding: boolean;
  readonly prefetchTxsMax: number;
  readonly responseTimeoutMs: number;
  readonly consistencyCheckIntervalMs: number;
  /**
   * Export requests kept outstanding on the stream while the primary is known to hold the txs asked
   * for (answers come back in order). 1 (the default) is strict request/answer; more overlaps round
   * trips so a catching-up or busy replica fetches several txs per round-trip time.
   */
  readonly requestsInFlightMax?: number;
}

/** What the driver reads from the local store before starting (after verifying the store's files). */
export interface ReplicaLocalState {
  readonly committed: TxRef;
  /** Durably precommitted tip (>= committed). */
  readonly precommitted: TxRef;
  /** Every tx in (committed, precommitted], ascending: the uncommitted tail the core must be able to check. */
  readonly uncommitted: readonly TxRef[];
  /** Highest primary epoch this replica has persisted (0 = never followed an epoch-aware primary). */
  readonly epoch: number;
  /** Did the store's own files verify at open (store.verify)? false halts for good and forbids promotion. */
  readonly verifiedAtStart: boolean;
}

export interface OutstandingRequest {
  readonly txId: number;
  readonly sentAtMs: number;
}

export type ReplicaPhase =
  | { readonly kind: 'stopped' }
  /** Waiting before (re)connecting; also waits for in-flight applies to drain. */
  | { readonly kind: 'backoff'; readonly untilMs: number }
  | { readonly kind: 'connecting'; readonly sinceMs: number }
  /** `requests`: outstanding export requests, oldest first (answers arrive in this order). */
  | { readonly kind: 'streaming'; readonly requests: readonly OutstandingRequest[] }
  | { readonly kind: 'halted'; readonly reason: HaltReason; readonly atMs: number };

export interface PrimaryObservation {
  readonly committedTxId: number;
  /** immudb-ts primaries: their durably precommitted tip (sync replicas may fetch up to it); 0 when unknown. */
  readonly precommittedTxId: number;
  readonly epoch: number | undefined;
  readonly seenAtMs: number | undefined;
}

export interface ReplicaState {
  readonly config: ReplicaConfig;
  readonly phase: ReplicaPhase;
  readonly committed: TxRef;
  /** Verified txs after `committed`, ascending and contiguous: applied ones, then ones queued for apply. */
  readonly tail: readonly TxRef[];
  /** Durably precommitted tip id: committed.txId <= precommittedTxId <= receivedTip. */
  readonly precommittedTxId: number;
  /** Commit allowance already sent to the store. */
  readonly allowedTxId: number;
  /** Highest tx id whose Alh the primary attested and that the primary has committed. */
  readonly attestedTxId: number;
  /** Attestations for txs not received yet, ascending by id. */
  readonly pendingAttestations: readonly TxRef[];
  /** Txs with id >= this came from the current connection: a contradiction about them is forgery, not divergence. */
  readonly sessionFirstTxId: number;
  /** Highest epoch persisted (actions order persistEpoch before anything that depends on it). */
  readonly epoch: number;
  readonly failures: number;
  readonly rngSeed: number;
  readonly primary: PrimaryObservation;
  readonly lagSamples: readonly LagSample[];
  readonly consistencyCheckAtMs: number;
  readonly consistencyCheckOutstanding: boolean;
  /** The last consistency check that proved our committed state part of the primary's history. */
  readonly lastConsistencyCheck: { readonly atMs: number; readonly txId: number; readonly primaryTxId: number } | undefined;
  readonly verifiedAtStart: boolean;
}

export type StreamFailure =
  /** Transport error, lost session, primary unavailable: reconnect with backoff. */
  | { readonly kind: 'transient'; readonly message: string }
  /** An immudb async primary's "no new transactions" (immudb-ts primaries long-poll instead). */
  | { readonly kind: 'no-new-tx' }
  /**
   * The primary checked our ReplicaState and found our precommitted txs are not in its history.
   * `primaryEpoch`: the refusing primary's epoch when it said (immudb-ts primaries do); learned like
   * the epoch of any answer.
   */
  | { readonly kind: 'precommit-divergence'; readonly message: string; readonly primaryEpoch?: number | undefined }
  /** The primary checked our ReplicaState and found our committed txs are not in its history. */
  | { readonly kind: 'commit-divergence'; readonly message: string; readonly primaryEpoch?: number | undefined }
  /** The primary refused us because our epoch is newer than its own: it is a fenced old primary. */
  | { readonly kind: 'stale-epoch'; readonly primaryEpoch: number; readonly message: string }
  /** The primary cannot serve this configuration (sync vs async, protocol, version). */
  | { readonly kind: 'incompatible'; readonly message: string };

export type ConsistencyOutcome =
  | { readonly kind: 'ok'; readonly primaryTxId: number }
  | { readonly kind: 'mismatch'; readonly message: string }
  /** A primary public key is configured and the primary's state is unsigned or its signature is wrong. */
  | { readonly kind: 'signature-invalid'; readonly message: string }
  | { readonly kind: 'unavailable'; readonly message: string };

export type ReplicaEvent =
  | { readonly kind: 'configure'; readonly nowMs: number; readonly config: ReplicaConfig }
  | { readonly kind: 'stop'; readonly nowMs: number }
  | { readonly kind: 'connected'; readonly nowMs: number }
  | { readonly kind: 'connectFailed'; readonly nowMs: number; readonly message: string }
  /**
   * At session start the primary's signed state failed the configured public key (unsigned, or a bad
   * signature): the driver reports this instead of `connected`.
   */
  | { readonly kind: 'primarySignatureInvalid'; readonly nowMs: number; readonly message: string }
  | {
      readonly kind: 'received';
      readonly nowMs: number;
      /** The exported tx, or empty for a state-only answer (sync long-poll timeout). */
      readonly payload: Buffer;
      /** committed-txid-bin: the primary's committed tx id. */
      readonly primaryCommittedTxId: number;
      /** immudb-ts addition: the primary's Alh at primaryCommittedTxId; undefined from immudb primaries. */
      readonly primaryCommittedAlh: Buffer | undefined;
      /** may-commit-up-to-txid-bin / -alh-bin: sync mode only. */
      readonly mayCommitUpTo: TxRef | undefined;
      /** immudbts-epoch-bin: the primary's epoch; undefined from immudb primaries (treated as 0). */
      readonly primaryEpoch: number | undefined;
      /** immudbts-precommitted-txid-bin: the primary's durably precommitted tip; undefined from immudb primaries. */
      readonly primaryPrecommittedTxId?: number | undefined;
    }
  | { readonly kind: 'streamFailed'; readonly nowMs: number; readonly failure: StreamFailure }
  /** A tx from applyTx is durably precommitted locally (store.replicateTx resolved and fsynced). */
  | { readonly kind: 'applied'; readonly nowMs: number; readonly txId: number; readonly alh: Buffer }
  /** store.replicateTx refused the tx: `chain` = it did not chain on (BlRoot etc.), `transient` = I/O, busy. */
  | { readonly kind: 'applyFailed'; readonly nowMs: number; readonly txId: number; readonly failure: 'chain' | 'transient'; readonly message: string }
  /** The store's commit watermark advanced. */
  | { readonly kind: 'committed'; readonly nowMs: number; readonly txId: number }
  | { readonly kind: 'consistencyChecked'; readonly nowMs: number; readonly outcome: ConsistencyOutcome }
  /** A persist or discard the core asked for failed. */
  | { readonly kind: 'localFailure'; readonly nowMs: number; readonly operation: string; readonly message: string }
  | { readonly kind: 'tick'; readonly nowMs: number };

export interface ReportedReplicaState {
  readonly committed: TxRef;
  readonly precommitted: TxRef;
}

export type ReplicaAction =
  /** Durably persist the highest seen epoch. Must complete before any later action. */
  | { readonly kind: 'persistEpoch'; readonly epoch: number }
  | { readonly kind: 'connect'; readonly primary: PrimaryEndpoint }
  | { readonly kind: 'disconnect' }
  /** Ask the primary for tx `txId`; carry `epoch` (fencing header) and, in sync mode, our state (the ack). */
  | {
      readonly kind: 'requestTx';
      readonly txId: number;
      readonly epoch: number;
      readonly allowPrecommitted: boolean;
      readonly replicaState: ReportedReplicaState | undefined;
    }
  /** Apply a verified tx through the store's verifying replicate path, then report applied/applyFailed. */
  | { readonly kind: 'applyTx'; readonly txId: number; readonly alh: Buffer; readonly payload: Buffer }
  | { readonly kind: 'allowCommitUpTo'; readonly txId: number; readonly alh: Buffer }
  | { readonly kind: 'discardPrecommittedSince'; readonly txId: number }
  | { readonly kind: 'halt'; readonly reason: HaltReason }
  /** Call `tick` at (or after) this time. */
  | { readonly kind: 'wakeAt'; readonly atMs: number }
  /** Prove `committed` is part of the primary's history and report consistencyChecked. */
  | { readonly kind: 'checkConsistency'; readonly committed: TxRef };
