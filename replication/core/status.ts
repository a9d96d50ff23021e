// The replication status record a node exposes per database (immudbts.v1.DatabaseReplicationStatus plus
// per-replica ack state on primaries), projected from the core states. Pure: the driver calls these on
// every status RPC and metrics scrape instead of the core emitting status actions that duplicate state.
import { computeLag } from './lag.js';
import type { PrimaryState, ReplicaStanding } from './primary-types.js';
import type { ReplicaState } from './replica-types.js';
import type { HaltKind, PrimaryEndpoint } from './types.js';
import type { ErrorCode } from '../../src/common/errors.js';

export type ReplicationRole = 'primary' | 'replica' | 'passive-replica';
export type ReplicationRunState = 'not-running' | 'connecting' | 'running' | 'halted';

export interface HaltStatus {
  readonly kind: HaltKind;
  readonly code: ErrorCode;
  readonly message: string;
  readonly txId: number | undefined;
  readonly atMs: number;
}

export interface ReplicaAckStatus {
  readonly replicaId: string;
  readonly epoch: number;
  readonly committedTxId: number;
  readonly precommittedTxId: number;
  readonly standing: ReplicaStanding;
  readonly divergence: string | undefined;
  /** Txs the replica lacks of our durably precommitted ones. */
  readonly lagTxs: number;
  readonly lastSeenAgoMs: number;
}

export interface ReplicationStatus {
  readonly database: string;
  readonly role: ReplicationRole;
  readonly state: ReplicationRunState;
  readonly primary: PrimaryEndpoint | undefined;
  readonly epoch: number;
  readonly committedTxId: number;
  readonly precommittedTxId: number;
  readonly primaryCommittedTxId: number;
  readonly lagTxs: number;
  readonly lagMs: number;
  readonly syncReplication: boolean;
  readonly syncAcks: number;
  readonly halt: HaltStatus | undefined;
  /**
   * May a failover promote this node? Only a replica whose replicator runs (connecting or streaming,
   * not halted, not passive) and whose own files verified at start. An operator can still promote a
   * halted replica by hand when the halt says nothing about its data (isPromotableAfter).
   */
  readonly promotable: boolean;
  readonly consecutiveFailures: number;
  /** Replicas only: when the periodic consistency check last proved our committed state (undefined: never). */
  readonly lastConsistencyCheckAtMs: number | undefined;
  /** Primaries only: what each replica reported. */
  readonly replicas: readonly ReplicaAckStatus[];
  /** True only on a primary running the lost-write canary (unsafe-canary.ts). */
  readonly unsafeCanary: boolean;
}

/** Halts that say nothing bad about the replica's own data (an operator may still promote it by hand). */
const PROMOTABLE_HALTS: ReadonlySet<HaltKind> = new Set<HaltKind>(['stale-epoch', 'incompatible-primary']);

export function isPromotableAfter(kind: HaltKind): boolean {
  return PROMOTABLE_HALTS.has(kind);
}

export function replicaStatus(s: ReplicaState, nowMs: number): ReplicationStatus {
  const phase = s.phase;
  const state: ReplicationRunState =
    phase.kind === 'halted' ? 'halted' : phase.kind === 'streaming' ? 'running' : phase.kind === 'stopped' ? 'not-running' : 'connecting';
  const lag = computeLag(s.lagSamples, s.primary.committedTxId, s.committed.txId, nowMs);
  const halt = phase.kind === 'halted' ? { ...phase.reason, atMs: phase.atMs } : undefined;
  return {
    database: s.config.database,
    role: s.config.primary === undefined ? 'passive-replica' : 'replica',
    state,
    primary: s.config.primary,
    epoch: s.epoch,
    committedTxId: s.committed.txId,
    precommittedTxId: s.precommittedTxId,
    primaryCommittedTxId: s.primary.committedTxId,
    lagTxs: lag.lagTxs,
    lagMs: lag.lagMs,
    syncReplication: s.config.syncReplication,
    syncAcks: 0,
    halt,
    promotable: s.verifiedAtStart && (state === 'running' || state === 'connecting'),
    consecutiveFailures: s.failures,
    lastConsistencyCheckAtMs: s.lastConsistencyCheck?.atMs,
    replicas: [],
    unsafeCanary: false,
  };
}

export function primaryStatus(s: PrimaryState, nowMs: number): ReplicationStatus {
  return {
    database: s.database,
    role: 'primary',
    state: s.fencedByEpoch !== undefined ? 'halted' : 'running',
    primary: undefined,
    epoch: s.epoch,
    committedTxId: s.committed.txId,
    precommittedTxId: s.precommitted.txId,
    primaryCommittedTxId: s.committed.txId,
    lagTxs: 0,
    lagMs: 0,
    syncReplication: s.config.syncAcks > 0,
    syncAcks: s.config.syncAcks,
    halt:
      s.fencedByEpoch === undefined
        ? undefined
        : { kind: 'stale-epoch', code: 'REPLICATION_STALE_EPOCH', message: `replaced by a primary at epoch ${s.fencedByEpoch}`, txId: undefined, atMs: nowMs },
    promotable: false,
    consecutiveFailures: 0,
    lastConsistencyCheckAtMs: undefined,
    replicas: s.replicas.map((r) => ({
      replicaId: r.replicaId,
      epoch: r.epoch,
      committedTxId: r.committed.txId,
      precommittedTxId: r.precommitted.txId,
      standing: r.standing,
      divergence: r.divergence,
      lagTxs: Math.max(0, s.precommitted.txId - r.precommitted.txId),
      lastSeenAgoMs: Math.max(0, nowMs - r.lastSeenMs),
    })),
    unsafeCanary: s.config.unsafeCanary !== undefined,
  };
}
