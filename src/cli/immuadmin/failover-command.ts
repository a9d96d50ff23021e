// `immuadmin database failover <db> --nodes host1:port,host2:port,...`: the I/O half of a failover.
// Logs in to every node (same user and password everywhere), probes each (ReplicationStatus and
// CurrentState of the database; unreachable nodes are noted, not fatal), reads the Alh values the
// decision needs (TxById), lets replication/core/failover.ts decide, then promotes the chosen replica
// (UpdateDatabaseV2 replica=false with primaryEpoch = 1 + the highest epoch any probed node reported,
// the old primary included when it answers: the server takes max(that, its own + 1), so a replica that
// never learned its primary's epoch cannot come out at the old primary's epoch) and repoints the others.
// Exit codes: 0 done, 2 a server error (what was done so far is printed), 3 refused as unsafe.
import { assert } from '../../common/assert.js';
import { immutableStateFromMsg } from '../../client/decode.js';
import { txById } from '../../client/kv-calls.js';
import { replicationStatus, updateDatabase } from '../../client/admin-calls.js';
import { ImmuError } from '../../common/errors.js';
import { EMPTY_HASH, txAlh } from '../../proof/index.js';
import { decideFailover, failoverProbes, type AlhProbe, type AlhProbeResult, type FailoverStep } from '../../../replication/core/failover.js';
import type { FlagSpec } from '../flags.js';
import { ExitCode, UsageError } from '../tool-common/cli-error.js';
import type { CommandContext, CommandDef } from '../tool-common/command.js';
import { timeoutMsOf } from '../tool-common/global-flags.js';
import { passwordFor } from '../tool-common/login-flow.js';
import type { CommandResult } from '../tool-common/output.js';
import { ToolClient } from '../tool-common/tool-client.js';
import { immuadminName } from './connect.js';
import { databaseFlagSpecs } from './database-flags.js';
import {
  candidateOf,
  demoteSettings,
  parseNodes,
  promoteSettings,
  repointSettings,
  reportJson,
  reportText,
  syncAcksFor,
  type FailoverReport,
  type NodeReport,
  type StepResult,
} from './failover-plan.js';

/** Deadline of each probe call: a node that does not answer in time counts as unreachable. */
export const failoverProbeTimeoutMs = 5_000;

function reused(name: string): FlagSpec {
  const spec = databaseFlagSpecs.find((f) => f.name === name);
  assert(spec !== undefined, `database flag ${name} is not declared`);
  return spec;
}

export const failoverFlags: readonly FlagSpec[] = [
  { name: 'nodes', type: 'string', description: 'every node of the database, HOST[:PORT] comma-separated (the failed primary included); the others are pointed at the new primary by these addresses' },
  { name: 'force', type: 'bool', description: 'switch over even though the primary still answers: it is demoted to follow the new primary (writes it accepts meanwhile may be discarded)' },
  reused('replication-sync-acks'),
  { ...reused('replication-primary-username'), description: 'with --force: the user the demoted primary replicates with (default --username; password from IMMUADMIN_REPLICATION_PRIMARY_PASSWORD, default --password)' },
];

interface Login {
  readonly user: string;
  readonly password: string;
  /** What a demoted old primary (switchover) uses on the new one: --replication-primary-username / its env password, else the above. */
  readonly replicationUser: string;
  readonly replicationPassword: string;
}

function describe(err: unknown): string {
  return err instanceof ImmuError ? `${err.message} (${err.code})` : err instanceof Error ? err.message : String(err);
}

async function probeNode(node: string, db: string, login: Login, timeoutMs: number): Promise<{ report: NodeReport; client: ToolClient | undefined }> {
  const client = new ToolClient({ endpoint: node, timeoutMs });
  const failed = (error: string): { report: NodeReport; client: undefined } => {
    client.close();
    return { report: { node, status: undefined, committed: undefined, precommitted: undefined, error }, client: undefined };
  };
  try {
    await client.login(login.user, login.password);
    const status = (await replicationStatus(client, db)).databases.find((d) => d.database === db);
    if (status === undefined) return failed(`no database ${db} on this node`);
    await client.useDatabase(db);
    const s = immutableStateFromMsg((await client.call('CurrentState', {})).response);
    const committed = { txId: s.txId, alh: s.txId === 0 ? EMPTY_HASH : s.txHash };
    const precommitted = s.precommittedTxId <= s.txId ? committed : { txId: s.precommittedTxId, alh: s.precommittedTxHash };
    return { report: { node, status, committed, precommitted, error: undefined }, client };
  } catch (err) {
    return failed(describe(err));
  }
}

async function readAlh(clients: ReadonlyMap<string, ToolClient>, probe: AlhProbe): Promise<AlhProbeResult> {
  const client = clients.get(probe.node);
  if (client === undefined) return { ...probe, alh: undefined };
  try {
    return { ...probe, alh: txAlh((await txById(client, probe.txId)).header) };
  } catch {
    // A tx the node holds only precommitted cannot be read over the wire: the decision refuses (incomplete-probes).
    return { ...probe, alh: undefined };
  }
}

