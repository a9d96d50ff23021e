// Readiness is a real check: a loaded database whose index stalled on an error, or lags absurdly far
// behind, makes /readyz fail with the reason; unloaded databases do not count.
import { describe, expect, it } from 'vitest';
import type { DatabaseHealth } from '../database/database.js';
import { indexLagTxsUnhealthy, readiness, type MetricsSource } from './metrics.js';

const healthy: DatabaseHealth = { committedTxId: 10, precommittedTxId: 10, indexedTxId: 10, indexLagTxs: 0, indexStalledReason: undefined };

function source(dbs: { name: string; health: DatabaseHealth | undefined; openFailure?: string }[]): MetricsSource {
  return { version: 'test', startedAtMs: 0, databases: () => dbs };
}

describe('readiness', () => {
  it('is ready when every loaded database indexes', () => {
    expect(readiness(source([{ name: 'a', health: healthy }, { name: 'b', health: undefined }]))).toEqual({ ready: true, problems: [], degraded: [] });
  });

  it('stays ready with a database that failed to open at start, and reports it', () => {
    const r = readiness(source([{ name: 'a', health: healthy }, { name: 'b', health: undefined, openFailure: 'CORRUPTED_DATA: chunk header' }]));
    expect(r).toEqual({ ready: true, problems: [], degraded: ['b: failed to open at start: CORRUPTED_DATA: chunk header'] });
  });

  it('is not ready when an index stalled, and says why', () => {
    const r = readiness(source([{ name: 'a', health: { ...healthy, indexStalledReason: 'tx 7 failed its Alh check' } }]));
    expect(r.ready).toBe(false);
    expect(r.problems).toEqual(['a: index stalled: tx 7 failed its Alh check']);
  });

  it('is not ready when an index lags beyond the named limit', () => {
    const r = readiness(source([{ name: 'a', health: { ...healthy, indexLagTxs: indexLagTxsUnhealthy + 1 } }]));
    expect(r.ready).toBe(false);
    expect(r.problems[0]).toMatch(/^a: index lag/);
  });
});
