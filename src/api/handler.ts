// Turns `async (req, ctx) => res` functions into grpc-js handlers: every response carries the
// immudb-uuid header, every throw goes through error-status.ts, stream writes respect backpressure and
// client cancellation, and each call reports start/end to an observer so metrics plug in later.
// It knows nothing of sessions or permissions; those are the handlers' business (src/server).
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import {
  Metadata,
  status,
  type handleBidiStreamingCall,
  type handleClientStreamingCall,
  type handleServerStreamingCall,
  type handleUnaryCall,
  type ServerDuplexStream,
  type ServerErrorResponse,
  type ServerReadableStream,
  type ServerUnaryCall,
  type ServerWritableStream,
} from '@grpc/grpc-js';
import { ImmuError } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { errorToStatus } from './error-status.js';
import { responseHeaders } from './metadata.js';

/** Per-RPC hooks (counters, latency histograms). Called synchronously; must not throw. */
export interface RpcObserver {
  onCallStart(rpc: string): void;
  onCallEnd(rpc: string, code: status, durationMs: number): void;
}

export interface HandlerEnv {
  readonly logger: Logger;
  /** Sent as the `immudb-uuid` header on every response. */
  readonly serverUuid: string;
  readonly observer?: RpcObserver;
}

export interface CallContext {
  readonly rpc: string;
  readonly metadata: Metadata;
  readonly peer: string;
  /** Aborted when the client cancels or the deadline passes. */
  readonly signal: AbortSignal;
  /** Trailing metadata to send with the final status (e.g. exportTx's compatibility trailers). */
  readonly trailers: Metadata;
}

export type UnaryFn<Req, Res> = (req: Req, ctx: CallContext) => Promise<Res>;
export type SendFn<Res> = (res: Res) => Promise<void>;
export type ServerStreamFn<Req, Res> = (req: Req, ctx: CallContext, send: SendFn<Res>) => Promise<void>;
export type ClientStreamFn<Req, Res> = (reqs: AsyncIterable<Req>, ctx: CallContext) => Promise<Res>;
export type BidiStreamFn<Req, Res> = (reqs: AsyncIterable<Req>, ctx: CallContext, send: SendFn<Res>) => Promise<void>;

type AnyCall =
  | ServerUnaryCall<unknown, unknown>
  | ServerWritableStream<unknown, unknown>
  | ServerReadableStream<unknown, unknown>
  | ServerDuplexStream<unknown, unknown>;

interface CallState {
  readonly ctx: LazyCallContext;
  /** Reports the end once (status code of the outcome). */
  finish(code: status): void;
}

/**
 * The context of one call. The abort signal and the trailers are made on first use: most unary calls
 * never look at either, and grpc-js reports every call's stream close as a cancellation, so an eager
 * AbortController would build (and abort, with a DOMException) one per call for nothing.
 */
class LazyCallContext implements CallContext {
  readonly rpc: string;
  readonly metadata: Metadata;
  readonly peer: string;
  readonly #call: AnyCall;
  #controller: AbortController | undefined;
  #trailers: Metadata | undefined;

