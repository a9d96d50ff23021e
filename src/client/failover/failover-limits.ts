// Named limits of the client's failover layer, units last, in one place so the CLIs, the tests and a
// caller tuning for a slow network read the same numbers. Not for server limits.

/** Attempts one call makes across endpoints (the first try included) before it gives up. */
export const failoverAttemptsMax = 6;

/** First retry delay; doubles per attempt up to failoverBackoffMsMax. */
export const failoverBackoffMsBase = 50;

/** Largest delay between two attempts of one call. */
export const failoverBackoffMsMax = 2_000;

/** Share of each delay removed at random (0.2: a delay lands in [0.8·d, d]), so clients do not retry in step. */
export const failoverJitterFraction = 0.2;

/** Deadline of one role probe (ReplicationStatus, and the login it may need) on one endpoint. */
export const roleProbeTimeoutMs = 2_000;

/** How long a role map stays fresh without any failure forcing a re-probe. */
export const roleMapTtlMs = 30_000;

/** How long the channel of an endpoint may take to connect before a write counts as "not sent". */
export const connectTimeoutMsMax = 3_000;

/** How long an endpoint that failed to connect is tried last (it stays a fallback, never excluded). */
export const endpointPenaltyMs = 5_000;
