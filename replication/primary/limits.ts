// Named limits of the primary driver, units last. The core's limits (ack timeout bounds, reporting
// replicas) are in replication/core/limits.ts; these are only about the driver's I/O rhythm.

/**
 * Longest an export request waits for its tx before the primary answers with a state-only message
 * (empty payload, fresh committed state and may-commit-up-to). Well below the replica's response
 * timeout (replicaResponseTimeoutMsDefault, 10 s), so an idle but healthy stream never looks dead.
 */
export const exportLongPollWindowMs = 1_000;
/** How often a primary with waiting sync writes ticks its core, so SYNC_ACK_TIMEOUT fires on time. */
export const primaryTickIntervalMs = 100;
