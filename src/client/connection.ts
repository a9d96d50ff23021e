// The one place the client creates gRPC channels and issues calls. It holds the endpoint list (only the
// first is used; the failover layer, src/client/failover/, keeps one Connection per endpoint), encodes and decodes with the
// protobufjs codecs of src/api/proto-loader.ts, applies the call deadline, reports which endpoint and
// which server UUID (the `immudb-uuid` response header) answered, and turns failures into ImmuErrors.
// It knows nothing of sessions, tokens or proofs; the caller passes the metadata to send.
import { ChannelCredentials, Client, Metadata, connectivityState, credentials, type MethodDefinition, type ServiceError } from '@grpc/grpc-js';
import { GrpcStatus, ImmuError } from '../common/errors.js';
import { http2ConnectionWindowBytes } from '../common/limits.js';
import { serverUuidHeader } from '../api/metadata.js';
import { loadProtos } from '../api/proto-loader.js';
import { immudbPortDefault, reconnectBackoffMsMax, recvMessageBytesMaxDefault } from './client-limits.js';
import { toImmuError } from './grpc-errors.js';
import type { ImmudbTsRpcs, ImmuRpcs } from './rpc-types.js';

/** TLS (optionally mutual) for the channel; PEM contents, not paths. */
export interface ClientTlsOptions {
  /** CA bundle the server certificate must chain to; the system roots when absent. */
  readonly rootCerts?: Buffer;
  /** Client key and certificate chain for mutual TLS (both or neither). */
  readonly privateKey?: Buffer;
  readonly certChain?: Buffer;
  /** Expected server name when it differs from the endpoint host. */
  readonly serverName?: string;
}

export interface ConnectionOptions {
  /** `host:port` entries; the first is used (failover among them comes later). */
  readonly endpoints: readonly string[];
  readonly tls?: ClientTlsOptions;
  readonly timeoutMs: number;
  readonly recvMessageBytesMax?: number;
}

/** A decoded response and who answered it. */
export interface CallResult<Res> {
  readonly response: Res;
  readonly endpoint: string;
  /** The `immudb-uuid` header of the reply; undefined when the server sent none. */
  readonly serverUuid: string | undefined;
}

/** Normalises `host`, `host:port` or `[v6]:port` to `host:port`; INVALID_ARGUMENT otherwise. */
export function normalizeEndpoint(raw: string): string {
  const text = raw.trim();
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(text);
  const plain = /^([A-Za-z0-9.\-_]+)(?::(\d{1,5}))?$/.exec(text);
  const match = v6 ?? plain;
  if (match === null) throw new ImmuError('INVALID_ARGUMENT', `not an endpoint (host:port): ${raw}`, { endpoint: raw });
  const port = match[2] === undefined ? immudbPortDefault : Number(match[2]);
  if (port < 1 || port > 65535) throw new ImmuError('INVALID_ARGUMENT', `endpoint port out of range: ${raw}`, { endpoint: raw });
  const host = v6 !== null ? `[${match[1] ?? ''}]` : (match[1] ?? '');
  return `${host}:${port}`;
}

function channelCredentials(tls: ClientTlsOptions | undefined): ChannelCredentials {
  if (tls === undefined) return credentials.createInsecure();
  if ((tls.privateKey === undefined) !== (tls.certChain === undefined)) {
    throw new ImmuError('INVALID_ARGUMENT', 'mutual TLS needs both a private key and a certificate chain');
  }
  return credentials.createSsl(tls.rootCerts ?? null, tls.privateKey ?? null, tls.certChain ?? null);
}

function firstHeader(md: Metadata, name: string): string | undefined {
  const value = md.get(name)[0];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.toString('utf8');
}

type AnyDefinition = MethodDefinition<object, object>;

export class Connection {
  readonly #endpoints: readonly string[];
  readonly #timeoutMs: number;
  readonly #grpc: Client;
  readonly #immu: Readonly<Record<string, AnyDefinition>>;
  readonly #immudbTs: Readonly<Record<string, AnyDefinition>>;
  #closed = false;

