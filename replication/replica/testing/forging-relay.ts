// A forging relay for the cluster tests (scenario 5), run as its own process: a gRPC server that a
// replica takes for its primary. It accepts the replica's session, logs in to the real primary with the
// same credentials and relays streamExportTx both ways, except that for each configured database one tx
// is forged on its way to the replica: an altered value, an altered header (the header hash and Alh
// change, Eh stays valid), another tx than the one asked for (reordered), or an earlier tx again
// (replayed). Everything else (metadata, epochs, sync replica states) passes through unchanged. It is
// the in-process forging primary (forging-primary.ts) made a child process; it serves nothing else
// (consistency proofs fail as unimplemented, which the replica retries) and is never part of a server.
//
//   node dist/replication/replica/testing/forging-relay.js --upstream HOST:PORT --listen HOST \
//        --forge DB=KIND:TXID [--forge ...]
// KIND is value | header | order | replay. Prints one JSON line `{"event":"relay.started","port":N}`
// and one `{"event":"relay.forged",...}` line per forged answer.
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { toChunks, streamChunkBytesDefault } from '../../../src/api/chunks.js';
import { toTxId } from '../../../src/api/convert.js';
import { bidiStream, unary, type HandlerEnv } from '../../../src/api/handler.js';
import {
  primaryEpochHeader,
  readSessionId,
  readUintHeader,
} from '../../../src/api/metadata.js';
import { loadProtos } from '../../../src/api/proto-loader.js';
import type { ExportTxRequestMsg, OpenSessionRequestMsg } from '../../../src/api/proto-types.js';
import { ImmuError } from '../../../src/common/errors.js';
import { silentLogger } from '../../../src/common/log.js';
import { GrpcPrimaryConnector } from '../grpc-connector.js';
import { forgeExportedTx, relayedAnswerMetadata } from './relay-wire.js';
import type { ExportAnswerWire, ExportRequestWire } from '../primary-connection.js';

export type RelayForgery = 'value' | 'header' | 'order' | 'replay';

export interface ForgeRule {
  readonly kind: RelayForgery;
  readonly txId: number;
}

/** Sessions the relay remembers (one per replica login); older ones are forgotten first. */
const relaySessionsMax = 256;
/** Longest the relay waits for the upstream primary's answer to one request (above its long poll). */
const upstreamAnswerWaitMs = 15_000;




/** Which tx to ask the primary for when the replica asks for `txId`. */
function upstreamTxId(rule: ForgeRule | undefined, txId: number): number {
  if (rule === undefined || rule.txId !== txId) return txId;
  if (rule.kind === 'order') return txId + 1;
  if (rule.kind === 'replay') return Math.max(1, txId - 1);
  return txId;
}

interface RelaySession {
  readonly database: string;
  readonly username: string;
  readonly password: string;
}

export interface ForgingRelayOptions {
  readonly upstreamHost: string;
  readonly upstreamPort: number;
  readonly listenHost: string;
  readonly rules: ReadonlyMap<string, ForgeRule>;
  readonly onForged: (db: string, rule: ForgeRule, askedTxId: number) => void;
}

