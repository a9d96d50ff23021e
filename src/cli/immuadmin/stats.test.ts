// immuadmin stats' reading of the Prometheus text format and its per-database / per-RPC summary.
import { describe, expect, it } from 'vitest';
import { parsePrometheusText, summarise } from './stats.js';

describe('stats', () => {
  it('summarises committed/indexed tx per database and RPC calls and errors per method', () => {
    const text = [
      '# HELP immudb_last_committed_trx_id x',
      'immudb_last_committed_trx_id{db="defaultdb"} 12',
      'immudb_last_indexed_trx_id{db="defaultdb"} 11',
      'immudb_last_committed_trx_id{db="a\\"b"} 3',
      'grpc_server_handled_total{method="Get",code="0"} 5',
      'grpc_server_handled_total{method="Get",code="5"} 2',
      'immudb_uptime_hours 0.5',
      'garbage line',
    ].join('\n');
    const s = summarise(parsePrometheusText(text));
    expect(s.databases).toEqual([
      { db: 'a"b', committedTxId: 3, precommittedTxId: undefined, indexedTxId: undefined },
      { db: 'defaultdb', committedTxId: 12, precommittedTxId: undefined, indexedTxId: 11 },
    ]);
    expect(s.rpcs).toEqual({ Get: 7 });
    expect(s.rpcErrors).toEqual({ Get: 2 });
    expect(s.uptimeHours).toBe(0.5);
  });
});
