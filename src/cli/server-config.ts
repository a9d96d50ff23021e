// The immudb server's configuration: flag declarations (immudb's names and defaults, cluster spec 4.3,
// plus our additions), `IMMUDB_*` environment variables and an optional TOML file, resolved into one
// typed, validated ServerConfig. Precedence: flags > env > config file > defaults. Pure except for
// reading the config file named by --config.
import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { ImmuError } from '../common/errors.js';
import { grpcRecvMessageBytesMaxDefault } from '../common/limits.js';
import { FlagReader, parseFlags, type FlagSpec } from './flags.js';

export const serverFlagSpecs: readonly FlagSpec[] = [
  { name: 'config', type: 'string', description: 'path to a TOML config file (keys are flag names)' },
  { name: 'dir', type: 'string', defaultValue: './data', description: 'data directory' },
  { name: 'address', short: 'a', type: 'string', defaultValue: '0.0.0.0', description: 'gRPC bind address' },
  { name: 'port', short: 'p', type: 'int', defaultValue: '3322', description: 'gRPC port' },
  { name: 'admin-password', type: 'string', defaultValue: 'immudb', description: 'password of the immudb user when systemdb is first created (plain or enc:<base64>)' },
  { name: 'force-admin-password', type: 'bool', defaultValue: 'false', description: 'reset the immudb user password to --admin-password at start' },
  { name: 'auth', short: 's', type: 'bool', defaultValue: 'true', description: 'enable authentication' },
  { name: 'devmode', type: 'bool', defaultValue: 'false', description: 'accept remote clients with auth disabled' },
  { name: 'maintenance', type: 'bool', defaultValue: 'false', description: 'maintenance mode (requires auth disabled)' },
  { name: 'signingKey', type: 'string', aliases: ['signing-key'], description: 'path to a PEM ECDSA P-256 private key used to sign states' },
  { name: 'synced', type: 'bool', defaultValue: 'true', description: 'fsync before acknowledging commits (cannot be turned off: durability is not optional here)' },
  { name: 'token-expiry-time', type: 'int', defaultValue: '1440', description: 'legacy token lifetime in minutes' },
  { name: 'mtls', short: 'm', type: 'bool', defaultValue: 'false', description: 'enable mutual TLS' },
  { name: 'pkey', type: 'string', description: 'server private key (PEM)' },
  { name: 'certificate', type: 'string', description: 'server certificate (PEM)' },
  { name: 'clientcas', type: 'string', description: 'client CA certificates (PEM)' },
  { name: 'max-recv-msg-size', type: 'int', defaultValue: String(grpcRecvMessageBytesMaxDefault), description: 'largest gRPC message accepted, bytes' },
  { name: 'logfile', type: 'string', description: 'write logs to this file instead of stdout' },
  { name: 'logdir', type: 'string', defaultValue: 'immulog', description: 'log directory (excluded from database discovery)' },
  { name: 'logformat', type: 'string', defaultValue: 'json', description: 'log format (json)' },
  { name: 'log-level', type: 'string', defaultValue: 'info', description: 'log level: trace, debug, info, warn, error' },
  { name: 'pidfile', type: 'string', description: 'write the process id to this file' },
  { name: 'detached', short: 'd', type: 'bool', defaultValue: 'false', description: 'not supported: run under a supervisor instead' },
  { name: 'metrics-server', type: 'bool', defaultValue: 'true', description: 'serve /metrics, /livez, /readyz' },
  { name: 'metrics-server-port', type: 'int', defaultValue: '9497', description: 'metrics HTTP port' },
  { name: 'max-sessions', type: 'int', defaultValue: '100', description: 'maximum open sessions' },
  { name: 'session-timeout', type: 'duration', defaultValue: '2m', description: 'idle time after which a session is closed' },
  { name: 'max-session-inactivity-time', type: 'duration', defaultValue: '3m', description: 'idle time after which a session counts as inactive' },
  { name: 'max-session-age-time', type: 'duration', defaultValue: '0', description: 'maximum session age (0 = unlimited)' },
  { name: 'max-active-databases', type: 'int', defaultValue: '100', description: 'open databases kept at once' },
  { name: 'write-tx-header-version', type: 'int', defaultValue: '1', description: 'tx header version (0 or 1) of databases created without an explicit setting' },
  // Replication of systemdb and defaultdb (user databases are configured through their settings).
  { name: 'replication-is-replica', type: 'bool', aliases: ['replication-enabled'], defaultValue: 'false', description: 'systemdb and defaultdb are replicas' },
  { name: 'replication-sync-enabled', type: 'bool', defaultValue: 'false', description: 'synchronous replication (replica side)' },
  { name: 'replication-sync-acks', type: 'int', defaultValue: '0', description: 'replica acks required before a commit (primary side)' },
  { name: 'replication-primary-host', type: 'string', aliases: ['replication-master-address'], description: 'primary host' },
  { name: 'replication-primary-port', type: 'int', aliases: ['replication-master-port'], defaultValue: '3322', description: 'primary port' },
  { name: 'replication-primary-username', type: 'string', aliases: ['replication-follower-username'], description: 'user on the primary (needs admin)' },
  { name: 'replication-primary-password', type: 'string', aliases: ['replication-follower-password'], description: 'password on the primary' },
  { name: 'replication-prefetch-tx-buffer-size', type: 'int', defaultValue: '100', description: 'txs fetched ahead' },
  { name: 'replication-commit-concurrency', type: 'int', defaultValue: '10', description: 'replica commit concurrency' },
  { name: 'replication-allow-tx-discarding', type: 'bool', defaultValue: 'false', description: 'discard precommitted txs that diverge from the primary' },
  { name: 'replication-skip-integrity-check', type: 'bool', defaultValue: 'false', description: 'accepted for compatibility; verification is never skipped' },
  { name: 'replication-wait-for-indexing', type: 'bool', defaultValue: 'false', description: 'wait for the index before acking' },
  { name: 'replication-sync-ack-timeout', type: 'duration', defaultValue: '10s', description: 'how long a sync primary waits for replica acks before failing the write' },
  { name: 'replication-primary-public-key', type: 'string', description: 'path to the PEM (P-256) public key the primary must sign its state with; every replica database on this server checks it at session start and at each consistency check, and halts on an unsigned or wrongly signed state' },
];

