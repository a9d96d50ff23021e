// Named limits of the replication core, units last. Drivers pass per-database values through the
// configs; these are the defaults and the hard bounds the core asserts.

/** First reconnect delay after a failure; doubles per consecutive failure. */
export const reconnectDelayMsMin = 100;
/**
 * Cap of the reconnect delay. immudb uses 2 minutes; a replica that long behind is an outage. The cap is
 * also the worst extra delay between a healed partition and the replica's next attempt, so it is kept
 * short: one cheap login attempt per second to a primary that is down costs nothing worth saving.
 */
export const reconnectDelayMsMax = 1_000;
/** A reconnect delay is reduced by a random fraction in [0, this) so replicas do not reconnect in step. */
export const reconnectJitterFractionMax = 0.2;
/** Delay before re-polling a primary that answered "no new transactions" (immudb primaries only). */
export const idlePollDelayMs = 200;
/** A request with no answer for this long counts as a failed connection (long poll + margin). */
export const replicaResponseTimeoutMsDefault = 10_000;
/** How often a streaming replica proves its committed state is part of the primary's history. */
export const consistencyCheckIntervalMsDefault = 60_000;
/** Verified txs handed to the store but not yet durably precommitted (immudb prefetchTxBufferSize). */
export const prefetchTxsMaxDefault = 100;
/** Primary attestations (tx id + Alh) kept for txs the replica has not received yet. */
export const pendingAttestationsMax = 64;
/** (primary committed tx id, time seen) samples kept to compute lag in milliseconds. */
export const lagSamplesMax = 64;
/** A client write on a sync primary fails with SYNC_ACK_TIMEOUT after waiting this long for acks. */
export const syncAckTimeoutMsDefault = 10_000;
/** Upper bound of syncAckTimeoutMs a config may set (a bigger value is a hang by another name). */
export const syncAckTimeoutMsMax = 10 * 60_000;
/** Distinct replicas a primary remembers reports from (least recently seen forgotten first). */
export const reportingReplicasMax = 64;
/**
 * Export requests a replica keeps outstanding while its primary is known to hold the txs (drivers'
 * default; the core's own default is 1). Overlapping round trips is what lets a replica keep up with a
 * busy primary: one request per round trip caps it at 1/RTT txs per second.
 */
export const replicaRequestsInFlightMaxDefault = 16;