  constructor(rpc: string, call: AnyCall) {
    this.rpc = rpc;
    this.#call = call;
    this.metadata = call.metadata;
    this.peer = call.getPeer();
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      const controller = new AbortController();
      this.#controller = controller;
      if (this.#call.cancelled) controller.abort();
      else (this.#call as NodeJS.EventEmitter).once('cancelled', () => controller.abort());
    }
    return this.#controller.signal;
  }

  /** Whether the client cancelled (or the deadline passed), without making a signal. */
  get cancelled(): boolean {
    return this.#controller?.signal.aborted ?? this.#call.cancelled;
  }

  get trailers(): Metadata {
    this.#trailers ??= new Metadata();
    return this.#trailers;
  }

  /** The trailers if a handler set any (grpc-js takes undefined as none). */
  trailersIfAny(): Metadata | undefined {
    return this.#trailers;
  }
}

/** The response headers per server uuid, built once: grpc-js only reads them (toHttp2Headers). */
const headersByUuid = new Map<string, Metadata>();

function headersFor(serverUuid: string): Metadata {
  let md = headersByUuid.get(serverUuid);
  if (md === undefined) {
    md = responseHeaders(serverUuid);
    headersByUuid.set(serverUuid, md);
  }
  return md;
}

/**
 * Starts a call's bookkeeping. Streaming calls send the response headers at once; unary calls send
 * them right before the answer, in the same tick as the message and the status, so the three go
 * out as one write instead of an early headers-only packet the client must wake up for.
 */
function begin(env: HandlerEnv, rpc: string, call: AnyCall, headersNow = true): CallState {
  const startedMs = performance.now();
  env.observer?.onCallStart(rpc);
  if (headersNow) call.sendMetadata(headersFor(env.serverUuid));
  let ended = false;
  return {
    ctx: new LazyCallContext(rpc, call),
    finish(code: status): void {
      if (ended) return;
      ended = true;
      env.observer?.onCallEnd(rpc, code, performance.now() - startedMs);
    },
  };
}

function toServiceError(env: HandlerEnv, rpc: string, err: unknown, trailers: Metadata | undefined): ServerErrorResponse {
  const st = errorToStatus(err, { logger: env.logger, rpc });
  const metadata = trailers?.clone() ?? new Metadata();
  if (st.metadata !== undefined) metadata.merge(st.metadata);
  return Object.assign(new Error(st.details), { code: st.code, details: st.details, metadata });
}

function sender<Res>(call: ServerWritableStream<unknown, Res> | ServerDuplexStream<unknown, Res>, signal: AbortSignal): SendFn<Res> {
  return async (res: Res): Promise<void> => {
    if (signal.aborted) throw new ImmuError('CALL_CANCELLED', 'the client cancelled the call');
    if (!call.write(res)) await once(call, 'drain', { signal });
  };
}

/** A unary handler. */
export function unary<Req, Res>(env: HandlerEnv, rpc: string, fn: UnaryFn<Req, Res>): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const state = begin(env, rpc, call, false);
    const headers = headersFor(env.serverUuid);
    fn(call.request, state.ctx).then(
      (res) => {
        state.finish(status.OK);
        call.sendMetadata(headers);
        callback(null, res, state.ctx.trailersIfAny());
      },
      (err: unknown) => {
        const serviceError = toServiceError(env, rpc, err, state.ctx.trailersIfAny());
        state.finish(serviceError.code ?? status.UNKNOWN);
        call.sendMetadata(headers);
        callback(serviceError);
      },
    );
  };
}

function endStream(
  env: HandlerEnv,
  rpc: string,
  call: ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>,
  state: CallState,
  err: unknown,
): void {
  if (state.ctx.cancelled) {
    state.finish(status.CANCELLED);
    return;
  }
  if (err === undefined) {
    state.finish(status.OK);
    call.end(state.ctx.trailersIfAny());
    return;
  }
  const serviceError = toServiceError(env, rpc, err, state.ctx.trailersIfAny());
  state.finish(serviceError.code ?? status.UNKNOWN);
  call.emit('error', serviceError);
}

/** A server-streaming handler: `send` resolves when the message is buffered (awaits drain). */
export function serverStream<Req, Res>(env: HandlerEnv, rpc: string, fn: ServerStreamFn<Req, Res>): handleServerStreamingCall<Req, Res> {
  return (call) => {
    const state = begin(env, rpc, call);
    const untyped = call as unknown as ServerWritableStream<unknown, unknown>;
    fn(call.request, state.ctx, sender(call, state.ctx.signal)).then(
      () => endStream(env, rpc, untyped, state, undefined),
      (err: unknown) => endStream(env, rpc, untyped, state, err),
    );
  };
}

/** A client-streaming handler: requests arrive as an async iterable. */
export function clientStream<Req, Res>(env: HandlerEnv, rpc: string, fn: ClientStreamFn<Req, Res>): handleClientStreamingCall<Req, Res> {
  return (call, callback) => {
    const state = begin(env, rpc, call);
    fn(call as AsyncIterable<Req>, state.ctx).then(
      (res) => {
        state.finish(status.OK);
        callback(null, res, state.ctx.trailersIfAny());
      },
      (err: unknown) => {
        if (state.ctx.cancelled) {
          state.finish(status.CANCELLED);
          return;
        }
        const serviceError = toServiceError(env, rpc, err, state.ctx.trailersIfAny());
        state.finish(serviceError.code ?? status.UNKNOWN);
        callback(serviceError);
      },
    );
  };
}

/** A bidirectional-streaming handler. */
export function bidiStream<Req, Res>(env: HandlerEnv, rpc: string, fn: BidiStreamFn<Req, Res>): handleBidiStreamingCall<Req, Res> {
  return (call) => {
    const state = begin(env, rpc, call);
    const untyped = call as unknown as ServerDuplexStream<unknown, unknown>;
    fn(call as AsyncIterable<Req>, state.ctx, sender(call, state.ctx.signal)).then(
      () => endStream(env, rpc, untyped, state, undefined),
      (err: unknown) => endStream(env, rpc, untyped, state, err),
    );
  };
}
