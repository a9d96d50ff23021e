// The auditor's Prometheus metrics and its small HTTP endpoint (/metrics, /health, /version), on
// --audit-monitoring-port (9477 as immudb). Our own series (rounds, last success time, inconsistencies,
// last verified tx id) plus immudb's auditor names (`immuclient_audit_*_per_server`) so existing
// dashboards keep working. Metrics only; the auditor decides what happened.
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';

export type DbAuditResult = 'ok' | 'inconsistent' | 'error';

const resultValue: Readonly<Record<DbAuditResult, number>> = { ok: 1, inconsistent: 0, error: -1 };

export class AuditMetrics {
  readonly registry = new Registry();
  readonly #rounds: Counter<'result'>;
  readonly #lastSuccess: Gauge;
  readonly #inconsistencies: Counter<'db'>;
  readonly #lastVerifiedTx: Gauge<'db'>;
  readonly #resultPerServer: Gauge<'server_id' | 'server_address' | 'db'>;
  readonly #currPerServer: Gauge<'server_id' | 'server_address' | 'db'>;
  readonly #prevPerServer: Gauge<'server_id' | 'server_address' | 'db'>;
  readonly #runAtPerServer: Gauge<'server_id' | 'server_address'>;

  constructor() {
    const registers = [this.registry];
    this.#rounds = new Counter({ name: 'immuclient_audit_rounds_total', help: 'Audit rounds, by outcome (ok, inconsistent, error)', labelNames: ['result'], registers });
    this.#lastSuccess = new Gauge({ name: 'immuclient_audit_last_success_timestamp_seconds', help: 'Unix time of the last round in which every database verified', registers });
    this.#inconsistencies = new Counter({ name: 'immuclient_audit_inconsistencies_total', help: 'States that could not be proven consistent with the last verified one', labelNames: ['db'], registers });
    this.#lastVerifiedTx = new Gauge({ name: 'immuclient_audit_last_verified_tx_id', help: 'Tx id of the last state proven consistent', labelNames: ['db'], registers });
    const perServer = ['server_id', 'server_address', 'db'] as const;
    this.#resultPerServer = new Gauge({ name: 'immuclient_audit_result_per_server', help: 'Last audit result: 1 ok, 0 inconsistent (tampered), -1 error', labelNames: perServer, registers });
    this.#currPerServer = new Gauge({ name: 'immuclient_audit_curr_root_per_server', help: 'Tx id of the state checked in the last round', labelNames: perServer, registers });
    this.#prevPerServer = new Gauge({ name: 'immuclient_audit_prev_root_per_server', help: 'Tx id of the state it was checked against', labelNames: perServer, registers });
    this.#runAtPerServer = new Gauge({ name: 'immuclient_audit_run_at_per_server', help: 'Unix time of the last audit round', labelNames: ['server_id', 'server_address'], registers });
    for (const result of ['ok', 'inconsistent', 'error'] as const) this.#rounds.inc({ result }, 0);
  }

  database(server: { id: string; address: string }, db: string, result: DbAuditResult, txIds: { previous?: number; current?: number }): void {
    const labels = { server_id: server.id, server_address: server.address, db };
    this.#resultPerServer.set(labels, resultValue[result]);
    if (txIds.current !== undefined) this.#currPerServer.set(labels, txIds.current);
    if (txIds.previous !== undefined) this.#prevPerServer.set(labels, txIds.previous);
    if (result === 'ok' && txIds.current !== undefined) this.#lastVerifiedTx.set({ db }, txIds.current);
    if (result === 'inconsistent') this.#inconsistencies.inc({ db });
  }

  round(server: { id: string; address: string }, result: DbAuditResult, atMs: number): void {
    this.#rounds.inc({ result });
    this.#runAtPerServer.set({ server_id: server.id, server_address: server.address }, atMs / 1000);
    if (result === 'ok') this.#lastSuccess.set(atMs / 1000);
  }
}

export async function serveAuditMetrics(metrics: AuditMetrics, host: string, port: number, version: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    const send = (code: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      res.writeHead(code, { 'content-type': type });
      res.end(body);
    };
    if (url === '/metrics') {
      metrics.registry.metrics().then(
        (text) => send(200, text, metrics.registry.contentType),
        () => send(500, 'metrics collection failed\n'),
      );
      return;
    }
    if (url === '/health' || url === '/livez') return send(200, 'ok\n');
    if (url === '/version') return send(200, JSON.stringify({ version }), 'application/json');
    return send(404, 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr !== null ? addr.port : port };
}
