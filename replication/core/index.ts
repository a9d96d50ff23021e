// The public surface of replication/core: pure replication decisions for the drivers in
// replication/primary and replication/replica. Test support (testing/) is deliberately not exported.
export * from './types.js';
export * from './limits.js';
export { nextRandom, reconnectDelayMs, type RandomDraw } from './backoff.js';
export {
  checkExportedTx,
  exportLimitsDefault,
  parseExportTx,
  recomputeEh,
  type ExportedEntry,
  type ExportedTx,
  type ExportLimits,
  type ParseResult,
  type TxCheck,
  type TxCheckFailure,
  type TxExpectation,
} from './export-payload.js';
export { computeLag, pruneLagSamples, recordPrimaryCommitted, type Lag, type LagSample } from './lag.js';
export type * from './replica-types.js';
export { startReplica, stepReplica, type ReplicaStep } from './replica-step.js';
export type * from './primary-types.js';
export { ackingReplicas, acksFor, checkPrimaryConfig, commitTarget, startPrimary, stepPrimary, type PrimaryStart, type PrimaryStep } from './primary-step.js';
export {
  UNSAFE_CANARY_CONSENT,
  unsafeAckBeforeReplicaPrecommitForCanaryTestsOnly,
  type UnsafeAckBeforeReplicaPrecommit,
} from './unsafe-canary.js';
export * from './status.js';
export { checkConsistencyProof } from './consistency.js';
export * from './failover.js';
