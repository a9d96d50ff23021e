// Named limits of the key index (batching, read-ahead, logging cadence). They live beside the index
// because nothing outside src/store/index tunes them; the numbers are justified in docs/design/index.md.

/** Entries written per lmdb write transaction during catch-up (bigger = fewer page copies per put). */
export const indexBatchEntriesMax = 100_000;
/** Txs per batch, so a stream of tiny txs still commits (and advances indexedTxId) regularly. */
export const indexBatchTxsMax = 4_096;
/** Concurrent readTxForIndex calls kept in flight ahead of the writer. */
export const indexReadAheadTxsMax = 64;
/** Batches handed to lmdb whose commit has not been confirmed yet (1 = no overlap). */
export const indexCommitsInFlightMax = 2;
/**
 * A batch of at most this many entries, with no other batch in flight, is committed on the main thread
 * (one short lmdb transaction) instead of lmdb's write thread: live indexing of small Sets then skips a
 * thread round trip per batch. Larger batches keep the B-tree work off the main thread.
 */
export const indexSyncWriteEntriesMax = 64;
/** Progress events (`index.rebuild_progress`, `index.catchup_progress`) at most this often. */
export const indexProgressLogIntervalMs = 2_000;
/** A catch-up shorter than this many txs is live indexing, not worth progress events. */
export const indexCatchupLogThresholdTxs = 10_000;
