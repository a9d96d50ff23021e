// Turns immuclient's global flags into an authenticated ToolClient for one command: endpoint, call
// deadline, trusted-state directory, the server's signing key, and the database (--database, else the
// token file's selection, else defaultdb).
import { readFile } from 'node:fs/promises';
import { ImmuError } from '../../common/errors.js';
import type { FlagReader } from '../flags.js';
import type { CommandContext } from '../tool-common/command.js';
import { readPreferences, type ReadPreference } from '../../client/failover/routing.js';
import { UsageError } from '../tool-common/cli-error.js';
import { endpointsOf, timeoutMsOf } from '../tool-common/global-flags.js';
import { authenticate } from '../tool-common/login-flow.js';
import { ToolClient } from '../tool-common/tool-client.js';

export const immuclientName = 'immuclient';
const defaultDb = 'defaultdb';

async function signingKey(flags: FlagReader): Promise<string | undefined> {
  const path = flags.string('server-signing-pub-key');
  if (path === undefined || path === '') return undefined;
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new ImmuError('IO_ERROR', `cannot read --server-signing-pub-key ${path}: ${(err as Error).message}`);
  }
}

function readPreferenceOf(flags: FlagReader): ReadPreference {
  const raw = flags.string('read-preference') ?? 'primary';
  const found = readPreferences.find((p) => p === raw);
  if (found === undefined) throw new UsageError(`--read-preference must be one of ${readPreferences.join(', ')}, got ${JSON.stringify(raw)}`);
  return found;
}

/** A client, not yet authenticated; with `-a host1,host2,...` one that fails over among them. */
export async function newClient(flags: FlagReader): Promise<ToolClient> {
  const key = await signingKey(flags);
  const dir = flags.string('dir');
  const [endpoint, ...more] = endpointsOf(flags);
  const readPreference = readPreferenceOf(flags);
  return new ToolClient({
    endpoint: endpoint ?? '127.0.0.1:3322',
    moreEndpoints: more,
    readPreference,
    timeoutMs: timeoutMsOf(flags),
    ...(dir === undefined || dir === '' ? {} : { stateDir: dir }),
    ...(key === undefined ? {} : { serverSigningPublicKey: key }),
  });
}

/** Runs `fn` with an authenticated client that has a database selected; closes the client after. */
export async function withClient<T>(ctx: CommandContext, fn: (client: ToolClient) => Promise<T>): Promise<T> {
  const client = await newClient(ctx.flags);
  try {
    const explicit = ctx.flags.string('database');
    const fresh = ctx.flags.string('username') !== undefined;
    await authenticate({ tool: immuclientName, flags: ctx.flags, io: ctx.io }, client, explicit ?? (fresh ? defaultDb : undefined));
    if (client.database === undefined) await client.useDatabase(defaultDb);
    return await fn(client);
  } finally {
    client.close();
  }
}
