// The client side of the two streaming replication RPCs, for tools that move whole transactions
// (hot backup and hot restore): exportTx (server stream: one committed tx, chunk-framed) and replicateTx
// (client stream: one exported tx in, its header out). Framing is src/api/chunks.ts, shared with the
// server. This file verifies nothing: the caller checks exported bytes (src/proof/export-payload.ts)
// and the server re-verifies what it is sent.
import type { Metadata } from '@grpc/grpc-js';
import { readChunkedMessage, streamChunkBytesDefault, toChunks } from '../api/chunks.js';
import type { ChunkMsg, ExportTxRequestInit, TxHeaderMsg } from '../api/proto-types.js';
import { ImmuError } from '../common/errors.js';
import type { Connection } from './connection.js';
import { txHeaderFromMsg } from './decode.js';
import type { TxHeader } from './types.js';

/** Largest exported tx accepted from a server (the server's replicateTx accepts the same). */
export const exportedTxBytesMax = 1024 * 1024 * 1024;

/** Where stream calls go and what they carry: the connection and the current credentials' metadata. */
export interface StreamCallSite {
  readonly connection: Connection;
  metadata(): Metadata;
}

export interface ExportedTxBytes {
  /** The ExportTx bytes (core spec 6.8), without the stream's 8-byte length prefix. */
  readonly payload: Buffer;
  /** First-chunk metadata (committed-txid-bin, …). */
  readonly metadata: Readonly<Record<string, Buffer>>;
}

/**
 * exportTx of one committed tx of the selected database. An empty payload (the server's long-poll
 * window ended before the tx existed) is TX_BEYOND_STATE: callers ask only for committed txs.
 */
export async function exportTx(site: StreamCallSite, txId: number): Promise<ExportedTxBytes> {
  if (!Number.isSafeInteger(txId) || txId < 1) throw new ImmuError('INVALID_ARGUMENT', `tx must be a positive tx id, not ${txId}`);
  const request: ExportTxRequestInit = { tx: txId, allowPreCommitted: false };
  const chunks = site.connection.immuServerStream('exportTx', request, site.metadata()) as AsyncGenerator<ChunkMsg>;
  let msg: Awaited<ReturnType<typeof readChunkedMessage>>;
  try {
    msg = await readChunkedMessage(chunks, exportedTxBytesMax);
    // Read on to the status so the stream ends normally (no cancel); exportTx answers with one tx only.
    if ((await chunks.next()).done !== true) {
      throw new ImmuError('INVALID_ARGUMENT', `exportTx of tx ${txId} sent more than one message`, { rpc: 'exportTx', txId });
    }
  } catch (err) {
    await chunks.return(undefined);
    throw err;
  }
  if (msg === undefined || msg.payload.length === 0) {
    throw new ImmuError('TX_BEYOND_STATE', `the server exported nothing for tx ${txId}`, { rpc: 'exportTx', txId });
  }
  return msg;
}

/** replicateTx: sends one exported tx in chunks; returns the header the server committed. */
export async function replicateTx(site: StreamCallSite, payload: Buffer, chunkBytes: number = streamChunkBytesDefault): Promise<TxHeader> {
  const { response } = await site.connection.immuClientStream('replicateTx', toChunks(payload, chunkBytes), site.metadata());
  return txHeaderFromMsg(response as TxHeaderMsg, 'replicateTx');
}