  constructor(options: ConnectionOptions) {
    if (options.endpoints.length === 0) throw new ImmuError('INVALID_ARGUMENT', 'the client needs at least one endpoint');
    if (!Number.isSafeInteger(options.timeoutMs) || options.timeoutMs <= 0) {
      throw new ImmuError('INVALID_ARGUMENT', `timeoutMs must be a positive integer, got ${options.timeoutMs}`);
    }
    this.#endpoints = options.endpoints.map(normalizeEndpoint);
    this.#timeoutMs = options.timeoutMs;
    const channelOptions: Record<string, string | number> = {
      'grpc.max_receive_message_length': options.recvMessageBytesMax ?? recvMessageBytesMaxDefault,
      'grpc.max_send_message_length': -1,
      // A node that comes back is seen within seconds, not after grpc-js's default 120 s backoff cap.
      'grpc.max_reconnect_backoff_ms': reconnectBackoffMsMax,
      // Large scans and streamed exports arrive without waiting on 64 KiB window round trips.
      'grpc-node.flow_control_window': http2ConnectionWindowBytes,
      // no channelz introspection is served from a client: skip its per-call bookkeeping
      'grpc.enable_channelz': 0,
    };
    if (options.tls?.serverName !== undefined) channelOptions['grpc.ssl_target_name_override'] = options.tls.serverName;
    this.#grpc = new Client(this.endpoint, channelCredentials(options.tls), channelOptions);
    const protos = loadProtos();
    this.#immu = protos.immuService as Record<string, AnyDefinition>;
    this.#immudbTs = protos.immudbTsService as Record<string, AnyDefinition>;
  }

  /** Every configured endpoint, normalised, in the caller's order. */
  get endpoints(): readonly string[] {
    return this.#endpoints;
  }

  /** The endpoint calls go to now. */
  get endpoint(): string {
    return this.#endpoints[0] as string;
  }

  /** A unary ImmuService call. */
  immu<M extends keyof ImmuRpcs & string>(
    method: M,
    request: ImmuRpcs[M]['request'],
    metadata: Metadata,
    callTimeoutMs?: number,
  ): Promise<CallResult<ImmuRpcs[M]['response']>> {
    return this.#unary(this.#immu, method, request, metadata, callTimeoutMs) as Promise<CallResult<ImmuRpcs[M]['response']>>;
  }

  /** A unary call of our own ImmudbTs service. */
  immudbTs<M extends keyof ImmudbTsRpcs & string>(
    method: M,
    request: ImmudbTsRpcs[M]['request'],
    metadata: Metadata,
    callTimeoutMs?: number,
  ): Promise<CallResult<ImmudbTsRpcs[M]['response']>> {
    return this.#unary(this.#immudbTs, method, request, metadata, callTimeoutMs) as Promise<CallResult<ImmudbTsRpcs[M]['response']>>;
  }

