// immuadmin's database commands: create, list, update, load, unload, delete, settings. Replication and
// store flags go through database-flags.ts, which refuses incomplete or contradictory combinations
// before anything is changed. Room is left in this group for `database failover` (issue 6).
import * as admin from '../../client/admin-calls.js';
import { ImmuError } from '../../common/errors.js';
import { UsageError } from '../tool-common/cli-error.js';
import type { CommandDef } from '../tool-common/command.js';
import { withAdmin } from './connect.js';
import { createSettings, databaseFlagSpecs, preflightUpdate, updateSettings } from './database-flags.js';
import type { FlagSpec } from '../flags.js';
import { deleteFlags } from './flags.js';
import { databaseListJson, databaseListText, settingsJson, settingsText } from './render.js';

/** `database create --if-not-exists`: CreateDatabaseV2 ifNotExists, so a second run (compose init) exits 0. */
const ifNotExistsFlag: FlagSpec = {
  name: 'if-not-exists',
  type: 'bool',
  description: 'succeed (exit 0, saying so) when the database already exists; its settings are left as they are',
};

function nameArg(raw: string | undefined): string {
  const name = (raw ?? '').trim();
  if (name === '') throw new UsageError('database name must not be empty');
  return name.toLowerCase();
}

function lifecycle(verb: 'load' | 'unload', call: typeof admin.loadDatabase): CommandDef {
  return {
    names: [`database ${verb}`],
    synopsis: '<name>',
    summary: verb === 'load' ? 'open an unloaded database' : 'close a database (its data stays)',
    minArgs: 1,
    maxArgs: 1,
    run: (ctx) =>
      withAdmin(ctx, async (c) => {
        const db = await call(c, nameArg(ctx.args[0]));
        return { json: { database: db, [verb === 'load' ? 'loaded' : 'unloaded']: true }, text: `database ${db} ${verb}ed` };
      }),
  };
}

export const databaseCommands: readonly CommandDef[] = [
  {
    names: ['database create', 'database c'],
    synopsis: '<name>',
    summary: 'create a database (replica with --replication-primary HOST[:PORT] or the --replication-* flags)',
    minArgs: 1,
    maxArgs: 1,
    flags: [...databaseFlagSpecs, ifNotExistsFlag],
    run: async (ctx) => {
      const name = nameArg(ctx.args[0]);
      const settings = createSettings(name, ctx.flags);
      const ifNotExists = ctx.flags.bool('if-not-exists') === true;
      return withAdmin(ctx, async (c) => {
        const r = await admin.createDatabaseV2(c, name, settings, ifNotExists);
        // The server returns the existing database's settings untouched: the flags given were not applied.
        if (r.alreadyExisted) {
          return {
            json: { database: r.name, created: false, alreadyExisted: true, settings: settingsJson(r.settings) },
            text: `database ${r.name} already exists: nothing changed (its settings were not updated)\n${settingsText(r.name, r.settings)}`,
          };
        }
        return { json: { database: r.name, created: true, alreadyExisted: false, settings: settingsJson(r.settings) }, text: `database ${r.name} created\n${settingsText(r.name, r.settings)}` };
      });
    },
  },
  {
    names: ['database list', 'database l'],
    synopsis: '',
    summary: 'databases with state, role, transactions and size',
    minArgs: 0,
    maxArgs: 0,
    run: (ctx) =>
      withAdmin(ctx, async (c) => {
        const dbs = await admin.listDatabasesV2(c);
        return { json: databaseListJson(dbs), text: databaseListText(dbs) };
      }),
  },
  {
    names: ['database update'],
    synopsis: '<name>',
    summary: 'change settings; --replication-is-replica=false promotes a replica and clears its replica settings',
    minArgs: 1,
    maxArgs: 1,
    flags: databaseFlagSpecs,
    run: async (ctx) => {
      const name = nameArg(ctx.args[0]);
      preflightUpdate(ctx.flags);
      return withAdmin(ctx, async (c) => {
        const current = (await admin.listDatabasesV2(c)).find((d) => d.name === name);
        if (current === undefined) throw new ImmuError('DATABASE_NOT_FOUND', `database ${name} does not exist`);
        const settings = updateSettings(name, ctx.flags, current.settings);
        if (Object.keys(settings).length === 0) throw new UsageError('database update: no setting given (see immuadmin database update --help)');
        const r = await admin.updateDatabase(c, name, settings);
        return { json: { database: r.database, updated: true, settings: settingsJson(r.settings) }, text: `database ${r.database} updated\n${settingsText(r.database, r.settings)}` };
      });
    },
  },
  lifecycle('load', admin.loadDatabase),
  lifecycle('unload', admin.unloadDatabase),
  {
    names: ['database delete'],
    synopsis: '<name>',
    summary: 'delete an unloaded database and its data (needs --yes-i-know-what-i-am-doing)',
    minArgs: 1,
    maxArgs: 1,
    flags: deleteFlags,
    run: async (ctx) => {
      const name = nameArg(ctx.args[0]);
      if (ctx.flags.bool('yes-i-know-what-i-am-doing') !== true) {
        throw new UsageError(`database delete removes ${name} and its data for good: add --yes-i-know-what-i-am-doing`);
      }
      return withAdmin(ctx, async (c) => {
        const db = await admin.deleteDatabase(c, name);
        return { json: { database: db, deleted: true }, text: `database ${db} deleted` };
      });
    },
  },
  {
    names: ['database settings'],
    synopsis: '<name>',
    summary: 'the settings of a database (replication password redacted)',
    minArgs: 1,
    maxArgs: 1,
    run: (ctx) =>
      withAdmin(ctx, async (c) => {
        await c.useDatabase(nameArg(ctx.args[0]));
        const r = await admin.getDatabaseSettings(c);
        return { json: { database: r.database, settings: settingsJson(r.settings) }, text: settingsText(r.database, r.settings) };
      }),
  },
];
