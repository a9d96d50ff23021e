// The structured logger (pino). Events carry a stable `event` name (e.g. `store.torn_tail_truncated`)
// plus context (`db`, `txId`, `node`); secrets are redacted by path so no call site has to remember.
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

export const redactedPaths: readonly string[] = [
  'password',
  'newPassword',
  'oldPassword',
  'token',
  'authorization',
  'signingKey',
  '*.password',
  '*.newPassword',
  '*.oldPassword',
  '*.token',
  '*.authorization',
  '*.signingKey',
  'replicationPrimaryPassword',
  '*.replicationPrimaryPassword',
  '*.primaryPassword',
];

export interface LoggerConfig {
  readonly level?: string;
  /** A file path to append to; stdout when absent. */
  readonly destination?: string;
  readonly name?: string;
}

export function createLogger(config: LoggerConfig = {}): Logger {
  const options: LoggerOptions = {
    level: config.level ?? process.env['IMMUDB_LOG_LEVEL'] ?? 'info',
    redact: { paths: [...redactedPaths], censor: '[redacted]' },
    base: config.name === undefined ? {} : { name: config.name },
  };
  const destination =
    config.destination === undefined ? pino.destination(1) : pino.destination({ dest: config.destination, mkdir: true });
  return pino(options, destination);
}

/** A logger that discards everything, for unit tests and library use without a configured logger. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
