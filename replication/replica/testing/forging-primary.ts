// A test-only malicious primary: a gRPC server that accepts any login and serves streamExportTx by
// relaying a real primary's answers, except that one tx is forged (a value altered, a header field
// altered, or a different tx sent than the one asked for), or, for `state`, every tx is relayed
// honestly but CurrentState reports an Alh the primary never had (a history the replica's committed
// state cannot be proven consistent with), or, for `signature`, CurrentState is relayed with the real
// primary's signature the first time and a corrupted one afterwards (so a replica that checks the
// signature passes its session start and fails its next consistency check). What a replica must
// refuse, in-process.
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { toChunks, streamChunkBytesDefault } from '../../../src/api/chunks.js';
import { immutableStateToProto } from '../../../src/api/handlers/convert-tx.js';
import { bidiStream, unary, type HandlerEnv } from '../../../src/api/handler.js';
import {
  primaryEpochHeader,
  readUintHeader,
} from '../../../src/api/metadata.js';
import { loadProtos } from '../../../src/api/proto-loader.js';
import type { ExportTxRequestMsg } from '../../../src/api/proto-types.js';
import { silentLogger } from '../../../src/common/log.js';
import { toTxId } from '../../../src/api/convert.js';
import { GrpcPrimaryConnector } from '../grpc-connector.js';
import { forgeExportedTx, relayedAnswerMetadata } from './relay-wire.js';
import type { ExportAnswerWire } from '../primary-connection.js';
import { adminPassword, adminUser } from './in-process-cluster.js';

export type Forgery = 'value' | 'header' | 'order' | 'state' | 'signature';




export interface ForgingPrimary {
  readonly port: number;
  close(): void;
}

export async function startForgingPrimary(upstreamPort: number, database: string, forgedTxId: number, kind: Forgery): Promise<ForgingPrimary> {
  const env: HandlerEnv = { logger: silentLogger(), serverUuid: 'forger' };
  const connector = new GrpcPrimaryConnector();
  const server = new Server();
  let stateCalls = 0;
  server.addService(loadProtos().immuService, {
    OpenSession: unary(env, 'OpenSession', async () => ({ sessionID: 'forged-session', serverUUID: 'forger' })),
    CloseSession: unary(env, 'CloseSession', async () => ({})),
    KeepAlive: unary(env, 'KeepAlive', async () => ({})),
    CurrentState: unary(env, 'CurrentState', async () => {
      const session = await connector.connect({ host: '127.0.0.1', port: upstreamPort, database, username: adminUser, password: adminPassword });
      try {
        const st = await session.currentState();
        const alh = Buffer.from(st.committed.alh);
        if (kind === 'state') alh[0] = (alh[0] ?? 0) ^ 0xff;
        const state = { db: st.db, txId: st.committed.txId, txHash: alh, precommittedTxId: st.committed.txId, precommittedTxHash: alh };
        stateCalls += 1;
        const sig = st.signature;
        const corrupt = kind === 'signature' && stateCalls > 1 && sig !== undefined;
        const signature = corrupt ? { publicKey: sig.publicKey, signature: Buffer.from(sig.signature).fill(0x30, sig.signature.length - 8) } : sig;
        return immutableStateToProto(state, kind === 'state' ? undefined : signature);
      } finally {
        await session.close();
      }
    }),
    streamExportTx: bidiStream<ExportTxRequestMsg, object>(env, 'streamExportTx', async (reqs, rpc, send) => {
      const session = await connector.connect({ host: '127.0.0.1', port: upstreamPort, database, username: adminUser, password: adminPassword });
      const answers: ExportAnswerWire[] = [];
      let wake: (() => void) | undefined;
      let failed: string | undefined;
      const stream = session.openStream(readUintHeader(rpc.metadata, primaryEpochHeader) ?? 0, {
        onAnswer: (a) => {
          answers.push(a);
          wake?.();
        },
        onFailure: (f) => {
          failed = f.kind;
          wake?.();
        },
      });
      try {
        for await (const req of reqs) {
          const txId = toTxId(req.tx, 'tx');
          const asked = kind === 'order' && txId === forgedTxId ? txId + 1 : txId;
          stream.send({ txId: asked, allowPrecommitted: req.allowPreCommitted, replicaState: undefined });
          while (answers.length === 0 && failed === undefined) await new Promise<void>((r) => (wake = r));
          const a = answers.shift();
          if (a === undefined) throw new Error(`upstream failed: ${String(failed)}`);
          const payload = txId === forgedTxId && kind !== 'order' && a.payload.length > 0 ? forgeExportedTx(a.payload, kind === 'value' ? 'value' : 'header') : a.payload;
          for (const c of toChunks(payload, streamChunkBytesDefault, relayedAnswerMetadata(a))) await send(c);
        }
      } finally {
        stream.close();
        await session.close();
      }
    }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err === null ? resolve(p) : reject(err))),
  );
  return { port, close: () => server.forceShutdown() };
}
