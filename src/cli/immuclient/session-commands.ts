// immuclient's login, logout and use: the token file (mode 0600) holds the token, the endpoint that
// issued it and the selected database, so later invocations act as the same user on the same database.
import { UsageError } from '../tool-common/cli-error.js';
import type { CommandDef } from '../tool-common/command.js';
import { loginAndSave, logoutAndForget } from '../tool-common/login-flow.js';
import { fields } from '../tool-common/output.js';
import { readTokenFile, writeTokenFile } from '../tool-common/token-file.js';
import { immuclientName, newClient, withClient } from './connect.js';

export const sessionCommands: readonly CommandDef[] = [
  {
    names: ['login'],
    synopsis: '<username>',
    summary: 'log in (password from --password, a hidden prompt, or stdin) and select --database or defaultdb',
    minArgs: 1,
    maxArgs: 1,
    run: async (ctx) => {
      const c = await newClient(ctx.flags);
      try {
        const user = ctx.args[0] ?? '';
        const { warning, saved } = await loginAndSave({ tool: immuclientName, flags: ctx.flags, io: ctx.io }, c, user, ctx.flags.string('database') ?? 'defaultdb');
        const rows: [string, string][] = [['logged in as', user], ['database', saved.database ?? ''], ['endpoint', saved.endpoint]];
        if (warning !== '') rows.push(['warning', warning]);
        return { json: { user, database: saved.database, endpoint: saved.endpoint, ...(warning === '' ? {} : { warning }) }, text: fields(rows) };
      } finally {
        c.close();
      }
    },
  },
  {
    names: ['logout'],
    synopsis: '',
    summary: 'log out and remove the token file',
    minArgs: 0,
    maxArgs: 0,
    run: async (ctx) => {
      const c = await newClient(ctx.flags);
      try {
        const { wasLoggedIn } = await logoutAndForget({ tool: immuclientName, flags: ctx.flags, io: ctx.io }, c);
        return { json: { loggedOut: wasLoggedIn }, text: wasLoggedIn ? 'logged out' : 'not logged in' };
      } finally {
        c.close();
      }
    },
  },
  {
    names: ['use'],
    synopsis: '<database>',
    summary: 'select the database later commands use (saved in the token file)',
    minArgs: 1,
    maxArgs: 1,
    run: (ctx) =>
      withClient(ctx, async (c) => {
        if (c.isCluster) throw new UsageError('use saves one node\'s token: with several addresses pass --database to each command');
        await c.useDatabase(ctx.args[0] ?? '');
        const database = c.database ?? '';
        const username = ctx.flags.string('username') ?? '';
        const path = ctx.flags.string('tokenfile') ?? '';
        const previous = await readTokenFile(path);
        await writeTokenFile(path, { endpoint: c.endpoint, username: previous?.username ?? username, token: c.token ?? '', database });
        return { json: { database }, text: fields([['now using', database]]) };
      }),
  },
];
