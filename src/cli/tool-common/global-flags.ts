// The global flags immuclient and immuadmin share (immudb's names: -a/--immudb-address,
// -p/--immudb-port, --tokenfile, --username/--password for scripts, plus our --output), and the
// endpoint they name. Declarations only; each tool adds its own.
import { normalizeEndpoint } from '../../client/connection.js';
import { ImmuError } from '../../common/errors.js';
import type { FlagReader, FlagSpec } from '../flags.js';
import { UsageError } from './cli-error.js';
import { defaultTokenFile } from './token-file.js';

export function connectionFlagSpecs(tool: 'immuclient' | 'immuadmin'): FlagSpec[] {
  return [
    { name: 'help', short: 'h', type: 'bool', description: 'show help (also after a command)' },
    { name: 'immudb-address', short: 'a', type: 'string', defaultValue: '127.0.0.1', description: 'immudb host (immuclient: several comma-separated host[:port] to fail over among them)' },
    { name: 'immudb-port', short: 'p', type: 'int', defaultValue: '3322', description: 'immudb port' },
    { name: 'tokenfile', type: 'string', defaultValue: defaultTokenFile(tool), description: 'where login keeps the token (mode 0600)' },
    { name: 'username', type: 'string', description: 'log in as this user for this one command (non-interactive)' },
    { name: 'password', type: 'string', description: 'password for --username (prompted when stdin is a terminal)' },
    { name: 'output', type: 'string', defaultValue: 'text', description: 'output format: text or json' },
    { name: 'timeout', type: 'duration', defaultValue: '30s', description: 'deadline of each call' },
  ];
}

/** `host:port` from -a/-p; a host given as host:port wins over -p. */
export function endpointOf(flags: FlagReader): string {
  return endpointFrom(flags.string('immudb-address') ?? '127.0.0.1', flags.int('immudb-port') ?? 3322);
}

/** Every endpoint of `-a host1[:port],host2[:port],...` (-p for entries without a port); at least one. */
export function endpointsOf(flags: FlagReader): string[] {
  const port = flags.int('immudb-port') ?? 3322;
  const list = (flags.string('immudb-address') ?? '127.0.0.1').split(',').map((h) => h.trim()).filter((h) => h !== '');
  if (list.length === 0) throw new UsageError('--immudb-address must name at least one host');
  const endpoints = list.map((h) => endpointFrom(h, port));
  const dup = endpoints.find((e, i) => endpoints.indexOf(e) !== i);
  if (dup !== undefined) throw new UsageError(`--immudb-address names ${dup} twice`);
  return endpoints;
}

function endpointFrom(host: string, port: number): string {
  const text = /^[^:]+:\d+$/.test(host) || /^\[.*\]:\d+$/.test(host) ? host : host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
  try {
    return normalizeEndpoint(text);
  } catch (err) {
    throw new UsageError(err instanceof ImmuError ? err.message : String(err));
  }
}

export function timeoutMsOf(flags: FlagReader): number {
  const ms = flags.int('timeout') ?? 30_000;
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new UsageError('--timeout must be positive');
  return ms;
}