export async function startForgingRelay(opts: ForgingRelayOptions): Promise<{ readonly port: number; close(): void }> {
  const env: HandlerEnv = { logger: silentLogger(), serverUuid: 'forging-relay' };
  const connector = new GrpcPrimaryConnector();
  const sessions = new Map<string, RelaySession>();
  const server = new Server();
  server.addService(loadProtos().immuService, {
    OpenSession: unary(env, 'OpenSession', async (req: OpenSessionRequestMsg) => {
      const id = randomUUID();
      sessions.set(id, { database: req.databaseName, username: req.username.toString('utf8'), password: req.password.toString('utf8') });
      if (sessions.size > relaySessionsMax) sessions.delete(sessions.keys().next().value as string);
      return { sessionID: id, serverUUID: 'forging-relay' };
    }),
    CloseSession: unary(env, 'CloseSession', async () => ({})),
    KeepAlive: unary(env, 'KeepAlive', async () => ({})),
    streamExportTx: bidiStream<ExportTxRequestMsg, object>(env, 'streamExportTx', async (reqs, ctx, send) => {
      const session = sessions.get(readSessionId(ctx.metadata) ?? '');
      if (session === undefined) throw new ImmuError('UNAUTHENTICATED', 'no relay session');
      const rule = opts.rules.get(session.database);
      const upstream = await connector.connect({ host: opts.upstreamHost, port: opts.upstreamPort, ...session });
      const answers: ExportAnswerWire[] = [];
      let wake: (() => void) | undefined;
      let failed: string | undefined;
      const stream = upstream.openStream(readUintHeader(ctx.metadata, primaryEpochHeader) ?? 0, {
        onAnswer: (a) => {
          answers.push(a);
          wake?.();
        },
        onFailure: (f) => {
          failed = `${f.kind}: ${'message' in f ? String(f.message) : ''}`;
          wake?.();
        },
      });
      try {
        for await (const req of reqs) {
          const txId = toTxId(req.tx, 'tx');
          const s = req.replicaState;
          const forward: ExportRequestWire = {
            txId: upstreamTxId(rule, txId),
            allowPrecommitted: req.allowPreCommitted,
            replicaState:
              s === null
                ? undefined
                : {
                    uuid: s.UUID,
                    committed: { txId: toTxId(s.committedTxID, 'committedTxID'), alh: s.committedAlh },
                    precommitted: { txId: toTxId(s.precommittedTxID, 'precommittedTxID'), alh: s.precommittedAlh },
                  },
          };
          stream.send(forward);
          const deadline = Date.now() + upstreamAnswerWaitMs;
          while (answers.length === 0 && failed === undefined && Date.now() < deadline && !ctx.signal.aborted) {
            await new Promise<void>((resolve) => {
              wake = resolve;
              setTimeout(resolve, 200).unref();
            });
          }
          const a = answers.shift();
          if (a === undefined) throw new ImmuError('IO_ERROR', `upstream primary gave no answer: ${failed ?? 'timeout'}`);
          let payload = a.payload;
          if (rule !== undefined && rule.txId === txId && payload.length > 0) {
            if (rule.kind === 'value' || rule.kind === 'header') payload = forgeExportedTx(payload, rule.kind);
            opts.onForged(session.database, rule, txId);
          }
          for (const c of toChunks(payload, streamChunkBytesDefault, relayedAnswerMetadata(a))) await send(c);
        }
      } finally {
        stream.close();
        await upstream.close();
      }
    }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${opts.listenHost}:0`, ServerCredentials.createInsecure(), (err, p) => (err === null ? resolve(p) : reject(err))),
  );
  return { port, close: () => server.forceShutdown() };
}

function parseArgs(argv: readonly string[]): Omit<ForgingRelayOptions, 'onForged'> {
  let upstream: string | undefined;
  let listenHost = '127.0.0.1';
  const rules = new Map<string, ForgeRule>();
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${String(flag)} needs a value`);
    if (flag === '--upstream') upstream = value;
    else if (flag === '--listen') listenHost = value;
    else if (flag === '--forge') {
      const m = /^([^=]+)=(value|header|order|replay):(\d+)$/.exec(value);
      if (m === null) throw new Error(`--forge ${value}: expected DB=value|header|order|replay:TXID`);
      rules.set(m[1] as string, { kind: m[2] as RelayForgery, txId: Number(m[3]) });
    } else throw new Error(`unknown flag ${String(flag)}`);
  }
  const m = /^(127\.\d+\.\d+\.\d+):(\d+)$/.exec(upstream ?? '');
  if (m === null) throw new Error('--upstream must be a loopback HOST:PORT');
  if (!/^127\.\d+\.\d+\.\d+$/.test(listenHost)) throw new Error('--listen must be a loopback address');
  return { upstreamHost: m[1] as string, upstreamPort: Number(m[2]), listenHost, rules };
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (isMain) {
  const print = (o: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
  startForgingRelay({ ...parseArgs(process.argv.slice(2)), onForged: (db, rule, askedTxId) => print({ event: 'relay.forged', db, kind: rule.kind, txId: rule.txId, askedTxId }) }).then(
    (relay) => {
      print({ event: 'relay.started', port: relay.port });
      const stop = (): void => {
        relay.close();
        process.exit(0);
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    },
    (err: unknown) => {
      process.stderr.write(`forging-relay: ${(err as Error).message}\n`);
      process.exit(2);
    },
  );
}