  /**
   * Resolves once the channel is connected (connecting if idle); NODE_UNAVAILABLE as soon as a connection
   * attempt fails, or when none succeeded within timeoutMs. A call started right after has at least
   * reached a live connection: the failover layer uses this to tell "never sent" from "sent, outcome
   * unknown".
   */
  waitForReady(timeoutMs: number): Promise<void> {
    if (this.#closed) return Promise.reject(new ImmuError('STORE_CLOSED', 'the client is closed'));
    const endpoint = this.endpoint;
    const channel = this.#grpc.getChannel();
    const deadline = Date.now() + timeoutMs;
    const unavailable = (why: string): ImmuError =>
      new ImmuError('NODE_UNAVAILABLE', `${endpoint} is not reachable: ${why}`, { endpoint, connect: true, grpcStatus: GrpcStatus.UNAVAILABLE });
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const state = channel.getConnectivityState(true);
        if (state === connectivityState.READY) return resolve();
        if (state === connectivityState.TRANSIENT_FAILURE) return reject(unavailable('the connection attempt failed'));
        if (state === connectivityState.SHUTDOWN) return reject(unavailable('the channel is closed'));
        if (Date.now() >= deadline) return reject(unavailable(`no connection within ${timeoutMs} ms`));
        channel.watchConnectivityState(state, deadline, (err?: Error) => (err === undefined || err === null ? check() : reject(unavailable(`no connection within ${timeoutMs} ms`))));
      };
      check();
    });
  }

  /** The method's definition, if the client is open and the service has it. */
  #callable(service: Readonly<Record<string, AnyDefinition>>, method: string): AnyDefinition {
    const def = service[method];
    if (def === undefined) throw new ImmuError('UNIMPLEMENTED', `unknown RPC ${method}`);
    if (this.#closed) throw new ImmuError('STORE_CLOSED', 'the client is closed', { rpc: method });
    return def;
  }

  async #unary(service: Readonly<Record<string, AnyDefinition>>, method: string, request: object, metadata: Metadata, callTimeoutMs?: number): Promise<CallResult<object>> {
    const def = this.#callable(service, method);
    const endpoint = this.endpoint;
    return new Promise((resolve, reject) => {
      let serverUuid: string | undefined;
      const call = this.#grpc.makeUnaryRequest(
        def.path,
        def.requestSerialize,
        def.responseDeserialize,
        request,
        metadata,
        { deadline: Date.now() + (callTimeoutMs ?? this.#timeoutMs) },
        (err: ServiceError | null, response?: object) => {
          if (err !== null) reject(toImmuError(err, method, endpoint));
          else if (response === undefined) reject(new ImmuError('INTERNAL', `${method} returned no response`, { rpc: method }));
          else resolve({ response, endpoint, serverUuid });
        },
      );
      call.on('metadata', (md: Metadata) => {
        serverUuid = firstHeader(md, serverUuidHeader) ?? serverUuid;
      });
    });
  }

  /**
   * A server-streaming ImmuService call (exportTx): the decoded messages in order; a failure ends the
   * iteration with an ImmuError. The deadline covers the whole stream.
   */
  async *immuServerStream(method: string, request: object, metadata: Metadata): AsyncGenerator<object> {
    const def = this.#callable(this.#immu, method);
    const endpoint = this.endpoint;
    const call = this.#grpc.makeServerStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, request, metadata, {
      deadline: Date.now() + this.#timeoutMs,
    });
    let ended = false;
    try {
      for await (const message of call as AsyncIterable<object>) yield message;
      ended = true;
    } catch (err) {
      ended = true;
      throw toImmuError(err, method, endpoint);
    } finally {
      // Only a stream abandoned early is cancelled: servers close a connection that resets many streams.
      if (!ended) call.cancel();
    }
  }

  /** A client-streaming ImmuService call (replicateTx): sends every request, then awaits the one reply. */
  async immuClientStream(method: string, requests: readonly object[], metadata: Metadata): Promise<CallResult<object>> {
    const def = this.#callable(this.#immu, method);
    const endpoint = this.endpoint;
    return new Promise((resolve, reject) => {
      let serverUuid: string | undefined;
      const call = this.#grpc.makeClientStreamRequest(
        def.path,
        def.requestSerialize,
        def.responseDeserialize,
        metadata,
        { deadline: Date.now() + this.#timeoutMs },
        (err: ServiceError | null, response?: object) => {
          if (err !== null) reject(toImmuError(err, method, endpoint));
          else if (response === undefined) reject(new ImmuError('INTERNAL', `${method} returned no response`, { rpc: method }));
          else resolve({ response, endpoint, serverUuid });
        },
      );
      call.on('metadata', (md: Metadata) => {
        serverUuid = firstHeader(md, serverUuidHeader) ?? serverUuid;
      });
      for (const r of requests) call.write(r);
      call.end();
    });
  }

  /** Closes the channel; later calls fail with STORE_CLOSED. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#grpc.close();
  }
}
