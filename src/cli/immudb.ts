#!/usr/bin/env node
// `immudb`: the server's composition root. Resolves configuration (flags > IMMUDB_* env > TOML >
// defaults), loads keys, starts the server, and turns SIGTERM/SIGINT into a graceful shutdown. Any
// startup error is one line on stderr and a non-zero exit.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ImmuError } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import { loadPublicKey, loadSigningKey } from '../proof/state-signature.js';
import { startServer } from '../api/server-main.js';
import type { Logger } from '../common/log.js';
import {
  UNSAFE_CANARY_CONSENT,
  unsafeAckBeforeReplicaPrecommitForCanaryTestsOnly,
  type UnsafeAckBeforeReplicaPrecommit,
} from '../../replication/core/index.js';
import { usage } from './flags.js';
import { resolveServerConfig, serverFlagSpecs, type ServerConfig } from './server-config.js';

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ImmuError('INVALID_ARGUMENT', `cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}

/**
 * The lost-write canary of the cluster tests (scenario 8), and nothing else: with this variable set to
 * exactly `unsafeCanaryEnvValue`, every primary database of this server acknowledges sync writes before
 * any replica precommitted them. No flag, config file key or setting maps to it; any other value
 * refuses to start, so a typo cannot half-enable it; it is logged at error level at start and each
 * primary logs `replication.unsafe_canary_enabled`.
 */
export const unsafeCanaryEnv = 'IMMUDBTS_UNSAFE_CANARY_ACK_BEFORE_REPLICA_PRECOMMIT';
export const unsafeCanaryEnvValue = 'i-understand-this-loses-data';

function unsafeCanaryFromEnv(env: NodeJS.ProcessEnv, logger: Logger): UnsafeAckBeforeReplicaPrecommit | undefined {
  const value = env[unsafeCanaryEnv];
  if (value === undefined || value === '') return undefined;
  if (value !== unsafeCanaryEnvValue) {
    throw new ImmuError('INVALID_ARGUMENT', `${unsafeCanaryEnv} is set to an unexpected value; unset it (it is a test-only switch that loses data)`);
  }
  logger.error(
    { event: 'server.unsafe_canary_enabled', env: unsafeCanaryEnv },
    'UNSAFE CANARY ENABLED: sync primaries acknowledge writes before replicas precommit them; acknowledged writes WILL be lost on failover. Cluster tests only.',
  );
  return unsafeAckBeforeReplicaPrecommitForCanaryTestsOnly(UNSAFE_CANARY_CONSENT);
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`immudb-ts server\n\nUsage: immudb [flags]\n\n${usage(serverFlagSpecs)}\n`);
    return;
  }
  if (argv.includes('--version')) {
    process.stdout.write('immudb-ts 0.1.0 (immudb 1.11 compatible)\n');
    return;
  }
  const cfg: ServerConfig = resolveServerConfig(argv, env);
  const logger = createLogger({ level: cfg.logLevel, ...(cfg.logFile === undefined ? {} : { destination: cfg.logFile }), name: 'immudb' });
  const signingKey = cfg.signingKeyPath === undefined ? undefined : loadSigningKey(readPem(cfg.signingKeyPath, 'signing key'));
  const r = cfg.replication;
  const primaryPublicKey = r.primaryPublicKeyPath === undefined ? undefined : loadPublicKey(readPem(r.primaryPublicKeyPath, 'primary public key'));
  const unsafeCanary = unsafeCanaryFromEnv(env, logger);
  const server = await startServer({
    dir: resolve(cfg.dir),
    address: cfg.address,
    port: cfg.port,
    logger,
    adminPassword: cfg.adminPassword,
    forceAdminPassword: cfg.forceAdminPassword,
    ...(signingKey === undefined ? {} : { signingKey }),
    recvMessageBytesMax: cfg.maxRecvMessageBytes,
    ...(cfg.tls === undefined
      ? {}
      : { mtls: { keyPath: cfg.tls.privateKeyPath, certPath: cfg.tls.certificatePath, clientCasPath: cfg.tls.clientCasPath ?? cfg.tls.certificatePath } }),
    metricsServer: cfg.metricsServer,
    metricsPort: cfg.metricsPort,
    ...(cfg.pidFile === undefined ? {} : { pidFile: cfg.pidFile }),
    logDirName: cfg.logDir,
    sessionLimits: {
      idleTimeoutMs: cfg.sessionTimeoutMs,
      sessionsMax: cfg.maxSessions,
      tokenTtlMs: cfg.tokenExpiryMs,
      ...(cfg.sessionMaxAgeMs > 0 ? { ageMsMax: cfg.sessionMaxAgeMs } : {}),
    },
    writeTxHeaderVersion: cfg.writeTxHeaderVersion,
    syncAckTimeoutMs: r.syncAckTimeoutMs,
    replicationFlags: {
      replica: r.isReplica,
      syncReplication: r.syncEnabled,
      syncAcks: r.syncAcks,
      ...(r.primaryHost === undefined ? {} : { primaryHost: r.primaryHost, primaryPort: r.primaryPort }),
      ...(r.primaryUsername === undefined ? {} : { primaryUsername: r.primaryUsername }),
      ...(r.primaryPassword === undefined ? {} : { primaryPassword: r.primaryPassword }),
      ...(r.isReplica ? { prefetchTxBufferSize: r.prefetchTxBufferSize, replicationCommitConcurrency: r.commitConcurrency } : {}),
      allowTxDiscarding: r.allowTxDiscarding,
      waitForIndexing: r.waitForIndexing,
      syncAckTimeoutMs: r.syncAckTimeoutMs,
    },
    ...(primaryPublicKey === undefined ? {} : { replicationPrimaryPublicKey: primaryPublicKey }),
    ...(unsafeCanary === undefined ? {} : { replicationTuning: { unsafeCanary } }),
  });
  let signals = 0;
  const onSignal = (signal: string): void => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ event: 'server.forced_exit', signal });
      process.exit(1);
    }
    logger.info({ event: 'server.signal', signal });
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ event: 'server.stop_failed', err });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}

main(process.argv.slice(2), process.env).catch((err: unknown) => {
  const msg = err instanceof ImmuError ? err.message : err instanceof Error ? err.message : String(err);
  process.stderr.write(`immudb: ${msg}\n`);
  process.exit(2);
});
