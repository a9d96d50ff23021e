// The three replication RPCs of ImmuService on the wire: exportTx (one tx, server stream), streamExportTx
// (bidi: one chunked answer per request) and replicateTx (client stream: one exported tx in). This file
// authorizes (admin on the selected database, permissions.ts), decodes requests, frames answers in
// chunks with their first-chunk metadata (immudb's keys plus ours: committed Alh, epoch), and puts the
// refusal scope and epoch in trailers next to `immudbts-error-code`. Decisions are the node's.
import { ImmuError } from '../../common/errors.js';
import { EMPTY_HASH } from '../../proof/index.js';
import { hasReplication, type NodeApi, type ReplicationNodeApi } from '../../server/node-api.js';
import type { ExportAnswer, ExportRequest } from '../../../replication/primary/primary-driver.js';
import { readChunkedMessage, streamChunkBytesDefault, toChunks } from '../chunks.js';
import { toTxId, u64Bin } from '../convert.js';
import { bidiStream, clientStream, serverStream, type CallContext as RpcContext, type HandlerEnv } from '../handler.js';
import {
  committedAlhBinKey,
  precommittedTxIdBinKey,
  committedTxIdBinKey,
  epochBinKey,
  mayCommitUpToAlhBinKey,
  mayCommitUpToTxIdBinKey,
  primaryEpochHeader,
  readUintHeader,
  replicationScopeTrailer,
} from '../metadata.js';
import type { ChunkMsg, ExportTxRequestMsg, ReplicaStateMsg } from '../proto-types.js';
import { authorize, type HandlerMap } from './handler-support.js';
import { txHeaderToProto } from './convert-tx.js';

/** Largest exported tx replicateTx accepts (the gRPC receive limit bounds each chunk, not the total). */
export const replicateTxPayloadBytesMax = 1024 * 1024 * 1024;

const alhBytes = 32;

function refOf(id: unknown, alh: Buffer, field: string): { txId: number; alh: Buffer } {
  const txId = toTxId(id, `${field}TxID`);
  if (txId === 0) return { txId, alh: EMPTY_HASH };
  if (alh.length !== alhBytes) throw new ImmuError('INVALID_ARGUMENT', `${field}Alh must be ${alhBytes} bytes`, { field: `${field}Alh` });
  return { txId, alh };
}

function replicaStateOf(m: ReplicaStateMsg | null): ExportRequest['state'] {
  if (m === null) return undefined;
  return { committed: refOf(m.committedTxID, m.committedAlh, 'replicaState.committed'), precommitted: refOf(m.precommittedTxID, m.precommittedAlh, 'replicaState.precommitted') };
}

function exportRequestOf(req: ExportTxRequestMsg, rpc: RpcContext): ExportRequest {
  const state = replicaStateOf(req.replicaState);
  const uuid = req.replicaState?.UUID ?? '';
  return {
    txId: toTxId(req.tx, 'tx'),
    allowPrecommitted: req.allowPreCommitted,
    replicaId: uuid !== '' ? uuid : rpc.peer,
    epoch: readUintHeader(rpc.metadata, primaryEpochHeader),
    state,
    signal: rpc.signal,
  };
}

/** First-chunk metadata: immudb's keys (committed id, may-commit-up-to) and ours (committed Alh, epoch). */
function answerMetadata(a: ExportAnswer): Record<string, Buffer> {
  const md: Record<string, Buffer> = {
    [committedTxIdBinKey]: u64Bin(a.committed.txId),
    [committedAlhBinKey]: a.committed.txId === 0 ? EMPTY_HASH : a.committed.alh,
    [epochBinKey]: u64Bin(a.epoch),
  };
  if (a.precommittedTxId !== undefined) md[precommittedTxIdBinKey] = u64Bin(a.precommittedTxId);
  if (a.mayCommitUpTo !== undefined) {
    md[mayCommitUpToTxIdBinKey] = u64Bin(a.mayCommitUpTo.txId);
    md[mayCommitUpToAlhBinKey] = a.mayCommitUpTo.txId === 0 ? EMPTY_HASH : a.mayCommitUpTo.alh;
  }
  return md;
}

/** A refusal's scope and the primary's epoch ride as trailers, so replicas branch on codes, not text. */
async function withRefusalTrailers<T>(rpc: RpcContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ImmuError && err.details !== undefined) {
      const { scope, epoch } = err.details;
      if (typeof scope === 'string') rpc.trailers.set(replicationScopeTrailer, scope);
      if (typeof epoch === 'number' && Number.isSafeInteger(epoch) && epoch >= 0) rpc.trailers.set(epochBinKey, u64Bin(epoch));
    }
    throw err;
  }
}

async function answer(node: ReplicationNodeApi, ctx: Awaited<ReturnType<NodeApi['authorize']>>, req: ExportTxRequestMsg, rpc: RpcContext): Promise<ExportAnswer> {
  return withRefusalTrailers(rpc, () => node.exportTx(ctx, exportRequestOf(req, rpc)));
}

/** The replication RPCs, or none when the node does not run replication (then they stay UNIMPLEMENTED). */
export function replicationHandlers(node: NodeApi, env: HandlerEnv, chunkBytes = streamChunkBytesDefault): HandlerMap {
  if (!hasReplication(node)) return {};
  return {
    exportTx: serverStream<ExportTxRequestMsg, object>(env, 'exportTx', async (req, rpc, send) => {
      const ctx = await authorize(node, rpc);
      const a = await answer(node, ctx, req, rpc);
      const md = answerMetadata(a);
      // immudb also sets its three values as trailers on the unary-style export (compatibility)
      for (const key of [committedTxIdBinKey, mayCommitUpToTxIdBinKey, mayCommitUpToAlhBinKey]) {
        const v = md[key];
        if (v !== undefined) rpc.trailers.set(key, v);
      }
      for (const chunk of toChunks(a.payload, chunkBytes, md)) await send(chunk);
    }) as HandlerMap[string],
    streamExportTx: bidiStream<ExportTxRequestMsg, object>(env, 'streamExportTx', async (reqs, rpc, send) => {
      const ctx = await authorize(node, rpc);
      // Not `for await`: leaving that loop by a throw destroys the call, and the refusal's status and
      // trailers would never reach the replica.
      const requests = reqs[Symbol.asyncIterator]();
      for (let next = await requests.next(); next.done !== true; next = await requests.next()) {
        const a = await answer(node, ctx, next.value, rpc);
        for (const chunk of toChunks(a.payload, chunkBytes, answerMetadata(a))) await send(chunk);
      }
    }) as HandlerMap[string],
    replicateTx: clientStream<ChunkMsg, object>(env, 'replicateTx', async (chunks, rpc) => {
      const ctx = await authorize(node, rpc);
      const msg = await readChunkedMessage(chunks[Symbol.asyncIterator](), replicateTxPayloadBytesMax);
      if (msg === undefined) throw new ImmuError('INVALID_ARGUMENT', 'replicateTx received no transaction');
      return txHeaderToProto(await node.replicateTx(ctx, msg.payload));
    }) as HandlerMap[string],
  };
}