async function runStep(step: FailoverStep, db: string, login: Login, timeoutMs: number, syncAcks: number, reports: readonly NodeReport[]): Promise<StepResult> {
  const client = new ToolClient({ endpoint: step.node, timeoutMs });
  try {
    await client.login(login.user, login.password);
    if (step.kind === 'promote') {
      await updateDatabase(client, db, { replication: promoteSettings(syncAcks, step.epoch) });
      const after = (await replicationStatus(client, db)).databases.find((d) => d.database === db);
      return { kind: 'promote', node: step.node, ok: true, ...(after !== undefined ? { epoch: after.epoch } : {}) };
    }
    if (step.kind === 'repoint') {
      await updateDatabase(client, db, { replication: repointSettings(step.primaryNode) });
      return { kind: 'repoint', node: step.node, ok: true, primaryNode: step.primaryNode };
    }
    const wasSync = (reports.find((r) => r.node === step.node)?.status?.syncAcks ?? 0) > 0;
    await updateDatabase(client, db, { replication: demoteSettings(step.primaryNode, db, login.replicationUser, login.replicationPassword, wasSync) });
    return { kind: 'demote', node: step.node, ok: true, primaryNode: step.primaryNode };
  } catch (err) {
    return { kind: step.kind, node: step.node, ok: false, error: describe(err), ...(step.kind !== 'promote' ? { primaryNode: step.primaryNode } : {}) };
  } finally {
    client.close();
  }
}

async function credentials(ctx: CommandContext): Promise<Login> {
  const user = ctx.flags.string('username');
  if (user === undefined || user === '') {
    throw new UsageError('database failover logs in to every node: pass --username (password: --password, IMMUADMIN_PASSWORD or a prompt)');
  }
  const password = await passwordFor({ tool: immuadminName, flags: ctx.flags, io: ctx.io }, user);
  return {
    user,
    password,
    replicationUser: ctx.flags.string('replication-primary-username') ?? user,
    replicationPassword: ctx.env['IMMUADMIN_REPLICATION_PRIMARY_PASSWORD'] ?? password,
  };
}

async function failover(ctx: CommandContext): Promise<CommandResult> {
  const db = (ctx.args[0] ?? '').trim().toLowerCase();
  if (db === '') throw new UsageError('database name must not be empty');
  const nodes = parseNodes(ctx.flags.string('nodes'));
  const acksFlag = ctx.flags.int('replication-sync-acks');
  if (acksFlag !== undefined && (acksFlag < 0 || acksFlag > nodes.length - 1)) throw new UsageError(`--replication-sync-acks must be between 0 and ${nodes.length - 1}`);
  const login = await credentials(ctx);
  const timeoutMs = timeoutMsOf(ctx.flags);
  const probed = await Promise.all(nodes.map((n) => probeNode(n, db, login, Math.min(timeoutMs, failoverProbeTimeoutMs))));
  const clients = new Map(probed.flatMap((p) => (p.client === undefined ? [] : [[p.report.node, p.client] as const])));
  const reports = probed.map((p) => p.report);
  let rep: FailoverReport;
  try {
    const candidates = reports.map(candidateOf);
    const probes = await Promise.all(failoverProbes(candidates).map((p) => readAlh(clients, p)));
    const decision = decideFailover(candidates, probes, { switchover: ctx.flags.bool('force') === true });
    if (decision.kind === 'refuse') {
      rep = { database: db, nodes: reports, decision, steps: [], syncAcks: undefined };
      ctx.io.stderr.write(`${immuadminName}: failover refused (${decision.reason}): ${decision.message}\n`);
      return { json: reportJson(rep), text: reportText(rep), exitCode: ExitCode.VERIFICATION };
    }
    const followers = decision.steps.filter((s) => s.kind !== 'promote').length;
    const syncAcks = syncAcksFor(acksFlag, reports.find((r) => r.node === decision.node), followers);
    const steps: StepResult[] = [];
    for (const step of decision.steps) {
      const result = await runStep(step, db, login, timeoutMs, syncAcks, reports);
      steps.push(result);
      // Nothing is repointed at a node that did not become the primary.
      if (step.kind === 'promote' && !result.ok) break;
    }
    rep = { database: db, nodes: reports, decision, steps, syncAcks };
  } finally {
    for (const c of clients.values()) c.close();
  }
  const failed = rep.steps.some((s) => !s.ok);
  if (failed) ctx.io.stderr.write(`${immuadminName}: failover incomplete: ${rep.steps.filter((s) => !s.ok).map((s) => `${s.kind} ${s.node}: ${s.error ?? ''}`).join('; ')}\n`);
  return { json: reportJson(rep), text: reportText(rep), exitCode: failed ? ExitCode.SERVER : ExitCode.OK };
}

export const failoverCommand: CommandDef = {
  names: ['database failover'],
  synopsis: '<name> --nodes HOST:PORT,HOST:PORT,...',
  summary: 'promote the most advanced healthy replica of a database and repoint the others (exit 3 when refused as unsafe)',
  minArgs: 1,
  maxArgs: 1,
  flags: failoverFlags,
  run: failover,
};
