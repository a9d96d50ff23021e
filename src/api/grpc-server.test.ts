// A real grpc-js server on a loopback port, with tiny handlers registered through handler.ts, called by
// a real client: error mapping, the immudb-uuid header, the receive size limit, streaming, and graceful
// versus forced shutdown.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Client,
  credentials,
  Metadata,
  status,
  type MethodDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImmuError } from '../common/errors.js';
import { silentLogger } from '../common/log.js';
import { bindGrpcServer, createGrpcServer, type RunningGrpcServer } from './grpc-server.js';
import { serverStream, unary, type HandlerEnv } from './handler.js';
import { committedTxIdBinKey, errorCodeTrailer, serverUuidHeader } from './metadata.js';
import { loadProtos } from './proto-loader.js';
import type { ChunkInit, EntryInit, ExportTxRequestMsg, KeyRequestMsg } from './proto-types.js';
import { readU64Bin, toTxId, u64Bin } from './convert.js';

const uuid = 'cn3test0uuid0000000000';
const recvMessageBytesMax = 64 * 1024;
const protos = loadProtos();

interface UnaryResult<Res> {
  readonly err: ServiceError | null;
  readonly res: Res | undefined;
  readonly headers: Metadata | undefined;
}

function callUnary<Res>(client: Client, method: string, req: object): Promise<UnaryResult<Res>> {
  const def = protos.immuService[method] as MethodDefinition<object, Res>;
  return new Promise((resolve) => {
    let headers: Metadata | undefined;
    const call = client.makeUnaryRequest(
      def.path,
      def.requestSerialize,
      def.responseDeserialize,
      req,
      new Metadata(),
      {},
      (err, res) => resolve({ err, res, headers }),
    );
    call.on('metadata', (md: Metadata) => (headers = md));
  });
}

function startServer(env: HandlerEnv): Promise<RunningGrpcServer> {
  const server = createGrpcServer({ recvMessageBytesMax });
  server.addService(protos.immuService, {
    Get: unary<KeyRequestMsg, EntryInit>(env, 'Get', async (req, ctx) => {
      const key = req.key.toString('utf8');
      if (key === 'missing') throw new ImmuError('KEY_NOT_FOUND', 'key not found');
      if (key === 'boom') throw new TypeError('secret detail /home/build/x.ts:12');
      if (key === 'slow') await sleep(300);
      if (key === 'hang') await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      return { tx: toTxId(req.atTx, 'atTx') + 1, key: req.key, value: Buffer.from('v') };
    }),
    exportTx: serverStream<ExportTxRequestMsg, ChunkInit>(env, 'exportTx', async (req, ctx, send) => {
      const tx = toTxId(req.tx, 'tx');
      ctx.trailers.set(committedTxIdBinKey, u64Bin(tx)); // a `-bin` key: binary value
      await send({ content: Buffer.from([1]), metadata: { [committedTxIdBinKey]: u64Bin(tx) } });
      await send({ content: Buffer.from([2]) });
    }),
  });
  return bindGrpcServer(server, { address: '127.0.0.1', port: 0 });
}

