// How a tool invocation becomes authenticated: `--username` (with `--password` or a prompt) logs in for
// this one command; otherwise the token file written by `login` is resumed, if it was issued by the
// same endpoint. Also the `login` and `logout` commands' shared core. Passwords pass through here and
// go nowhere else: not into files, not into output.
import { ImmuError } from '../../common/errors.js';
import type { FlagReader } from '../flags.js';
import { UsageError } from './cli-error.js';
import type { PromptIo } from './prompt.js';
import { readSecret } from './prompt.js';
import { readTokenFile, removeTokenFile, writeTokenFile, type SavedLogin } from './token-file.js';
import type { ToolClient } from './tool-client.js';

export interface LoginInputs {
  readonly tool: string;
  readonly flags: FlagReader;
  readonly io: PromptIo;
}

export async function passwordFor(inputs: LoginInputs, user: string, flagName = 'password'): Promise<string> {
  const given = inputs.flags.string(flagName);
  if (given !== undefined) return given;
  return readSecret(inputs.io, `Password for ${user}: `);
}

function tokenFileOf(flags: FlagReader): string {
  const path = flags.string('tokenfile');
  if (path === undefined || path === '') throw new UsageError('--tokenfile must not be empty');
  return path;
}

/**
 * Authenticates `client` for one command. `database`: the database to select (undefined keeps the
 * token file's selection, or none for a fresh login).
 */
export async function authenticate(inputs: LoginInputs, client: ToolClient, database: string | undefined): Promise<void> {
  const user = inputs.flags.string('username');
  if (user !== undefined) {
    await client.login(user, await passwordFor(inputs, user));
    if (database !== undefined) await client.useDatabase(database);
    return;
  }
  if (client.isCluster) {
    throw new UsageError('with several addresses each node needs its own login: pass --username (password: --password, the <TOOL>_PASSWORD variable or a prompt)');
  }
  const saved = await readTokenFile(tokenFileOf(inputs.flags));
  if (saved === undefined) {
    throw new ImmuError('UNAUTHENTICATED', `not logged in: run \`${inputs.tool} login <username>\` or pass --username`);
  }
  if (saved.endpoint !== client.endpoint) {
    throw new ImmuError('UNAUTHENTICATED', `not logged in to ${client.endpoint} (the token file is for ${saved.endpoint}): run \`${inputs.tool} login <username>\``);
  }
  client.resume(saved.token, saved.database);
  if (database !== undefined && database !== saved.database) await client.useDatabase(database);
}

/** `login <user>`: logs in, optionally selects a database, saves the token. Returns the server warning. */
export async function loginAndSave(inputs: LoginInputs, client: ToolClient, user: string, database: string | undefined): Promise<{ warning: string; saved: SavedLogin }> {
  if (client.isCluster) throw new UsageError('login saves one node\'s token: with several addresses pass --username to each command instead');
  const warning = await client.login(user, await passwordFor(inputs, user));
  if (database !== undefined) await client.useDatabase(database);
  const saved: SavedLogin = { endpoint: client.endpoint, username: user, token: client.token ?? '', database: client.database };
  await writeTokenFile(tokenFileOf(inputs.flags), saved);
  return { warning, saved };
}

/** `logout`: tells the server (best effort when the token already expired) and removes the token file. */
export async function logoutAndForget(inputs: LoginInputs, client: ToolClient): Promise<{ wasLoggedIn: boolean }> {
  const path = tokenFileOf(inputs.flags);
  const saved = await readTokenFile(path);
  if (saved === undefined) return { wasLoggedIn: false };
  let failure: unknown;
  if (saved.endpoint === client.endpoint) {
    client.resume(saved.token, saved.database);
    try {
      await client.logout();
    } catch (err) {
      if (!(err instanceof ImmuError && err.code === 'UNAUTHENTICATED')) failure = err;
    }
  }
  await removeTokenFile(path);
  if (failure !== undefined) throw failure;
  return { wasLoggedIn: true };
}
