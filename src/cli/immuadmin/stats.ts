// `immuadmin stats`: reads the server's Prometheus endpoint (port 9497 by default, or --metrics-url)
// and summarises what an operator checks first: committed, precommitted and indexed tx per database
// and RPC counts per method. Parsing is a minimal reader of the text exposition format (name, labels,
// value); anything it does not understand is skipped.
import { ImmuError } from '../../common/errors.js';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export function parsePrometheusText(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] ?? ''] = (l[2] ?? '').replace(/\\(.)/g, '$1');
    const value = Number(m[4]);
    if (Number.isFinite(value)) out.push({ name: m[1] ?? '', labels, value });
  }
  return out;
}

export interface DbStats {
  readonly db: string;
  readonly committedTxId: number;
  readonly precommittedTxId: number | undefined;
  readonly indexedTxId: number | undefined;
}

export interface ServerStats {
  readonly databases: readonly DbStats[];
  /** method -> completed calls (all status codes). */
  readonly rpcs: Readonly<Record<string, number>>;
  readonly rpcErrors: Readonly<Record<string, number>>;
  readonly uptimeHours: number | undefined;
}

export function summarise(samples: readonly Sample[]): ServerStats {
  const byDb = (name: string): Map<string, number> => new Map(samples.filter((s) => s.name === name).map((s) => [s.labels['db'] ?? '', s.value]));
  const committed = byDb('immudb_last_committed_trx_id');
  const precommitted = byDb('immudb_last_precommitted_trx_id');
  const indexed = byDb('immudb_last_indexed_trx_id');
  const databases = [...committed.keys()].sort().map((db) => ({
    db,
    committedTxId: committed.get(db) ?? 0,
    precommittedTxId: precommitted.get(db),
    indexedTxId: indexed.get(db),
  }));
  const rpcs: Record<string, number> = {};
  const rpcErrors: Record<string, number> = {};
  for (const s of samples.filter((x) => x.name === 'grpc_server_handled_total')) {
    const method = s.labels['method'] ?? s.labels['grpc_method'] ?? '?';
    rpcs[method] = (rpcs[method] ?? 0) + s.value;
    const code = s.labels['code'] ?? s.labels['grpc_code'] ?? '0';
    if (code !== '0' && code !== 'OK') rpcErrors[method] = (rpcErrors[method] ?? 0) + s.value;
  }
  const uptime = samples.find((s) => s.name === 'immudb_uptime_hours');
  return { databases, rpcs, rpcErrors, uptimeHours: uptime?.value };
}

export async function fetchMetrics(url: string, timeoutMs: number): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new ImmuError('NODE_UNAVAILABLE', `cannot read metrics from ${url}: ${(err as Error).message}`, { rpc: 'metrics', url });
  }
  if (!res.ok) throw new ImmuError('NODE_UNAVAILABLE', `metrics endpoint ${url} answered HTTP ${res.status}`, { rpc: 'metrics', url });
  return res.text();
}
