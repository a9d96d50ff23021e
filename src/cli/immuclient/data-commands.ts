// immuclient's data commands over the plain (unverified) calls: set, get, delete, history, scan, count,
// tx, reference, zadd, zscan. Each parses its arguments, calls through the ToolClient and returns a
// result in both output forms.
import * as kv from '../../client/kv-calls.js';
import type { GetOptions } from '../../client/index.js';
import type { CommandDef } from '../tool-common/command.js';
import { displayBytes, fields, jsonBytes } from '../tool-common/output.js';
import { bytesArg, keyAndRevision, nonEmptyKey, optionalCount, scoreArg, txIdArg } from './args.js';
import { withClient } from './connect.js';
import { atTxFlag, descFlag, limitFlag, offsetFlag } from './flags.js';
import { entriesResult, entryResult, txResult, writeResult, zEntriesResult } from './render.js';

export function getOptions(atTx: number | undefined, atRevision: number | undefined): GetOptions {
  return { ...(atTx === undefined ? {} : { atTx: txIdArg(String(atTx), '--at-tx') }), ...(atRevision === undefined ? {} : { atRevision }) };
}

export const dataCommands: readonly CommandDef[] = [
  {
    names: ['set'],
    synopsis: '<key> <value>',
    summary: 'write a value (not verified; see safeset)',
    minArgs: 2,
    maxArgs: 2,
    run: (ctx) => {
      const key = nonEmptyKey(ctx.args[0] ?? '');
      const value = bytesArg(ctx.args[1] ?? '');
      return withClient(ctx, async (c) => writeResult(await kv.set(c, key, value), [['key', key], ['value', value]], undefined));
    },
  },
  {
    names: ['get'],
    synopsis: '<key>[@revision]',
    summary: 'read a value (not verified; see safeget)',
    minArgs: 1,
    maxArgs: 1,
    flags: [atTxFlag],
    run: (ctx) => {
      const { key, atRevision } = keyAndRevision(ctx.args[0] ?? '', ctx.flags.string('revision-separator') ?? '@');
      const options = getOptions(ctx.flags.int('at-tx'), atRevision);
      return withClient(ctx, async (c) => entryResult(await kv.get(c, key, options), { valueOnly: ctx.flags.bool('value-only') === true }));
    },
  },
  {
    names: ['delete'],
    synopsis: '<key>',
    summary: 'logically delete a key (its history stays)',
    minArgs: 1,
    maxArgs: 1,
    run: (ctx) => {
      const key = nonEmptyKey(ctx.args[0] ?? '');
      return withClient(ctx, async (c) => writeResult(await kv.del(c, [key]), [['key', key]], undefined));
    },
  },
  {
    names: ['history'],
    synopsis: '<key>',
    summary: 'every value a key has had',
    minArgs: 1,
    maxArgs: 1,
    flags: [limitFlag, offsetFlag, descFlag],
    run: (ctx) => {
      const key = nonEmptyKey(ctx.args[0] ?? '');
      const limit = optionalCount(ctx.flags.int('limit'), 'limit');
      const offset = optionalCount(ctx.flags.int('offset'), 'offset');
      const options = { ...(limit === undefined ? {} : { limit }), ...(offset === undefined ? {} : { offset }), desc: ctx.flags.bool('desc') === true };
      return withClient(ctx, async (c) => entriesResult(await kv.history(c, key, options)));
    },
  },
  {
    names: ['scan'],
    synopsis: '[prefix]',
    summary: 'keys with a prefix, with their current values',
    minArgs: 0,
    maxArgs: 1,
    flags: [limitFlag, descFlag],
    run: (ctx) => {
      const limit = optionalCount(ctx.flags.int('limit'), 'limit');
      const prefix = ctx.args[0];
      const options = {
        ...(prefix === undefined || prefix === '' ? {} : { prefix: bytesArg(prefix) }),
        ...(limit === undefined ? {} : { limit }),
        desc: ctx.flags.bool('desc') === true,
      };
      return withClient(ctx, async (c) => entriesResult(await kv.scan(c, options)));
    },
  },
  {
    names: ['count'],
    synopsis: '[prefix]',
    summary: 'number of keys with a prefix (every key when omitted)',
    minArgs: 0,
    maxArgs: 1,
    run: (ctx) =>
      withClient(ctx, async (c) => {
        const prefix = ctx.args[0];
        const n = prefix === undefined || prefix === '' ? await kv.countAll(c) : await kv.count(c, bytesArg(prefix));
        return { json: { count: n, ...(prefix === undefined ? {} : jsonBytes('prefix', bytesArg(prefix))) }, text: fields([['count', n]]) };
      }),
  },
  {
    names: ['tx'],
    synopsis: '<id>',
    summary: 'a transaction and its entries (not verified; see verifiedtx)',
    minArgs: 1,
    maxArgs: 1,
    run: (ctx) => {
      const id = txIdArg(ctx.args[0] ?? '');
      return withClient(ctx, async (c) => txResult(await kv.txById(c, id), undefined));
    },
  },
  {
    names: ['reference', 'ref', 'setReference'],
    synopsis: '<reference-key> <key>',
    summary: 'create a key that refers to another key',
    minArgs: 2,
    maxArgs: 2,
    flags: [atTxFlag],
    run: (ctx) => {
      const ref = nonEmptyKey(ctx.args[0] ?? '', 'reference key');
      const key = nonEmptyKey(ctx.args[1] ?? '');
      const atTx = ctx.flags.int('at-tx');
      const options = atTx === undefined ? {} : { atTx: txIdArg(String(atTx), '--at-tx') };
      return withClient(ctx, async (c) => writeResult(await kv.setReference(c, ref, key, options), [['reference', ref], ['key', key]], undefined));
    },
  },
  {
    names: ['zadd'],
    synopsis: '<set> <score> <key>',
    summary: 'add a key to a sorted set with a score',
    minArgs: 3,
    maxArgs: 3,
    run: (ctx) => {
      const set = nonEmptyKey(ctx.args[0] ?? '', 'set');
      const score = scoreArg(ctx.args[1] ?? '');
      const key = nonEmptyKey(ctx.args[2] ?? '');
      return withClient(ctx, async (c) => {
        const h = await kv.zAdd(c, set, score, key);
        return { json: { tx: h.id, ...jsonBytes('set', set), ...jsonBytes('key', key), score }, text: fields([['tx', h.id], ['set', displayBytes(set)], ['key', displayBytes(key)], ['score', score]]) };
      });
    },
  },
  {
    names: ['zscan'],
    synopsis: '<set>',
    summary: 'the members of a sorted set by score',
    minArgs: 1,
    maxArgs: 1,
    flags: [limitFlag, descFlag],
    run: (ctx) => {
      const set = nonEmptyKey(ctx.args[0] ?? '', 'set');
      const limit = optionalCount(ctx.flags.int('limit'), 'limit');
      const options = { ...(limit === undefined ? {} : { limit }), desc: ctx.flags.bool('desc') === true };
      return withClient(ctx, async (c) => zEntriesResult(await kv.zScan(c, set, options)));
    },
  },
];