export interface TlsConfig {
  readonly privateKeyPath: string;
  readonly certificatePath: string;
  readonly clientCasPath: string | undefined;
}

export interface ServerReplicationFlags {
  readonly isReplica: boolean;
  readonly syncEnabled: boolean;
  readonly syncAcks: number;
  readonly primaryHost: string | undefined;
  readonly primaryPort: number;
  readonly primaryUsername: string | undefined;
  readonly primaryPassword: string | undefined;
  readonly prefetchTxBufferSize: number;
  readonly commitConcurrency: number;
  readonly allowTxDiscarding: boolean;
  readonly waitForIndexing: boolean;
  readonly syncAckTimeoutMs: number;
  readonly primaryPublicKeyPath: string | undefined;
}

export interface ServerConfig {
  readonly dir: string;
  readonly address: string;
  readonly port: number;
  readonly adminPassword: string;
  readonly forceAdminPassword: boolean;
  readonly auth: boolean;
  readonly devMode: boolean;
  readonly maintenance: boolean;
  readonly signingKeyPath: string | undefined;
  readonly tokenExpiryMs: number;
  readonly tls: TlsConfig | undefined;
  readonly maxRecvMessageBytes: number;
  readonly logFile: string | undefined;
  readonly logDir: string;
  readonly logLevel: string;
  readonly pidFile: string | undefined;
  readonly metricsServer: boolean;
  readonly metricsPort: number;
  readonly maxSessions: number;
  readonly sessionTimeoutMs: number;
  readonly sessionInactivityMs: number;
  readonly sessionMaxAgeMs: number;
  readonly maxActiveDatabases: number;
  readonly writeTxHeaderVersion: 0 | 1;
  readonly replication: ServerReplicationFlags;
}

/** Decodes `enc:<base64>` passwords as immudb accepts them. */
export function decodeAdminPassword(raw: string): string {
  return raw.startsWith('enc:') ? Buffer.from(raw.slice(4), 'base64').toString('utf8') : raw;
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ImmuError('INVALID_ARGUMENT', `cannot read config file ${path}: ${(err as Error).message}`);
  }
  const parsed = parseToml(text) as Record<string, unknown>;
  const flat: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parsed)) flat[k.replace(/_/g, '-')] = v;
  return flat;
}

