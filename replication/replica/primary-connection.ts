// The seam between a replica driver and the network: log in to a primary, open export streams, ask for
// a consistency proof. The driver only sees these interfaces and the core's StreamFailure values; the
// gRPC implementation (grpc-connector.ts) is injected by the composition root, so the node and the
// driver stay free of src/api, and tests can put a forging primary behind the same seam.
import type { ConsistencyOutcome, StreamFailure, TxRef } from '../core/index.js';
import type { PrimarySignedState } from './primary-state-check.js';

export interface PrimaryLogin {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly username: string;
  readonly password: string;
}

/** One export request on the wire (immudb's ExportTxRequest). */
export interface ExportRequestWire {
  readonly txId: number;
  readonly allowPrecommitted: boolean;
  /** Sync replicas only: ReplicaState, with this server's UUID. */
  readonly replicaState: { readonly uuid: string; readonly committed: TxRef; readonly precommitted: TxRef } | undefined;
}

/** One answer, its first-chunk metadata already decoded and size-checked. */
export interface ExportAnswerWire {
  readonly payload: Buffer;
  readonly primaryCommittedTxId: number;
  readonly primaryCommittedAlh: Buffer | undefined;
  readonly mayCommitUpTo: TxRef | undefined;
  readonly primaryEpoch: number | undefined;
  /** immudbts-precommitted-txid-bin; undefined from immudb primaries. */
  readonly primaryPrecommittedTxId?: number | undefined;
}

export interface ExportStreamHandlers {
  onAnswer(answer: ExportAnswerWire): void;
  /** The stream ended (error or not): called once, classified by error code. */
  onFailure(failure: StreamFailure): void;
}

export interface ExportStream {
  send(req: ExportRequestWire): void;
  close(): void;
}

export interface PrimarySession {
  /** Opens streamExportTx carrying `epoch` as the `immudbts-primary-epoch` request header. */
  openStream(epoch: number, handlers: ExportStreamHandlers): ExportStream;
  /** The primary's CurrentState of the database, with its signature when the primary signs states. */
  currentState(): Promise<PrimarySignedState>;
  /**
   * Proves `local` is part of the primary's history up to `primary` (its committed state, as read by
   * currentState): VerifiableTxById(primary, proveSinceTx = local), checked by checkConsistencyProof.
   */
  proveConsistency(local: TxRef, primary: TxRef): Promise<ConsistencyOutcome>;
  close(): Promise<void>;
}

export interface PrimaryConnector {
  /** Logs in; rejects with a message on failure (the driver reports connectFailed and backs off). */
  connect(login: PrimaryLogin): Promise<PrimarySession>;
}
