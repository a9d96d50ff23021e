// `immuclient audit-mode`: a long-running auditor. Every --audit-interval it asks the server for each
// audited database's newest state and proves it consistent with the last state it verified (the
// client's verifyState: a dual proof from the saved state in --dir; the saved state only moves forward
// after a proof). Each round is a pino JSON line on stdout; a state that cannot be proven is an
// `audit.inconsistency` alert and, with --audit-exit-on-failure (the default), ends the process with
// exit code 3. Metrics are served on --audit-monitoring-port. A server that cannot be reached is an
// error round, not an inconsistency: the auditor keeps trying.
import { pino, type Logger } from 'pino';
import { listDatabases } from '../../client/admin-calls.js';
import { ImmuError } from '../../common/errors.js';
import { redactedPaths } from '../../common/log.js';
import { isVerificationFailure, UsageError } from '../tool-common/cli-error.js';
import type { CommandContext, CommandDef } from '../tool-common/command.js';
import { authenticate, passwordFor } from '../tool-common/login-flow.js';
import type { ToolClient } from '../tool-common/tool-client.js';
import { AuditMetrics, serveAuditMetrics, type DbAuditResult } from './audit-metrics.js';
import { immuclientName, newClient } from './connect.js';
import { auditFlags } from './flags.js';

export const auditIntervalMsMin = 100;
const toolVersion = '0.1.0';

interface AuditConfig {
  readonly intervalMs: number;
  readonly databases: readonly string[] | undefined;
  readonly exitOnFailure: boolean;
  readonly roundsMax: number;
  readonly host: string;
  readonly port: number;
}

function auditConfig(ctx: CommandContext): AuditConfig {
  const f = ctx.flags;
  const intervalMs = f.int('audit-interval') ?? 300_000;
  if (intervalMs < auditIntervalMsMin) throw new UsageError(`--audit-interval must be at least ${auditIntervalMsMin}ms`);
  const list = f.string('audit-databases');
  const databases = list === undefined || list.trim() === '' ? undefined : list.split(',').map((d) => d.trim().toLowerCase()).filter((d) => d !== '');
  const roundsMax = f.int('audit-rounds') ?? 0;
  if (roundsMax < 0) throw new UsageError('--audit-rounds must not be negative');
  const port = f.int('audit-monitoring-port') ?? 9477;
  if (port < 0 || port > 65535) throw new UsageError('--audit-monitoring-port must be 0..65535');
  return { intervalMs, databases, exitOnFailure: f.bool('audit-exit-on-failure') !== false, roundsMax, host: f.string('audit-monitoring-host') ?? '0.0.0.0', port };
}

function auditLogger(): Logger {
  return pino({ name: 'immuclient-audit', redact: { paths: [...redactedPaths], censor: '[redacted]' } }, pino.destination({ dest: 1, sync: true }));
}

/** How the auditor authenticates, and again when its token expires. */
async function makeLogin(ctx: CommandContext, client: ToolClient): Promise<() => Promise<void>> {
  const user = ctx.flags.string('audit-username') ?? ctx.flags.string('username');
  const inputs = { tool: immuclientName, flags: ctx.flags, io: ctx.io };
  if (user === undefined) {
    await authenticate(inputs, client, undefined);
    return () => Promise.reject(new ImmuError('UNAUTHENTICATED', 'the saved token was refused: log in again'));
  }
  const password = ctx.flags.string('audit-password') ?? (await passwordFor(inputs, user));
  const login = async (): Promise<void> => {
    await client.login(user, password);
  };
  await login();
  return login;
}

interface DbOutcome {
  readonly db: string;
  readonly result: DbAuditResult;
  readonly previousTxId?: number;
  readonly txId?: number;
  readonly error?: ImmuError;
}

async function auditDatabase(client: ToolClient, db: string): Promise<DbOutcome> {
  try {
    await client.useDatabase(db);
    const r = await client.verified.verifyState();
    return { db, result: 'ok', txId: r.current.txId, ...(r.kind === 'advanced' ? { previousTxId: r.previous.txId } : { previousTxId: r.current.txId }) };
  } catch (err) {
    const error = err instanceof ImmuError ? err : new ImmuError('INTERNAL', String(err));
    return { db, result: isVerificationFailure(err) ? 'inconsistent' : 'error', error };
  }
}

async function databasesToAudit(client: ToolClient, cfg: AuditConfig): Promise<readonly string[]> {
  if (cfg.databases !== undefined) return cfg.databases;
  return (await listDatabases(client)).filter((d) => d !== 'systemdb');
}

