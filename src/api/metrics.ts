// Prometheus metrics and the HTTP endpoints of the metrics port: /metrics, /livez, /readyz, /version.
// Unlike immudb's, /readyz checks something real: every loaded database is open and its index is not
// stalled. A database that failed to open at start is reported there too, but does not make the node
// unready: the node serves every other database, and an unready node would be taken out of service
// (and restarted by orchestrators) for one bad database; `immudb_database_open_failed` alerts on it. Per-database gauges are computed at scrape time from the databases' own watermarks, so they
// cannot drift from the data.
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { status } from '@grpc/grpc-js';
import type { Logger } from '../common/log.js';
import type { DatabaseHealth } from '../database/database.js';
import type { RpcObserver } from './handler.js';

/** What the metrics endpoint needs to know about databases; implemented by the node. */
/** One database's replication numbers (replica or primary driver), for the replication gauges. */
export interface ReplicationMetricSample {
  readonly db: string;
  readonly halted: boolean;
  readonly lagTxs: number;
  readonly lagMs: number;
  readonly epoch: number;
}

export interface MetricsSource {
  databases(): readonly { readonly name: string; readonly health: DatabaseHealth | undefined; readonly openFailure?: string | undefined }[];
  /** Databases with a replication driver; absent when the node runs no replication. */
  replication?(): readonly ReplicationMetricSample[];
  readonly version: string;
  readonly startedAtMs: number;
}

export const indexLagTxsUnhealthy = 1_000_000; // readiness fails beyond this lag (a stuck indexer, not a busy one)

export class ServerMetrics {
  readonly registry = new Registry();
  readonly #rpcTotal: Counter<'method' | 'code'>;
  readonly #rpcSeconds: Histogram<'method'>;
  readonly observer: RpcObserver;

  constructor(source: MetricsSource) {
    collectDefaultMetrics({ register: this.registry });
    this.#rpcTotal = new Counter({
      name: 'grpc_server_handled_total',
      help: 'RPCs completed, by method and gRPC status code',
      labelNames: ['method', 'code'],
      registers: [this.registry],
    });
    this.#rpcSeconds = new Histogram({
      name: 'immudb_query_latency_seconds',
      help: 'RPC handling time in seconds, by method',
      labelNames: ['method'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    // a gauge labelled by database, refilled at every scrape from `rows` (a row that gives no value is left out)
    const gaugeByDb = <T>(name: string, help: string, rows: () => readonly T[], valueOf: (row: T) => { db: string; value: number } | undefined): void => {
      new Gauge({
        name,
        help,
        labelNames: ['db'],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const row of rows()) {
            const v = valueOf(row);
            if (v !== undefined) this.set({ db: v.db }, v.value);
          }
        },
      });
    };
    const perDb = (name: string, help: string, pick: (h: DatabaseHealth) => number): void =>
      gaugeByDb(name, help, () => source.databases(), (d) => (d.health === undefined ? undefined : { db: d.name, value: pick(d.health) }));
    perDb('immudb_last_committed_trx_id', 'Last committed transaction id', (h) => h.committedTxId);
    perDb('immudb_last_precommitted_trx_id', 'Last precommitted (durable, maybe not yet committed) transaction id', (h) => h.precommittedTxId);
    perDb('immudb_last_indexed_trx_id', 'Last transaction id fully indexed', (h) => h.indexedTxId);
    perDb('immudb_index_lag_txs', 'Committed transactions not yet indexed', (h) => h.indexLagTxs);
    perDb('immudb_index_stalled', '1 when indexing stopped on an error', (h) => (h.indexStalledReason === undefined ? 0 : 1));
    gaugeByDb('immudb_database_open_failed', '1 for a database that failed to open when the server started (unloaded; the others serve)', () => source.databases(), (d) =>
      d.openFailure === undefined ? undefined : { db: d.name, value: 1 },
    );
    new Gauge({
      name: 'immudb_loaded_databases',
      help: 'Databases currently loaded',
      registers: [this.registry],
      collect() {
        this.set(source.databases().filter((d) => d.health !== undefined).length);
      },
    });
    const perReplication = (name: string, help: string, pick: (r: ReplicationMetricSample) => number): void =>
      gaugeByDb(name, help, () => source.replication?.() ?? [], (r) => ({ db: r.db, value: pick(r) }));
    perReplication('immudb_replication_halted', '1 when replication of the database halted on something it could not verify', (r) => (r.halted ? 1 : 0));
    perReplication('immudb_replication_lag_txs', 'Transactions the primary committed that this replica has not', (r) => r.lagTxs);
    perReplication('immudb_replication_lag_ms', 'Milliseconds since the primary reported the oldest tx this replica has not committed', (r) => r.lagMs);
    perReplication('immudb_replication_epoch', 'Primary epoch this database holds (primary) or follows (replica)', (r) => r.epoch);
    new Gauge({
      name: 'immudb_uptime_hours',
      help: 'Hours since the server started',
      registers: [this.registry],
      collect() {
        this.set((Date.now() - source.startedAtMs) / 3_600_000);
      },
    });
    const total = this.#rpcTotal;
    const seconds = this.#rpcSeconds;
    // label children cached per method (and code): prom-client hashes a label object on every call
    // otherwise, a measurable share of a small RPC's garbage
    const totals = new Map<string, Map<status, { inc(): void }>>();
    const timers = new Map<string, { observe(v: number): void }>();
    this.observer = {
      onCallStart: () => undefined,
      onCallEnd: (rpc, code, durationMs) => {
        let byCode = totals.get(rpc);
        if (byCode === undefined) totals.set(rpc, (byCode = new Map()));
        let counter = byCode.get(code);
        if (counter === undefined) byCode.set(code, (counter = total.labels({ method: rpc, code: String(code) })));
        counter.inc();
        let timer = timers.get(rpc);
        if (timer === undefined) timers.set(rpc, (timer = seconds.labels({ method: rpc })));
        timer.observe(durationMs / 1000);
      },
    };
  }
}

