// immuadmin's user commands: list, create, changepassword, permission grant|revoke, activate,
// deactivate. New passwords come from --new-password, a hidden prompt (twice), or stdin; one that fails
// immudb's strong-password rule is refused in scripts unless --allow-weak-password, and asked about on
// a terminal (immudb asks "continue anyway?").
import * as admin from '../../client/admin-calls.js';
import { Permission, type User } from '../../client/index.js';
import { strongPasswordProblem } from '../../common/password-policy.js';
import { UsageError } from '../tool-common/cli-error.js';
import type { CommandContext, CommandDef } from '../tool-common/command.js';
import { fields, table } from '../tool-common/output.js';
import { confirm, readSecret } from '../tool-common/prompt.js';
import { readTokenFile } from '../tool-common/token-file.js';
import { withAdmin } from './connect.js';
import { newPasswordFlag, oldPasswordFlag, weakPasswordFlag } from './flags.js';

const permissionCodes: ReadonlyMap<string, number> = new Map([
  ['read', Permission.READ],
  ['readwrite', Permission.READ_WRITE],
  ['admin', Permission.ADMIN],
  ['sysadmin', Permission.SYS_ADMIN],
]);

export function permissionCode(name: string): number {
  const code = permissionCodes.get(name.toLowerCase());
  if (code === undefined) throw new UsageError(`permission must be read, readwrite, admin or sysadmin, got ${JSON.stringify(name)}`);
  return code;
}

export function permissionName(code: number): string {
  for (const [name, c] of permissionCodes) if (c === code) return name;
  return String(code);
}

async function newPassword(ctx: CommandContext): Promise<string> {
  let password = ctx.flags.string('new-password');
  if (password === undefined) {
    password = await readSecret(ctx.io, 'New password: ');
    if (ctx.io.stdin.isTTY && (await readSecret(ctx.io, 'Repeat the new password: ')) !== password) throw new UsageError('the passwords do not match');
  }
  if (password === '') throw new UsageError('the new password must not be empty');
  const problem = strongPasswordProblem(password);
  if (problem !== undefined && ctx.flags.bool('allow-weak-password') !== true) {
    const ok = await confirm(ctx.io, `${problem}. Continue anyway?`);
    if (!ok) throw new UsageError(`${problem} (pass --allow-weak-password to use it anyway)`);
  }
  return password;
}

function userJson(u: User): Record<string, unknown> {
  return { user: u.user, active: u.active, createdBy: u.createdBy, createdAt: u.createdAt, permissions: u.permissions.map((p) => ({ database: p.database, permission: permissionName(p.permission) })) };
}

function done(json: Record<string, unknown>, text: string): { json: unknown; text: string } {
  return { json: { ok: true, ...json }, text };
}

export const userCommands: readonly CommandDef[] = [
  {
    names: ['user list', 'user l'],
    synopsis: '',
    summary: 'users with their permissions',
    minArgs: 0,
    maxArgs: 0,
    run: (ctx) =>
      withAdmin(ctx, async (c) => {
        const users = await admin.listUsers(c);
        const rows = users.map((u) => [u.user, u.active ? 'yes' : 'no', u.permissions.map((p) => `${p.database}:${permissionName(p.permission)}`).join(',') || '-', u.createdBy || '-', u.createdAt || '-']);
        return { json: { users: users.map(userJson) }, text: table(['USER', 'ACTIVE', 'PERMISSIONS', 'CREATED BY', 'CREATED AT'], rows) };
      }),
  },
  {
    names: ['user create'],
    synopsis: '<username> <read|readwrite|admin|sysadmin> [database]',
    summary: 'create a user with a permission on a database',
    minArgs: 2,
    maxArgs: 3,
    flags: [newPasswordFlag, weakPasswordFlag],
    run: async (ctx) => {
      const [user = '', perm = '', db] = ctx.args;
      const permission = permissionCode(perm);
      if (db === undefined && permission !== Permission.SYS_ADMIN) throw new UsageError('user create: a database is required for read, readwrite and admin');
      const password = await newPassword(ctx);
      return withAdmin(ctx, async (c) => {
        await admin.createUser(c, user, password, permission, db ?? '*');
        return done({ user, permission: perm, database: db ?? '*' }, fields([['created user', user], ['permission', `${perm} on ${db ?? '*'}`]]));
      });
    },
  },
  {
    names: ['user changepassword'],
    synopsis: '<username>',
    summary: 'change a password (the old one is needed for yourself and for immudb)',
    minArgs: 1,
    maxArgs: 1,
    flags: [oldPasswordFlag, newPasswordFlag, weakPasswordFlag],
    run: async (ctx) => {
      const user = ctx.args[0] ?? '';
      const me = ctx.flags.string('username') ?? (await readTokenFile(ctx.flags.string('tokenfile') ?? ''))?.username;
      const needsOld = user === 'immudb' || user === me;
      const oldPassword = ctx.flags.string('old-password') ?? (needsOld ? await readSecret(ctx.io, `Old password of ${user}: `) : '');
      const password = await newPassword(ctx);
      return withAdmin(ctx, async (c) => {
        await admin.changePassword(c, user, oldPassword, password);
        return done({ user }, `password of ${user} changed`);
      });
    },
  },
  ...(['grant', 'revoke'] as const).map(
    (action): CommandDef => ({
      names: [`user permission ${action}`],
      synopsis: '<username> <read|readwrite|admin|sysadmin> <database>',
      summary: `${action} a permission on a database`,
      minArgs: 3,
      maxArgs: 3,
      run: async (ctx) => {
        const [user = '', perm = '', db = ''] = ctx.args;
        const permission = permissionCode(perm);
        return withAdmin(ctx, async (c) => {
          await admin.changePermission(c, action, user, db, permission);
          return done({ user, action, permission: perm, database: db }, `permission ${perm} on ${db} ${action === 'grant' ? 'granted to' : 'revoked from'} ${user}`);
        });
      },
    }),
  ),
  ...(['activate', 'deactivate'] as const).map(
    (verb): CommandDef => ({
      names: [`user ${verb}`],
      synopsis: '<username>',
      summary: verb === 'activate' ? 'allow a user to log in again' : 'stop a user from logging in (users are never deleted)',
      minArgs: 1,
      maxArgs: 1,
      run: (ctx) =>
        withAdmin(ctx, async (c) => {
          const user = ctx.args[0] ?? '';
          await admin.setActiveUser(c, user, verb === 'activate');
          return done({ user, active: verb === 'activate' }, `user ${user} ${verb}d`);
        }),
    }),
  ),
];