function sleep(ms: number, stop: { wake?: () => void }): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    stop.wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });
}

async function runAudit(ctx: CommandContext): Promise<{ rounds: number }> {
  const cfg = auditConfig(ctx);
  const log = auditLogger();
  const client = await newClient(ctx.flags);
  const metrics = new AuditMetrics();
  const relogin = await makeLogin(ctx, client);
  const http = await serveAuditMetrics(metrics, cfg.host, cfg.port, toolVersion);
  const stop: { requested: boolean; wake?: () => void } = { requested: false };
  const onSignal = (signal: string): void => {
    log.info({ event: 'audit.signal', signal });
    stop.requested = true;
    stop.wake?.();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  log.info({ event: 'audit.started', endpoint: client.endpoint, intervalMs: cfg.intervalMs, metricsPort: http.port, exitOnFailure: cfg.exitOnFailure, databases: cfg.databases ?? 'all' });
  let rounds = 0;
  let failure: ImmuError | undefined;
  try {
    while (!stop.requested) {
      const outcomes = await auditRound(client, cfg, relogin, log, metrics);
      rounds++;
      const bad = outcomes.find((o) => o.result === 'inconsistent');
      if (bad !== undefined && cfg.exitOnFailure) {
        failure = new ImmuError('STATE_INCONSISTENT', `audit failed on database ${bad.db}: ${bad.error?.message ?? 'inconsistent state'}`);
        log.error({ event: 'audit.exiting', reason: 'inconsistency', db: bad.db });
        break;
      }
      if (cfg.roundsMax > 0 && rounds >= cfg.roundsMax) break;
      await sleep(cfg.intervalMs, stop);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await new Promise<void>((r) => http.server.close(() => r()));
    client.close();
  }
  if (failure !== undefined) throw failure;
  log.info({ event: 'audit.stopped', rounds });
  return { rounds };
}

async function auditRound(client: ToolClient, cfg: AuditConfig, relogin: () => Promise<void>, log: Logger, metrics: AuditMetrics): Promise<DbOutcome[]> {
  const startedAtMs = Date.now();
  let dbs: readonly string[];
  try {
    dbs = await databasesToAudit(client, cfg);
  } catch (err) {
    if (err instanceof ImmuError && err.code === 'UNAUTHENTICATED') await relogin().catch(() => undefined);
    const e = err instanceof ImmuError ? err : new ImmuError('INTERNAL', String(err));
    log.warn({ event: 'audit.round_failed', code: e.code, message: e.message });
    metrics.round({ id: client.serverUuid ?? '', address: client.endpoint }, 'error', startedAtMs);
    return [];
  }
  const outcomes: DbOutcome[] = [];
  for (const db of dbs) {
    let o = await auditDatabase(client, db);
    if (o.error?.code === 'UNAUTHENTICATED' && (await relogin().then(() => true, () => false))) o = await auditDatabase(client, db);
    outcomes.push(o);
    const server = { id: client.serverUuid ?? '', address: client.endpoint };
    metrics.database(server, db, o.result, { ...(o.previousTxId === undefined ? {} : { previous: o.previousTxId }), ...(o.txId === undefined ? {} : { current: o.txId }) });
    if (o.result === 'ok') log.info({ event: 'audit.verified', db, txId: o.txId, previousTxId: o.previousTxId, serverUuid: server.id });
    else if (o.result === 'inconsistent') log.error({ event: 'audit.inconsistency', alert: true, db, serverUuid: server.id, code: o.error?.code, message: o.error?.message, details: o.error?.details });
    else log.warn({ event: 'audit.db_failed', db, code: o.error?.code, message: o.error?.message });
  }
  const result: DbAuditResult = outcomes.some((o) => o.result === 'inconsistent') ? 'inconsistent' : outcomes.some((o) => o.result === 'error') ? 'error' : 'ok';
  metrics.round({ id: client.serverUuid ?? '', address: client.endpoint }, result, startedAtMs);
  log.info({ event: 'audit.round', result, databases: outcomes.length, durationMs: Date.now() - startedAtMs });
  return outcomes;
}

export const auditCommand: CommandDef = {
  names: ['audit-mode'],
  synopsis: '',
  summary: 'keep proving the server’s newest state consistent with the last one seen; metrics on :9477; exit 3 on tampering',
  minArgs: 0,
  maxArgs: 0,
  flags: auditFlags,
  run: async (ctx) => {
    await runAudit(ctx);
    return { json: undefined, text: '', silent: true };
  },
};
