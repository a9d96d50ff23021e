// immuadmin's `hot-backup` and `hot-restore`: flags, and the adapters that give the client library's
// backup flows (src/client/backup/) a server to talk to: the tool's authenticated client for unary and
// verified calls, plus a second channel for the two streaming RPCs (ToolClient has unary calls only).
// File format: docs/backup-format.md. Exit codes: 1 usage, 2 server/IO, 3 file or proof verification.
import * as admin from '../../client/admin-calls.js';
import { callMetadata } from '../../client/auth.js';
import { hotBackup, type BackupSource, type HotBackupResult } from '../../client/backup/hot-backup.js';
import { hotRestore, verifyFile, type HotRestoreResult, type RestoreTarget } from '../../client/backup/hot-restore.js';
import type { VerifiedBackup } from '../../client/backup/backup-verify.js';
import type { ProgressSink } from '../../client/backup/backup-progress.js';
import { Connection } from '../../client/connection.js';
import { exportTx, replicateTx, type StreamCallSite } from '../../client/replication-calls.js';
import { txAlh } from '../../proof/index.js';
import type { FlagSpec } from '../flags.js';
import { UsageError } from '../tool-common/cli-error.js';
import type { CommandContext, CommandDef } from '../tool-common/command.js';
import { endpointOf, timeoutMsOf } from '../tool-common/global-flags.js';
import { fields } from '../tool-common/output.js';
import type { ToolClient } from '../tool-common/tool-client.js';
import { withAdmin } from './connect.js';

const progressFlags: readonly FlagSpec[] = [
  { name: 'progress', type: 'bool', defaultValue: 'true', description: 'progress on stderr: a rewritten line on a terminal, a log line every --progress-interval otherwise' },
  { name: 'progress-interval', type: 'duration', defaultValue: '5s', description: 'how often progress is logged when stderr is not a terminal' },
];

export const hotBackupFlags: readonly FlagSpec[] = [
  { name: 'output-file', short: 'o', type: 'string', description: 'the backup file: created, or continued after its last transaction' },
  { name: 'start-tx', type: 'int', description: 'first transaction of a new file (default 1; an existing file continues where it ends)' },
  { name: 'end-tx', type: 'int', description: 'last transaction to back up (default: the last committed one)' },
  ...progressFlags,
];

export const hotRestoreFlags: readonly FlagSpec[] = [
  { name: 'input-file', short: 'i', type: 'string', description: 'the backup file to restore' },
  { name: 'keep-replica', type: 'bool', description: 'leave a newly created database a passive replica instead of promoting it' },
  { name: 'force-replica', type: 'bool', description: 'let an existing non-replica database take the transactions (replica for the duration)' },
  { name: 'verify-only', type: 'bool', description: 'only verify the file offline and print its range (no database argument, no server)' },
  ...progressFlags,
];

function dbArg(raw: string | undefined): string {
  const name = (raw ?? '').trim().toLowerCase();
  if (name === '') throw new UsageError('database name must not be empty');
  return name;
}

function requiredPath(ctx: CommandContext, flag: string, short: string): string {
  const path = ctx.flags.string(flag);
  if (path === undefined || path === '') throw new UsageError(`-${short}/--${flag} FILE is required`);
  if (path === '-') throw new UsageError(`--${flag}: stdin/stdout is not supported; give a file`);
  return path;
}

function positiveTx(ctx: CommandContext, flag: string): number | undefined {
  const v = ctx.flags.int(flag);
  if (v !== undefined && v < 1) throw new UsageError(`--${flag} must be a positive transaction id`);
  return v;
}

function progressOf(ctx: CommandContext): { progress?: ProgressSink; logIntervalMs: number } {
  const logIntervalMs = ctx.flags.int('progress-interval') ?? 5_000;
  if (ctx.flags.bool('progress') === false) return { logIntervalMs };
  const stderr = ctx.io.stderr;
  return { progress: { isTTY: stderr.isTTY === true, write: (text) => void stderr.write(text) }, logIntervalMs };
}

/** The streaming RPCs on their own channel, with the tool client's current token. */
function streamSite(ctx: CommandContext, client: ToolClient): StreamCallSite & { close(): void } {
  const connection = new Connection({ endpoints: [endpointOf(ctx.flags)], timeoutMs: timeoutMsOf(ctx.flags) });
  return {
    connection,
    metadata: () => callMetadata({ kind: 'token', token: client.token ?? '', database: client.database }),
    close: () => connection.close(),
  };
}

async function provenAlh(client: ToolClient, txId: number): Promise<Buffer> {
  return txAlh((await client.verified.verifiedTxById(txId)).header);
}

function backupSource(client: ToolClient, site: StreamCallSite, database: string): BackupSource {
  return {
    database,
    serverUuid: () => client.serverUuid,
    committedTxId: async () => (await client.verified.currentState()).state.txId,
    provenAlh: (txId) => provenAlh(client, txId),
    exportTx: async (txId) => (await exportTx(site, txId)).payload,
  };
}

function restoreTarget(client: ToolClient, site: StreamCallSite, database: string): RestoreTarget {
  return {
    database,
    replicaFlag: async () => {
      const info = (await admin.listDatabasesV2(client)).find((d) => d.name === database);
      return info === undefined ? undefined : info.settings.replication?.replica === true;
    },
    createPassiveReplica: async () => {
      await admin.createDatabaseV2(client, database, { replication: { replica: true } });
      await client.useDatabase(database);
    },
    select: () => client.useDatabase(database),
    setReplica: async (on) => {
      await admin.updateDatabase(client, database, { replication: { replica: on } });
    },
    state: async () => {
      const r = await client.verified.verifyState();
      return { txId: r.current.txId, alh: r.current.txHash };
    },
    provenAlh: (txId) => provenAlh(client, txId),
    replicate: (payload) => replicateTx(site, payload),
  };
}

