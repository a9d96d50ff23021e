// Named limits of the node's control plane (names, users, settings, sessions, login throttling), each
// with its unit last. Engine limits live in src/common/limits.ts; these only concern src/server.

// names
export const databaseNameCharsMax = 128;
export const usernameCharsMax = 63;
/** bcrypt only reads the first 72 bytes of a password; longer ones are refused, never silently cut. */
export const passwordBytesMax = 72;

// password hashing
export const bcryptCost = 10;

// database settings
export const primaryPortDefault = 3322;
export const prefetchTxBufferSizeDefault = 100;
export const prefetchTxBufferSizeMax = 100_000;
export const replicationCommitConcurrencyDefault = 10;
export const replicationCommitConcurrencyMax = 1024;
export const syncAcksMax = 64;
export const syncAckTimeoutMsDefault = 10_000;
export const syncAckTimeoutMsMax = 24 * 60 * 60 * 1000;
export const syncFrequencyMsDefault = 20;
export const syncFrequencyMsMax = 60_000;
export const maxActiveTransactionsDefault = 1000;
export const maxActiveTransactionsMax = 1_000_000;
export const fileSizeBytesMin = 4096;
export const valueSizeBytesMaxHard = 0x7fffffff; // per-database maxValueLen upper bound
export const txEntriesMaxHard = 0xffffffff; // header v1 counts entries in a u32
export const primaryHostCharsMax = 255;

// sessions and legacy tokens
export const sessionIdBytes = 32;
export const legacyTokenBytes = 32;
export const sessionIdleTimeoutMsDefault = 2 * 60 * 1000; // immudb --session-timeout
export const sessionAgeMsMaxDefault = Number.POSITIVE_INFINITY; // immudb --max-session-age-time
export const sessionsMaxDefault = 100; // immudb --max-sessions
export const sessionGuardIntervalMsDefault = 60 * 1000;
export const legacyTokenTtlMsDefault = 1440 * 60 * 1000; // immudb --token-expiry-time 1440 min
export const legacyTokensMax = 100_000;

// login throttling
export const loginFailuresFreePerUser = 5;
export const loginFailuresFreePerPeer = 20;
export const loginLockoutMsBase = 1000;
export const loginLockoutMsMax = 60_000;
/** A key with no failure for this long is forgotten. */
export const loginFailureMemoryMs = 15 * 60 * 1000;
export const loginThrottleEntriesMax = 100_000;
