// Every timeout, poll period and size bound the cluster harness uses, named with its unit last, in one
// place so a slow CI machine is tuned here and nowhere else. Not for limits of the server itself.

/** How long a node may take from spawn to answering Health and /readyz. */
export const nodeStartTimeoutMs = 20_000;
/** How long stop() waits after SIGTERM before it falls back to SIGKILL. */
export const nodeStopTimeoutMs = 10_000;
/** How long kill9() waits for the kernel to report the child gone. */
export const nodeExitWaitMs = 5_000;
/** Poll period of health checks and state polls. */
export const pollIntervalMs = 100;
/** Deadline of each harness-side client call (health, state, scans). */
export const harnessCallTimeoutMs = 3_000;
/** Default wait of waitForEvent(). */
export const eventWaitTimeoutMs = 15_000;
/** Structured log events kept in memory per node (older ones are only in the log file). */
export const nodeEventsKeptMax = 20_000;
/** How often a child's orphan guard checks that its parent is still the harness. */
export const orphanGuardPeriodMs = 500;
/** Default wait for replicas to reach the primary's state. */
export const convergeTimeoutMs = 30_000;
/** Keys per page when the harness scans a database to read back its final state. */
export const scanPageKeysMax = 1_000;
/** Upper bound on keys the harness reads back from one database (stops runaway scans). */
export const scanKeysMax = 200_000;
/** Upper bound on write attempts one load run makes, whatever its duration. */
export const loadWritesMax = 20_000;
/** Upper bound on the duration of one load run. */
export const loadDurationMsMax = 120_000;
/** Upper bound on one immuadmin CLI invocation. */
export const cliTimeoutMs = 20_000;
