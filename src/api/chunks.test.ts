// Round trips and malformed inputs for the chunk framing.
import { describe, expect, it } from 'vitest';
import { isImmuError } from '../common/errors.js';
import { readChunkedMessage, streamChunkBytesMin, toChunks } from './chunks.js';
import type { ChunkMsg } from './proto-types.js';

function asMsgs(chunks: ReturnType<typeof toChunks>): AsyncIterator<ChunkMsg> {
  const msgs: ChunkMsg[] = chunks.map((c) => ({ content: Buffer.from(c.content ?? []), metadata: { ...(c.metadata ?? {}) } as Record<string, Buffer> }));
  return (async function* () {
    yield* msgs;
  })();
}

describe('chunk framing', () => {
  it('round-trips payloads of several sizes with first-chunk metadata', async () => {
    for (const size of [0, 1, streamChunkBytesMin - 8, streamChunkBytesMin, 3 * streamChunkBytesMin + 5]) {
      const payload = Buffer.alloc(size, 9);
      const chunks = toChunks(payload, streamChunkBytesMin, { k: Buffer.from([1]) });
      expect(chunks.every((c) => (c.content?.length ?? 0) <= streamChunkBytesMin)).toBe(true);
      expect(chunks.slice(1).every((c) => c.metadata === undefined)).toBe(true);
      const got = await readChunkedMessage(asMsgs(chunks), 1 << 20);
      expect(got?.payload.equals(payload)).toBe(true);
      expect(got?.metadata['k']).toEqual(Buffer.from([1]));
    }
  });

  it('refuses oversize, truncated and overrunning streams', async () => {
    const chunks = toChunks(Buffer.alloc(10_000), streamChunkBytesMin);
    await expect(readChunkedMessage(asMsgs(chunks), 9_999)).rejects.toSatisfy((e) => isImmuError(e, 'MESSAGE_TOO_LARGE'));
    await expect(readChunkedMessage(asMsgs(chunks.slice(0, 2)), 1 << 20)).rejects.toSatisfy((e) => isImmuError(e, 'INVALID_ARGUMENT'));
    const overrun = [...chunks.slice(0, 2), { content: Buffer.alloc(streamChunkBytesMin) }];
    await expect(readChunkedMessage(asMsgs(overrun), 1 << 20)).rejects.toSatisfy((e) => isImmuError(e, 'INVALID_ARGUMENT'));
  });
});
