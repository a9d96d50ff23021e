// Every size, count and timeout with a name and its unit last. Defaults follow immudb's server defaults
// (core spec section 7); per-database values are configurable where the name says so.

export const keySizeBytesMax = 1024; // hard cap; per-database maxKeyLen may be lower
export const valueSizeBytesMaxDefault = 32 * 1024 * 1024; // server default maxValueLen (1 << 25)
export const txEntriesMaxDefault = 1024; // per-database maxTxEntries default
export const txEntriesMaxHeaderV0 = 0xffff; // header v0 stores NEntries as u16
export const kvMetadataBytesMax = 11;
export const txMetadataBytesMax = 268;
export const txMetadataExtraBytesMax = 256;
export const chunkFileSizeBytesDefault = 512 * 1024 * 1024; // server default FILE_SIZE (1 << 29)
export const chunkFileSizeBytesMax = 0x7fffffff - 1;
export const activeTxsMax = 1000; // precommitted-but-uncommitted txs allowed at once
export const groupCommitWindowMs = 20; // immudb SyncFrequency; we commit as soon as the fsync queue drains
export const scanResultsMax = 2500;
export const historyResultsMax = 2500;
export const grpcRecvMessageBytesMaxDefault = 32 * 1024 * 1024;
/** HTTP/2 flow-control windows the server opens per call and per connection (src/api/http2-sessions.ts). */
export const http2StreamWindowBytes = 1024 * 1024;
export const http2ConnectionWindowBytes = 8 * 1024 * 1024;
export const referenceResolutionDepthMax = 1;
export const indexWaitTimeoutMsDefault = 30_000;
