// Assembles one running immudb-ts server: the node (databases, users, sessions), the gRPC services and
// the metrics/health HTTP endpoint, and tears them down in the safe order: stop accepting, drain
// in-flight calls, close every store (fsync), then the metrics port. Used by the `immudb` CLI and by
// tests that need a real server in-process.
import { writeFile, rm } from 'node:fs/promises';
import type { Server as HttpServer } from 'node:http';
import type { KeyObject } from 'node:crypto';
import type { Logger } from '../common/log.js';
import { ImmuNode } from '../server/immu-node.js';
import type { ServerReplicationFlags } from '../server/settings-sources.js';
import type { SessionLimits } from '../server/sessions.js';
import type { TxHeaderVersion } from '../proof/tx-header.js';
import { createImmuServiceHandlers } from './handlers/immu-service.js';
import { createImmudbTsHandlers, type ReplicationStatusProvider } from './handlers/immudbts-service.js';
import { GrpcPrimaryConnector } from '../../replication/replica/grpc-connector.js';
import type { ReplicationTuning } from '../server/replication-host.js';
import { bindGrpcServer, createGrpcServer, type MtlsFiles } from './grpc-server.js';
import { ServerMetrics, startMetricsHttp, type MetricsSource } from './metrics.js';
import { loadProtos } from './proto-loader.js';
import { withColumnarSetDecoder } from './set-request-decoder.js';

export const shutdownDrainMsDefault = 10_000;

export interface ServerOptions {
  readonly dir: string;
  readonly address: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly logger: Logger;
  readonly adminPassword: string;
  readonly forceAdminPassword?: boolean;
  readonly signingKey?: KeyObject;
  readonly recvMessageBytesMax?: number;
  readonly mtls?: MtlsFiles;
  readonly metricsServer: boolean;
  /** 0 picks a free port. */
  readonly metricsPort?: number;
  readonly pidFile?: string;
  readonly logDirName?: string;
  readonly sessionLimits?: Partial<SessionLimits>;
  readonly writeTxHeaderVersion?: TxHeaderVersion;
  readonly syncAckTimeoutMs?: number;
  readonly replicationFlags?: ServerReplicationFlags;
  readonly hashWorkers?: number;
  readonly shutdownDrainMs?: number;
  /**
   * `--replication-primary-public-key`: every replica database of this server requires its primary's
   * state signed with this key (session start and each consistency check); a bad or missing signature
   * halts that database's replication (PROOF_FAILED, primary-signature-invalid).
   */
  readonly replicationPrimaryPublicKey?: KeyObject;
  /** Replication timing knobs (tests, cluster harness); defaults otherwise. */
  readonly replicationTuning?: ReplicationTuning;
}

export interface RunningServer {
  readonly node: ImmuNode;
  readonly port: number;
  readonly metricsPort: number | undefined;
  readonly address: string;
  /** Graceful stop; safe to call twice. */
  stop(): Promise<void>;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const log = opts.logger;
  const node = await ImmuNode.start({
    dataDir: opts.dir,
    logger: log,
    adminPassword: opts.adminPassword,
    forceAdminPassword: opts.forceAdminPassword ?? false,
    logDirName: opts.logDirName ?? 'immulog',
    signingKey: opts.signingKey,
    sessionLimits: opts.sessionLimits ?? {},
    defaults: {
      writeTxHeaderVersion: opts.writeTxHeaderVersion ?? 1,
      ...(opts.syncAckTimeoutMs === undefined ? {} : { syncAckTimeoutMs: opts.syncAckTimeoutMs }),
    },
    replicationFlags: opts.replicationFlags ?? { replica: false },
    ...(opts.hashWorkers === undefined ? {} : { hashWorkers: opts.hashWorkers }),
    replicaConnector: new GrpcPrimaryConnector(),
    ...(opts.replicationPrimaryPublicKey === undefined ? {} : { replicaPrimaryPublicKey: opts.replicationPrimaryPublicKey }),
    ...(opts.replicationTuning === undefined ? {} : { replicationTuning: opts.replicationTuning }),
  });
  const statusProvider: ReplicationStatusProvider = node; // the node serves the ImmudbTs status RPC
  void statusProvider;

  let serving = false;
  const source: MetricsSource = {
    version: node.version,
    startedAtMs: Date.now(),
    databases: () =>
      node.databases().map((d) => ({
        name: d.name,
        health: d.database === undefined || d.database.closed ? undefined : d.database.health(),
        ...(d.openFailure === undefined ? {} : { openFailure: `${d.openFailure.code}: ${d.openFailure.reason}` }),
      })),
    replication: () => node.replicationMetrics(),
  };
  const metrics = new ServerMetrics(source);
  const env = { logger: log, serverUuid: node.serverUuid, observer: metrics.observer };
  const protos = loadProtos();
  const grpcServer = createGrpcServer({ recvMessageBytesMax: opts.recvMessageBytesMax });
  grpcServer.addService(withColumnarSetDecoder(protos.immuService), createImmuServiceHandlers(node, env));
  grpcServer.addService(protos.immudbTsService, createImmudbTsHandlers(node, env));

  let grpc;
  let http: { server: HttpServer; port: number } | undefined;
  try {
    grpc = await bindGrpcServer(grpcServer, { address: opts.address, port: opts.port, logger: log, ...(opts.mtls ? { mtls: opts.mtls } : {}) });
    if (opts.metricsServer) {
      http = await startMetricsHttp(metrics, source, { address: opts.address, port: opts.metricsPort ?? 9497, logger: log, isServing: () => serving });
    }
  } catch (err) {
    grpcServer.forceShutdown();
    await node.close();
    throw err;
  }
  if (opts.pidFile !== undefined) await writeFile(opts.pidFile, `${process.pid}\n`);
  serving = true;
  log.info({ event: 'server.started', address: opts.address, port: grpc.port, metricsPort: http?.port, uuid: node.serverUuid, dir: opts.dir });

  let stopping: Promise<void> | undefined;
  const running = grpc;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      serving = false;
      log.info({ event: 'server.stopping' });
      node.beginShutdown();
      const how = await running.shutdown(opts.shutdownDrainMs ?? shutdownDrainMsDefault);
      await node.close();
      if (http !== undefined) await new Promise<void>((r) => http?.server.close(() => r()));
      if (opts.pidFile !== undefined) await rm(opts.pidFile, { force: true });
      log.info({ event: 'server.stopped', drain: how });
    })();
    return stopping;
  };
  return { node, port: grpc.port, metricsPort: http?.port, address: opts.address, stop };
}
