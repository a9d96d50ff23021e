// Named limits and defaults of the client, units last. One place, so the CLIs and a later failover
// layer read the same numbers.

/** Deadline of one unary call unless the caller sets `timeoutMs`. */
export const callTimeoutMsDefault = 30_000;

/** Session heartbeat period (the Go SDK's is one minute; the server closes sessions idle > 2 min). */
export const heartbeatIntervalMsDefault = 60_000;

/** The port immudb listens on when an endpoint names none. */
export const immudbPortDefault = 3322;

/** The database a login or session selects when none is named. */
export const defaultDatabase = 'defaultdb';

/** Largest message the client accepts (immudb's default server limit is the same 32 MiB). */
export const recvMessageBytesMaxDefault = 32 * 1024 * 1024;

/** Longest wait between two connection attempts to a node that is down (grpc-js's default is 120 s). */
export const reconnectBackoffMsMax = 5_000;
