// The replica's reading of its primary's wire: answer metadata sizes are checked, and failures are
// classified by the immudbts error code and scope trailers (text only for immudb primaries).
import { describe, expect, it } from 'vitest';
import { u64Bin } from '../../src/api/convert.js';
import { decodeExportAnswer, streamFailureOf } from './export-wire.js';

const alh = Buffer.alloc(32, 7);

describe('decodeExportAnswer', () => {
  it('reads immudb keys and ours', () => {
    const a = decodeExportAnswer(Buffer.from('tx'), {
      'committed-txid-bin': u64Bin(5),
      'immudbts-committed-alh-bin': alh,
      'may-commit-up-to-txid-bin': u64Bin(4),
      'may-commit-up-to-alh-bin': alh,
      'immudbts-epoch-bin': u64Bin(3),
    });
    expect(a).toMatchObject({ primaryCommittedTxId: 5, mayCommitUpTo: { txId: 4 }, primaryEpoch: 3 });
    expect(a.primaryCommittedAlh?.equals(alh)).toBe(true);
  });

  it('accepts an immudb answer (no Alh, no epoch) and refuses bad sizes or half a may-commit pair', () => {
    expect(decodeExportAnswer(Buffer.alloc(0), { 'committed-txid-bin': u64Bin(1) })).toMatchObject({ primaryEpoch: undefined, primaryCommittedAlh: undefined });
    const bad: Record<string, Uint8Array>[] = [
      {},
      { 'committed-txid-bin': Buffer.alloc(4) },
      { 'committed-txid-bin': u64Bin(1), 'immudbts-committed-alh-bin': Buffer.alloc(31) },
      { 'committed-txid-bin': u64Bin(1), 'may-commit-up-to-txid-bin': u64Bin(1) },
    ];
    for (const md of bad) expect(() => decodeExportAnswer(Buffer.alloc(0), md)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as Error);
  });
});

describe('streamFailureOf', () => {
  const base = { grpcCode: 9, message: 'some text', epoch: undefined };
  it('branches on the error code and scope, not the message', () => {
    expect(streamFailureOf({ ...base, errorCode: 'REPLICATION_DIVERGENCE', scope: 'commit' }).kind).toBe('commit-divergence');
    expect(streamFailureOf({ ...base, errorCode: 'REPLICATION_DIVERGENCE', scope: 'precommit' }).kind).toBe('precommit-divergence');
    expect(streamFailureOf({ ...base, errorCode: 'REPLICATION_STALE_EPOCH', scope: 'epoch', epoch: 4 })).toMatchObject({ kind: 'stale-epoch', primaryEpoch: 4 });
    expect(streamFailureOf({ ...base, errorCode: 'REPLICATION_HALTED', scope: 'configuration' }).kind).toBe('incompatible');
    expect(streamFailureOf({ ...base, errorCode: 'STORE_CLOSED', scope: undefined }).kind).toBe('transient');
    // a misleading message from an immudb-ts primary changes nothing
    expect(streamFailureOf({ ...base, message: 'replica commit state diverged', errorCode: 'UNAUTHENTICATED', scope: undefined }).kind).toBe('transient');
  });

  it('reads immudb message texts only when no code came', () => {
    const immudb = { grpcCode: 2, errorCode: undefined, scope: undefined, epoch: undefined };
    expect(streamFailureOf({ ...immudb, message: 'no new transactions' }).kind).toBe('no-new-tx');
    expect(streamFailureOf({ ...immudb, message: 'replica precommit state diverged from primary' }).kind).toBe('precommit-divergence');
    expect(streamFailureOf({ ...immudb, grpcCode: 12, message: 'unknown method streamExportTx' }).kind).toBe('incompatible');
    expect(streamFailureOf({ ...immudb, message: 'connection reset' }).kind).toBe('transient');
  });
});