export function resolveServerConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ServerConfig {
  const first = new FlagReader(parseFlags(serverFlagSpecs, { argv, env, envPrefix: 'IMMUDB' }));
  const configPath = first.string('config');
  const config = configPath === undefined ? undefined : readConfigFile(configPath);
  const f = config === undefined ? first : new FlagReader(parseFlags(serverFlagSpecs, { argv, env, envPrefix: 'IMMUDB', config }));
  if (f.positionals.length > 0) throw new ImmuError('INVALID_ARGUMENT', `unexpected argument: ${f.positionals[0]}`);

  const req = <T>(v: T | undefined, name: string): T => {
    if (v === undefined) throw new ImmuError('INVALID_ARGUMENT', `--${name} is required`);
    return v;
  };
  const port = req(f.int('port'), 'port');
  if (port < 0 || port > 65535) throw new ImmuError('INVALID_ARGUMENT', `--port ${port} is out of range`);
  const metricsPort = req(f.int('metrics-server-port'), 'metrics-server-port');
  if (metricsPort < 0 || metricsPort > 65535) throw new ImmuError('INVALID_ARGUMENT', `--metrics-server-port ${metricsPort} is out of range`);
  const headerVersion = req(f.int('write-tx-header-version'), 'write-tx-header-version');
  if (headerVersion !== 0 && headerVersion !== 1) {
    throw new ImmuError('INVALID_ARGUMENT', `--write-tx-header-version must be 0 or 1, got ${headerVersion}`);
  }
  const adminPassword = decodeAdminPassword(req(f.string('admin-password'), 'admin-password'));
  if (adminPassword === '') throw new ImmuError('INVALID_ARGUMENT', '--admin-password must not be empty');
  const auth = req(f.bool('auth'), 'auth');
  const maintenance = req(f.bool('maintenance'), 'maintenance');
  if (maintenance && auth) throw new ImmuError('INVALID_ARGUMENT', '--maintenance requires --auth=false');
  if (f.bool('synced') === false) throw new ImmuError('INVALID_ARGUMENT', '--synced=false is not supported: writes are always fsynced before they are acknowledged');
  if (f.bool('detached') === true) throw new ImmuError('INVALID_ARGUMENT', '--detached is not supported: run immudb under a supervisor (systemd, docker)');

  let tls: TlsConfig | undefined;
  if (f.bool('mtls') === true) {
    tls = {
      privateKeyPath: req(f.string('pkey'), 'pkey'),
      certificatePath: req(f.string('certificate'), 'certificate'),
      clientCasPath: f.string('clientcas'),
    };
  }
  const isReplica = req(f.bool('replication-is-replica'), 'replication-is-replica');
  const syncAcks = req(f.int('replication-sync-acks'), 'replication-sync-acks');
  if (syncAcks < 0) throw new ImmuError('INVALID_ARGUMENT', '--replication-sync-acks must be >= 0');
  const primaryHost = f.string('replication-primary-host');
  if (isReplica && syncAcks > 0) throw new ImmuError('INVALID_ARGUMENT', '--replication-sync-acks applies to a primary, not with --replication-is-replica');
  if (!isReplica && primaryHost !== undefined) {
    throw new ImmuError('INVALID_ARGUMENT', '--replication-primary-host needs --replication-is-replica');
  }
  if (isReplica && primaryHost !== undefined) {
    if (f.string('replication-primary-username') === undefined) throw new ImmuError('INVALID_ARGUMENT', 'a replica needs --replication-primary-username');
    if (f.string('replication-primary-password') === undefined) throw new ImmuError('INVALID_ARGUMENT', 'a replica needs --replication-primary-password');
  }

  return {
    dir: req(f.string('dir'), 'dir'),
    address: req(f.string('address'), 'address'),
    port,
    adminPassword,
    forceAdminPassword: req(f.bool('force-admin-password'), 'force-admin-password'),
    auth,
    devMode: req(f.bool('devmode'), 'devmode'),
    maintenance,
    signingKeyPath: f.string('signingKey'),
    tokenExpiryMs: req(f.int('token-expiry-time'), 'token-expiry-time') * 60_000,
    tls,
    maxRecvMessageBytes: req(f.int('max-recv-msg-size'), 'max-recv-msg-size'),
    logFile: f.string('logfile'),
    logDir: req(f.string('logdir'), 'logdir'),
    logLevel: req(f.string('log-level'), 'log-level'),
    pidFile: f.string('pidfile'),
    metricsServer: req(f.bool('metrics-server'), 'metrics-server'),
    metricsPort,
    maxSessions: req(f.int('max-sessions'), 'max-sessions'),
    sessionTimeoutMs: req(f.int('session-timeout'), 'session-timeout'),
    sessionInactivityMs: req(f.int('max-session-inactivity-time'), 'max-session-inactivity-time'),
    sessionMaxAgeMs: req(f.int('max-session-age-time'), 'max-session-age-time'),
    maxActiveDatabases: req(f.int('max-active-databases'), 'max-active-databases'),
    writeTxHeaderVersion: headerVersion,
    replication: {
      isReplica,
      syncEnabled: req(f.bool('replication-sync-enabled'), 'replication-sync-enabled'),
      syncAcks,
      primaryHost,
      primaryPort: req(f.int('replication-primary-port'), 'replication-primary-port'),
      primaryUsername: f.string('replication-primary-username'),
      primaryPassword: f.string('replication-primary-password'),
      prefetchTxBufferSize: req(f.int('replication-prefetch-tx-buffer-size'), 'replication-prefetch-tx-buffer-size'),
      commitConcurrency: req(f.int('replication-commit-concurrency'), 'replication-commit-concurrency'),
      allowTxDiscarding: req(f.bool('replication-allow-tx-discarding'), 'replication-allow-tx-discarding'),
      waitForIndexing: req(f.bool('replication-wait-for-indexing'), 'replication-wait-for-indexing'),
      syncAckTimeoutMs: req(f.int('replication-sync-ack-timeout'), 'replication-sync-ack-timeout'),
      primaryPublicKeyPath: f.string('replication-primary-public-key'),
    },
  };
}
