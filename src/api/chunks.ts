// immudb's chunked-message framing for stream RPCs (exportTx, streamExportTx, replicateTx; cluster
// spec §3.3): the first chunk's content starts with the 8-byte big-endian total payload length, later
// chunks carry continuation bytes, every chunk's content is at most the chunk size, and metadata rides
// on the first chunk only. Pure functions; the handlers and the replicator do the I/O.
import { ImmuError } from '../common/errors.js';
import { readU64Bin, u64Bin } from './convert.js';
import type { ChunkInit, ChunkMsg } from './proto-types.js';

/** immudb's default stream chunk size and its minimum. */
export const streamChunkBytesDefault = 64 * 1024;
export const streamChunkBytesMin = 4 * 1024;

/** Splits one logical message into chunks (an empty payload still yields one chunk: its length). */
export function toChunks(payload: Buffer, chunkBytes: number, metadata?: Readonly<Record<string, Buffer>>): ChunkInit[] {
  if (!Number.isInteger(chunkBytes) || chunkBytes < streamChunkBytesMin) {
    throw new ImmuError('INVALID_ARGUMENT', `chunk size must be an integer >= ${streamChunkBytesMin}`);
  }
  const framed = Buffer.concat([u64Bin(payload.length), payload]);
  const chunks: ChunkInit[] = [];
  for (let off = 0; off < framed.length; off += chunkBytes) {
    const content = framed.subarray(off, Math.min(off + chunkBytes, framed.length));
    chunks.push(off === 0 && metadata !== undefined ? { content, metadata } : { content });
  }
  return chunks;
}

export interface AssembledMessage {
  readonly payload: Buffer;
  readonly metadata: Readonly<Record<string, Buffer>>;
}

/**
 * Reads exactly one logical message from a chunk stream. Refuses a declared length above
 * `payloadBytesMax`, and a chunk that overruns the declared length (INVALID_ARGUMENT). Returns
 * undefined when the stream ends before a first chunk.
 */
export async function readChunkedMessage(
  chunks: AsyncIterator<ChunkMsg>,
  payloadBytesMax: number,
): Promise<AssembledMessage | undefined> {
  const first = await chunks.next();
  if (first.done === true) return undefined;
  const head = first.value.content;
  if (head.length < 8) throw new ImmuError('INVALID_ARGUMENT', 'first chunk shorter than its 8-byte length prefix');
  const total = readU64Bin(head.subarray(0, 8), 'chunk length');
  if (total > payloadBytesMax) {
    throw new ImmuError('MESSAGE_TOO_LARGE', `chunked message of ${total} bytes exceeds ${payloadBytesMax}`);
  }
  const parts: Buffer[] = [head.subarray(8)];
  let received = head.length - 8;
  while (received < total) {
    const next = await chunks.next();
    if (next.done === true) throw new ImmuError('INVALID_ARGUMENT', `stream ended after ${received} of ${total} bytes`);
    parts.push(next.value.content);
    received += next.value.content.length;
  }
  if (received !== total) throw new ImmuError('INVALID_ARGUMENT', `chunks carry ${received} bytes, declared ${total}`);
  return { payload: Buffer.concat(parts, total), metadata: first.value.metadata };
}
