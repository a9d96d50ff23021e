// immuclient's verified commands (safeset / verifiedset, safeget / verifiedget, verifiedtx / safetx) and
// the state commands (current, status, health). A verified command proves the reply against the trusted
// state in --dir and advances it; a proof that fails is exit code 3 and leaves the saved state as it was.
import * as kv from '../../client/kv-calls.js';
import type { CommandDef } from '../tool-common/command.js';
import { fields } from '../tool-common/output.js';
import { bytesArg, keyAndRevision, nonEmptyKey, txIdArg } from './args.js';
import { newClient, withClient } from './connect.js';
import { getOptions } from './data-commands.js';
import { atTxFlag } from './flags.js';
import { entryResult, stateJson, stateText, txResult, writeResult } from './render.js';

export const verifiedCommands: readonly CommandDef[] = [
  {
    names: ['safeset', 'verifiedset'],
    synopsis: '<key> <value>',
    summary: 'write a value and verify the server’s proof against the trusted state',
    minArgs: 2,
    maxArgs: 2,
    run: (ctx) => {
      const key = nonEmptyKey(ctx.args[0] ?? '');
      const value = bytesArg(ctx.args[1] ?? '');
      return withClient(ctx, async (c) => writeResult(await c.verified.verifiedSet(key, value), [['key', key], ['value', value]], true));
    },
  },
  {
    names: ['safeget', 'verifiedget'],
    synopsis: '<key>[@revision]',
    summary: 'read a value with an inclusion and consistency proof',
    minArgs: 1,
    maxArgs: 1,
    flags: [atTxFlag],
    run: (ctx) => {
      const { key, atRevision } = keyAndRevision(ctx.args[0] ?? '', ctx.flags.string('revision-separator') ?? '@');
      const options = getOptions(ctx.flags.int('at-tx'), atRevision);
      return withClient(ctx, async (c) => entryResult(await c.verified.verifiedGet(key, options), { verified: true, valueOnly: ctx.flags.bool('value-only') === true }));
    },
  },
  {
    names: ['verifiedtx', 'safetx'],
    synopsis: '<id>',
    summary: 'a transaction, proven against the trusted state',
    minArgs: 1,
    maxArgs: 1,
    run: (ctx) => {
      const id = txIdArg(ctx.args[0] ?? '');
      return withClient(ctx, async (c) => txResult(await c.verified.verifiedTxById(id), true));
    },
  },
  {
    names: ['current', 'state'],
    synopsis: '',
    summary: 'the database’s current state: tx id and hash (signature checked when a key is given)',
    minArgs: 0,
    maxArgs: 0,
    run: (ctx) =>
      withClient(ctx, async (c) => {
        const { state, serverUuid } = await c.verified.currentState();
        return { json: stateJson(state, serverUuid), text: stateText(state) };
      }),
  },
  {
    names: ['status'],
    synopsis: '',
    summary: 'is the server up, and the current state of the database',
    minArgs: 0,
    maxArgs: 0,
    run: (ctx) =>
      withClient(ctx, async (c) => {
        const health = await kv.health(c);
        const { state, serverUuid } = await c.verified.currentState();
        return {
          json: { status: health.status, version: health.version, endpoint: c.endpoint, state: stateJson(state, serverUuid) },
          text: `${fields([['status', health.status ? 'OK' : 'NOT OK'], ['version', health.version], ['endpoint', c.endpoint]])}\n${stateText(state)}`,
        };
      }),
  },
  {
    names: ['health'],
    synopsis: '',
    summary: 'server health (no login needed)',
    minArgs: 0,
    maxArgs: 0,
    run: async (ctx) => {
      const c = await newClient(ctx.flags);
      try {
        const health = await kv.health(c);
        return { json: { status: health.status, version: health.version, endpoint: c.endpoint }, text: fields([['status', health.status ? 'OK' : 'NOT OK'], ['version', health.version]]) };
      } finally {
        c.close();
      }
    },
  },
];
