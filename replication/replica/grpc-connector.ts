// The replica's gRPC connection to its primary, on grpc-js with the repository's proto codecs: a session
// (OpenSession on primaryDatabase, kept alive), streamExportTx calls carrying the followed epoch as a
// header, the primary's signed state (CurrentState) and the consistency proof (VerifiableTxById). The
// signature is checked by the driver (primary-state-check.ts), not here. Kept deliberately small: no
// retries (the core decides those), no TLS yet (immudb's replicator does not verify the primary either).
import { assert } from '../../src/common/assert.js';
import { Client, credentials, Metadata, type MethodDefinition, type ServiceError } from '@grpc/grpc-js';
import { readChunkedMessage } from '../../src/api/chunks.js';
import { immutableStateFromProto, verifiableTxFromProto } from '../../src/api/handlers/convert-tx.js';
import { errorCodeTrailer, epochBinKey, primaryEpochHeader, replicationScopeTrailer, sessionIdHeader } from '../../src/api/metadata.js';
import { isImmuError } from '../../src/common/errors.js';
import { http2ConnectionWindowBytes } from '../../src/common/limits.js';
import { loadProtos } from '../../src/api/proto-loader.js';
import type { ChunkMsg, ExportTxRequestInit, ImmutableStateMsg, OpenSessionResponseMsg, VerifiableTxMsg } from '../../src/api/proto-types.js';
import { checkConsistencyProof, type ConsistencyOutcome, type TxRef } from '../core/index.js';
import { decodeExportAnswer, streamFailureOf } from './export-wire.js';
import type { ExportRequestWire, ExportStream, ExportStreamHandlers, PrimaryConnector, PrimaryLogin, PrimarySession } from './primary-connection.js';
import type { PrimarySignedState } from './primary-state-check.js';

/** Deadline of login, keep-alive, state and proof calls. */
export const primaryCallTimeoutMs = 5_000;
/** Session keep-alive period: well below the primary's idle timeout (immudb: 2 minutes). */
export const sessionKeepAliveMs = 30_000;
/** Largest exported tx a replica accepts in one answer. */
export const exportPayloadBytesMax = 1024 * 1024 * 1024;
/**
 * grpc-js channel options of a primary connection. The core owns the retry schedule, so the channel's
 * own reconnect backoff must not add to it: each connection gets a subchannel of its own (the global
 * pool would hand a new connection the backoff state of a failed one, up to 120 s in grpc-js: after a
 * healed partition the replica waited seconds for a timer of a connection it had already dropped), and
 * that subchannel retries quickly.
 */
export const primaryChannelOptions = {
  'grpc.use_local_subchannel_pool': 1,
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1_000,
  // a replica streams whole txs from the primary: no 64 KiB flow-control round trips per tx
  'grpc-node.flow_control_window': http2ConnectionWindowBytes,
  'grpc.enable_channelz': 0,
} as const;

type Def = MethodDefinition<object, object>;

function method(name: string): Def {
  const def = loadProtos().immuService[name] as Def | undefined;
  assert(def !== undefined, `ImmuService has no method ${name}`);
  return def;
}

function address(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

function unaryCall<Res>(client: Client, name: string, req: object, md: Metadata): Promise<Res> {
  const def = method(name);
  return new Promise<Res>((resolve, reject) => {
    client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, req, md, { deadline: Date.now() + primaryCallTimeoutMs }, (err: ServiceError | null, res?: object) =>
      err === null ? resolve(res as Res) : reject(err),
    );
  });
}

function trailer(md: Metadata | undefined, key: string): Buffer | undefined {
  const v = md?.get(key)[0];
  return v === undefined ? undefined : Buffer.isBuffer(v) ? v : Buffer.from(v);
}

export class GrpcPrimaryConnector implements PrimaryConnector {
  async connect(login: PrimaryLogin): Promise<PrimarySession> {
    const client = new Client(address(login.host, login.port), credentials.createInsecure(), primaryChannelOptions);
    try {
      const res = await unaryCall<OpenSessionResponseMsg>(
        client,
        'OpenSession',
        { username: Buffer.from(login.username), password: Buffer.from(login.password), databaseName: login.database },
        new Metadata(),
      );
      return new GrpcPrimarySession(client, res.sessionID);
    } catch (err) {
      client.close();
      throw err;
    }
  }
}