function backupResult(r: HotBackupResult): { json: unknown; text: string } {
  const range = r.txsWritten === 0 ? 'no new transactions' : `${r.txsWritten} transactions (tx ${r.lastTxId - r.txsWritten + 1}..${r.lastTxId}, ${r.bytesWritten} bytes)`;
  const lines = [`hot-backup of ${r.database} to ${r.file}: ${range}${r.interrupted ? ' (interrupted)' : ''}`];
  lines.push(r.lastTxId === 0 ? 'the file holds no transactions yet' : `the file holds tx ${r.firstTxId}..${r.lastTxId}`);
  if (r.tornTailBytesDropped > 0) lines.push(`dropped an incomplete last record of ${r.tornTailBytesDropped} bytes left by an earlier run`);
  return { json: r, text: lines.join('\n') };
}

function restoreResult(r: HotRestoreResult): { json: unknown; text: string } {
  const json = { ...r, state: { txId: r.state.txId, alh: r.state.alh.toString('hex') } };
  const what = r.txsApplied === 0 ? 'nothing to apply' : `applied tx ${r.startTxId + 1}..${r.startTxId + r.txsApplied}`;
  const text = [
    `hot-restore of ${r.file} into ${r.database}${r.created ? ' (created)' : ''}: ${what}`,
    fields([
      ['file', `tx ${r.fileFirstTxId}..${r.fileLastTxId}`],
      ['state', `tx ${r.state.txId} alh ${r.state.alh.toString('hex')}`],
      ['replica', r.replica],
    ]),
  ].join('\n');
  return { json, text };
}

function verifyOnlyResult(path: string, v: VerifiedBackup): { json: unknown; text: string } {
  const json = {
    file: path,
    verified: true,
    database: v.header.database,
    sourceServerUuid: v.header.sourceServerUuid,
    createdAtMs: v.header.createdAtMs,
    records: v.records,
    firstTxId: v.firstTxId,
    lastTxId: v.lastTxId,
    lastAlh: v.lastAlh?.toString('hex') ?? '',
    blRootChecked: v.blRootChecked,
  };
  const range = v.records === 0 ? 'no transactions' : `tx ${v.firstTxId}..${v.lastTxId}`;
  return { json, text: `backup file ${path} verified: database ${v.header.database}, ${range}${v.blRootChecked ? '' : ' (BlRoot not checked: the file does not start at tx 1)'}` };
}

/** Ctrl-C stops the backup after the current transaction; the file stays consistent. */
async function withInterrupt<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onSigint = (): void => ac.abort();
  process.once('SIGINT', onSigint);
  try {
    return await fn(ac.signal);
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

export const backupCommands: readonly CommandDef[] = [
  {
    names: ['hot-backup'],
    synopsis: '<database> -o FILE',
    summary: 'back up a database into a file by streaming its transactions; run again to append only newer ones',
    minArgs: 1,
    maxArgs: 1,
    flags: hotBackupFlags,
    run: async (ctx) => {
      const database = dbArg(ctx.args[0]);
      const path = requiredPath(ctx, 'output-file', 'o');
      const startTx = positiveTx(ctx, 'start-tx');
      const endTx = positiveTx(ctx, 'end-tx');
      if (startTx !== undefined && endTx !== undefined && endTx < startTx) throw new UsageError('--end-tx is before --start-tx');
      return withAdmin(ctx, async (client) => {
        await client.useDatabase(database);
        const site = streamSite(ctx, client);
        try {
          const r = await withInterrupt((signal) =>
            hotBackup(backupSource(client, site, database), { path, nowMs: Date.now, signal, ...(startTx !== undefined ? { startTx } : {}), ...(endTx !== undefined ? { endTx } : {}), ...progressOf(ctx) }),
          );
          return backupResult(r);
        } finally {
          site.close();
        }
      });
    },
  },
  {
    names: ['hot-restore'],
    synopsis: '<database> -i FILE',
    summary: 'verify a backup file and replay it into a new database or onto the end of an existing one',
    minArgs: 0,
    maxArgs: 1,
    flags: hotRestoreFlags,
    run: async (ctx) => {
      const path = requiredPath(ctx, 'input-file', 'i');
      if (ctx.flags.bool('verify-only') === true) {
        if (ctx.args.length > 0) throw new UsageError('hot-restore --verify-only takes no database');
        return verifyOnlyResult(path, await verifyFile(path, `verify ${path}`, { nowMs: Date.now, ...progressOf(ctx) }));
      }
      if (ctx.args.length === 0) throw new UsageError('hot-restore: missing argument (usage: immuadmin hot-restore <database> -i FILE)');
      const database = dbArg(ctx.args[0]);
      const keepReplica = ctx.flags.bool('keep-replica') === true;
      const forceReplica = ctx.flags.bool('force-replica') === true;
      return withAdmin(ctx, async (client) => {
        const site = streamSite(ctx, client);
        try {
          return restoreResult(await hotRestore(restoreTarget(client, site, database), { path, keepReplica, forceReplica, nowMs: Date.now, ...progressOf(ctx) }));
        } finally {
          site.close();
        }
      });
    },
  },
];
