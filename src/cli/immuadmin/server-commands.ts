// immuadmin's login, logout, status and stats. Login keeps the token in the token file (mode 0600); a
// server still on the default immudb password is reported, and on a terminal the password can be
// changed right away (immudb forces it; scripts get the warning in the output instead).
import { changePassword } from '../../client/admin-calls.js';
import { serverInfo, health } from '../../client/kv-calls.js';
import { strongPasswordProblem } from '../../common/password-policy.js';
import { UsageError } from '../tool-common/cli-error.js';
import type { CommandContext, CommandDef } from '../tool-common/command.js';
import { loginAndSave, logoutAndForget } from '../tool-common/login-flow.js';
import { fields, table } from '../tool-common/output.js';
import { confirm, readSecret } from '../tool-common/prompt.js';
import type { ToolClient } from '../tool-common/tool-client.js';
import { immuadminName, newClient, withoutLogin } from './connect.js';
import { statsFlags } from './flags.js';
import { fetchMetrics, parsePrometheusText, summarise } from './stats.js';

async function offerPasswordChange(ctx: CommandContext, client: ToolClient, user: string, oldPassword: string): Promise<boolean> {
  if (!ctx.io.stdin.isTTY || !(await confirm(ctx.io, 'The immudb user still has the default password. Change it now?'))) return false;
  const next = await readSecret(ctx.io, 'New password: ');
  const again = await readSecret(ctx.io, 'Repeat the new password: ');
  if (next !== again) throw new UsageError('the passwords do not match');
  const problem = strongPasswordProblem(next);
  if (problem !== undefined) throw new UsageError(problem);
  await changePassword(client, user, oldPassword, next);
  return true;
}

function bytesText(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i] ?? 'B'}`;
}

export const serverCommands: readonly CommandDef[] = [
  {
    names: ['login'],
    synopsis: '<username>',
    summary: 'log in (password from --password, a hidden prompt, or stdin) and save the token',
    minArgs: 0,
    maxArgs: 1,
    run: async (ctx) => {
      const user = ctx.args[0] ?? ctx.flags.string('username');
      if (user === undefined || user === '') throw new UsageError(`login: missing argument (usage: ${immuadminName} login <username>)`);
      const client = newClient(ctx);
      try {
        const inputs = { tool: immuadminName, flags: ctx.flags, io: ctx.io };
        const { warning, saved } = await loginAndSave(inputs, client, user, undefined);
        const changed = warning !== '' && (await offerPasswordChange(ctx, client, user, ctx.flags.string('password') ?? ''));
        const rows: [string, string][] = [['logged in as', user], ['endpoint', saved.endpoint]];
        if (warning !== '' && !changed) rows.push(['warning', warning]);
        if (changed) rows.push(['password', 'changed']);
        return { json: { user, endpoint: saved.endpoint, ...(warning !== '' && !changed ? { warning } : {}), ...(changed ? { passwordChanged: true } : {}) }, text: fields(rows) };
      } finally {
        client.close();
      }
    },
  },
  {
    names: ['logout', 'x'],
    synopsis: '',
    summary: 'log out and remove the token file',
    minArgs: 0,
    maxArgs: 0,
    run: (ctx) =>
      withoutLogin(ctx, async (client) => {
        const { wasLoggedIn } = await logoutAndForget({ tool: immuadminName, flags: ctx.flags, io: ctx.io }, client);
        return { json: { loggedOut: wasLoggedIn }, text: wasLoggedIn ? 'logged out' : 'not logged in' };
      }),
  },
  {
    names: ['status', 'p'],
    synopsis: '',
    summary: 'is the server reachable: version, uptime, databases, disk size, transactions (no login needed)',
    minArgs: 0,
    maxArgs: 0,
    run: (ctx) =>
      withoutLogin(ctx, async (client) => {
        const h = await health(client);
        const info = await serverInfo(client);
        const startedAt = new Date(info.startedAt * 1000).toISOString();
        const uptimeS = Math.max(0, Math.round(Date.now() / 1000 - info.startedAt));
        return {
          json: { ok: h.status, endpoint: client.endpoint, version: info.version, startedAt, uptimeSeconds: uptimeS, databases: info.numDatabases, diskSizeBytes: info.databasesDiskSize, transactions: info.numTransactions },
          text: `${h.status ? 'OK' : 'NOT OK'} - server is reachable at ${client.endpoint}\n${fields([
            ['version', info.version],
            ['started at', startedAt],
            ['uptime', `${uptimeS}s`],
            ['databases', info.numDatabases],
            ['disk size', bytesText(info.databasesDiskSize)],
            ['transactions', info.numTransactions],
          ])}`,
        };
      }),
  },
  {
    names: ['stats', 's'],
    synopsis: '',
    summary: 'committed/indexed tx per database and RPC counts, from the metrics endpoint (:9497)',
    minArgs: 0,
    maxArgs: 0,
    flags: statsFlags,
    run: async (ctx) => {
      const host = ctx.flags.string('immudb-address') ?? '127.0.0.1';
      const url = ctx.flags.string('metrics-url') ?? `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:9497/metrics`;
      const text = await fetchMetrics(url, ctx.flags.int('timeout') ?? 30_000);
      if (ctx.flags.bool('raw') === true) return { json: { url, raw: text }, text };
      const s = summarise(parsePrometheusText(text));
      const dbRows = s.databases.map((d) => [d.db, String(d.committedTxId), String(d.precommittedTxId ?? '-'), String(d.indexedTxId ?? '-')]);
      const rpcRows = Object.entries(s.rpcs)
        .sort((a, b) => b[1] - a[1])
        .map(([m, n]) => [m, String(n), String(s.rpcErrors[m] ?? 0)]);
      return {
        json: { url, ...s },
        text: `${table(['DATABASE', 'COMMITTED TX', 'PRECOMMITTED TX', 'INDEXED TX'], dbRows)}\n\n${table(['RPC', 'CALLS', 'ERRORS'], rpcRows)}${
          s.uptimeHours === undefined ? '' : `\n\nuptime: ${s.uptimeHours.toFixed(2)} h`
        }`,
      };
    },
  },
];