class GrpcPrimarySession implements PrimarySession {
  readonly #client: Client;
  readonly #sessionId: string;
  readonly #keepAlive: NodeJS.Timeout;
  #closed = false;

  constructor(client: Client, sessionId: string) {
    this.#client = client;
    this.#sessionId = sessionId;
    this.#keepAlive = setInterval(() => {
      unaryCall(this.#client, 'KeepAlive', {}, this.#md()).catch(() => undefined);
    }, sessionKeepAliveMs);
    this.#keepAlive.unref();
  }

  #md(): Metadata {
    const md = new Metadata();
    md.set(sessionIdHeader, this.#sessionId);
    return md;
  }

  openStream(epoch: number, handlers: ExportStreamHandlers): ExportStream {
    const def = method('streamExportTx');
    const md = this.#md();
    md.set(primaryEpochHeader, String(epoch));
    const call = this.#client.makeBidiStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, md);
    let ended = false;
    const fail = (err: unknown): void => {
      if (ended) return;
      ended = true;
      const e = err as Partial<ServiceError> & { code?: unknown };
      const errorCode = trailer(e.metadata, errorCodeTrailer)?.toString('utf8');
      const epochBin = trailer(e.metadata, epochBinKey);
      handlers.onFailure(
        streamFailureOf({
          grpcCode: typeof e.code === 'number' ? e.code : undefined,
          message: typeof e.details === 'string' ? e.details : (e.message ?? String(err)),
          errorCode,
          scope: trailer(e.metadata, replicationScopeTrailer)?.toString('utf8'),
          epoch: epochBin !== undefined && epochBin.length === 8 ? Number(epochBin.readBigUInt64BE(0)) : undefined,
        }),
      );
    };
    void (async () => {
      const chunks = (call as AsyncIterable<ChunkMsg>)[Symbol.asyncIterator]();
      try {
        for (;;) {
          const msg = await readChunkedMessage(chunks, exportPayloadBytesMax);
          if (msg === undefined) break;
          handlers.onAnswer(decodeExportAnswer(msg.payload, msg.metadata));
        }
        fail(Object.assign(new Error('the primary ended the export stream'), { code: undefined }));
      } catch (err) {
        if (isImmuError(err) && !ended) {
          // our own check of the answer (framing, metadata sizes) refused what the primary sent
          ended = true;
          handlers.onFailure({ kind: 'incompatible', message: `malformed export answer: ${err.message}` });
          return;
        }
        fail(err);
      }
    })();
    return {
      send: (req: ExportRequestWire): void => {
        const s = req.replicaState;
        const msg: ExportTxRequestInit = {
          tx: req.txId,
          allowPreCommitted: req.allowPrecommitted,
          replicaState:
            s === undefined
              ? null
              : { UUID: s.uuid, committedTxID: s.committed.txId, committedAlh: s.committed.alh, precommittedTxID: s.precommitted.txId, precommittedAlh: s.precommitted.alh },
          skipIntegrityCheck: false,
        };
        call.write(msg);
      },
      close: (): void => {
        ended = true;
        call.cancel();
      },
    };
  }

  async currentState(): Promise<PrimarySignedState> {
    const signed = immutableStateFromProto(await unaryCall<ImmutableStateMsg>(this.#client, 'CurrentState', {}, this.#md()));
    return { db: signed.state.db, committed: { txId: signed.state.txId, alh: signed.state.txHash }, signature: signed.signature };
  }

  async proveConsistency(local: TxRef, primary: TxRef): Promise<ConsistencyOutcome> {
    if (primary.txId <= local.txId) return checkConsistencyProof(local, primary, undefined);
    const vtx = await unaryCall<VerifiableTxMsg>(this.#client, 'VerifiableTxById', { tx: primary.txId, proveSinceTx: local.txId }, this.#md());
    const proof = verifiableTxFromProto(vtx).verifiableTx.dualProof;
    return checkConsistencyProof(local, primary, proof);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#keepAlive);
    try {
      await unaryCall(this.#client, 'CloseSession', {}, this.#md());
    } catch {
      // the primary may be gone: the session then expires on its own
    } finally {
      this.#client.close();
    }
  }
}