export interface Readiness {
  readonly ready: boolean;
  readonly problems: readonly string[];
  /** Reported, not fatal: databases that failed to open at start (the node serves the others). */
  readonly degraded: readonly string[];
}

export function readiness(source: MetricsSource): Readiness {
  const problems: string[] = [];
  const degraded: string[] = [];
  for (const d of source.databases()) {
    if (d.openFailure !== undefined) degraded.push(`${d.name}: failed to open at start: ${d.openFailure}`);
    if (d.health === undefined) continue;
    if (d.health.indexStalledReason !== undefined) problems.push(`${d.name}: index stalled: ${d.health.indexStalledReason}`);
    else if (d.health.indexLagTxs > indexLagTxsUnhealthy) problems.push(`${d.name}: index lag ${d.health.indexLagTxs} txs`);
  }
  return { ready: problems.length === 0, problems, degraded };
}

/** Starts the metrics HTTP server; resolves with the bound port. */
export async function startMetricsHttp(
  metrics: ServerMetrics,
  source: MetricsSource,
  opts: { readonly address: string; readonly port: number; readonly logger: Logger; readonly isServing: () => boolean },
): Promise<{ readonly server: Server; readonly port: number }> {
  const server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    const send = (code: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      res.writeHead(code, { 'content-type': type, 'access-control-allow-origin': '*' });
      res.end(body);
    };
    if (req.method !== 'GET') return send(405, 'method not allowed\n');
    if (url === '/metrics') {
      metrics.registry.metrics().then(
        (text) => send(200, text, metrics.registry.contentType),
        (err: unknown) => {
          opts.logger.error({ event: 'metrics.collect_failed', err });
          send(500, 'metrics collection failed\n');
        },
      );
      return;
    }
    if (url === '/livez') return opts.isServing() ? send(200, 'ok\n') : send(503, 'not serving\n');
    if (url === '/readyz' || url === '/initz') {
      if (!opts.isServing()) return send(503, 'not serving\n');
      const r = readiness(source);
      const degraded = r.degraded.map((line) => `degraded: ${line}\n`).join('');
      return r.ready ? send(200, `ready\n${degraded}`) : send(503, `${[...r.problems, ...r.degraded.map((line) => `degraded: ${line}`)].join('\n')}\n`);
    }
    if (url === '/version') return send(200, JSON.stringify({ version: source.version }), 'application/json');
    return send(404, 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.address, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : opts.port;
  return { server, port };
}