describe('grpc server over loopback', () => {
  const calls: { rpc: string; code: status }[] = [];
  const env: HandlerEnv = {
    logger: silentLogger(),
    serverUuid: uuid,
    observer: { onCallStart: () => undefined, onCallEnd: (rpc, code) => void calls.push({ rpc, code }) },
  };
  let running: RunningGrpcServer;
  let client: Client;

  beforeAll(async () => {
    running = await startServer(env);
    client = new Client(`127.0.0.1:${running.port}`, credentials.createInsecure());
  });
  afterAll(async () => {
    client.close();
    await running.shutdown(1000);
  });

  it('answers and sends immudb-uuid', async () => {
    const r = await callUnary<{ tx: { toString(): string }; value: Buffer }>(client, 'Get', { key: Buffer.from('k'), atTx: 41 });
    expect(r.err).toBeNull();
    expect(r.res?.tx.toString()).toBe('42');
    expect(r.res?.value.toString()).toBe('v');
    expect(r.headers?.get(serverUuidHeader)).toEqual([uuid]);
  });

  it('maps an ImmuError to its status, message and code trailer, with the uuid header', async () => {
    const r = await callUnary(client, 'Get', { key: Buffer.from('missing') });
    expect(r.err?.code).toBe(status.NOT_FOUND);
    expect(r.err?.details).toBe('key not found');
    expect(r.err?.metadata.get(errorCodeTrailer)).toEqual(['KEY_NOT_FOUND']);
    expect(r.headers?.get(serverUuidHeader)).toEqual([uuid]);
    expect(calls).toContainEqual({ rpc: 'Get', code: status.NOT_FOUND });
  });

  it('hides an unexpected error behind INTERNAL', async () => {
    const r = await callUnary(client, 'Get', { key: Buffer.from('boom') });
    expect(r.err?.code).toBe(status.INTERNAL);
    expect(r.err?.details).toBe('internal error');
    expect(JSON.stringify(r.err?.metadata.getMap())).not.toContain('secret');
  });

  it('refuses a 64-bit value beyond 2^53 - 1 instead of rounding it', async () => {
    const r = await callUnary(client, 'Get', { key: Buffer.from('k'), atTx: '9007199254740993' });
    expect(r.err?.code).toBe(status.INVALID_ARGUMENT);
    expect(r.err?.details).toContain('atTx');
  });

  it('rejects an oversize request with RESOURCE_EXHAUSTED', async () => {
    const r = await callUnary(client, 'Get', { key: Buffer.alloc(recvMessageBytesMax + 1024, 1) });
    expect(r.err?.code).toBe(status.RESOURCE_EXHAUSTED);
  });

  it('answers UNIMPLEMENTED for an RPC without a handler', async () => {
    const r = await callUnary(client, 'Health', {});
    expect(r.err?.code).toBe(status.UNIMPLEMENTED);
  });

  it('streams chunks with first-chunk metadata and trailers', async () => {
    const def = protos.immuService['exportTx'] as MethodDefinition<object, { content: Buffer; metadata: Record<string, Buffer> }>;
    const stream = client.makeServerStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, { tx: 7 }, new Metadata(), {});
    const trailers = new Promise<Metadata>((resolve) => stream.on('status', (st: { metadata: Metadata }) => resolve(st.metadata)));
    const chunks: { content: Buffer; metadata: Record<string, Buffer> }[] = [];
    for await (const chunk of stream) chunks.push(chunk as { content: Buffer; metadata: Record<string, Buffer> });
    expect(chunks.map((c) => c.content[0])).toEqual([1, 2]);
    expect(readU64Bin(chunks[0]!.metadata[committedTxIdBinKey]!, committedTxIdBinKey)).toBe(7);
    const trailer = (await trailers).get(committedTxIdBinKey)[0];
    expect(Buffer.isBuffer(trailer) && readU64Bin(trailer, committedTxIdBinKey)).toBe(7);
  });
});

describe('shutdown', () => {
  const env: HandlerEnv = { logger: silentLogger(), serverUuid: uuid };

  it('finishes an in-flight call before a graceful shutdown completes', async () => {
    const running = await startServer(env);
    const client = new Client(`127.0.0.1:${running.port}`, credentials.createInsecure());
    const inFlight = callUnary(client, 'Get', { key: Buffer.from('slow') });
    await sleep(50);
    const outcome = await running.shutdown(5000);
    const r = await inFlight;
    expect(r.err).toBeNull();
    expect(outcome).toBe('graceful');
    client.close();
  });

  it('forces shutdown after the deadline and cancels what is left', async () => {
    const running = await startServer(env);
    const client = new Client(`127.0.0.1:${running.port}`, credentials.createInsecure());
    const inFlight = callUnary(client, 'Get', { key: Buffer.from('hang') });
    await sleep(50);
    const outcome = await running.shutdown(200);
    const r = await inFlight;
    expect(outcome).toBe('forced');
    expect(r.err).not.toBeNull();
    client.close();
  });
});
