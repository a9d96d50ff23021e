// What a replica reads from its primary's wire, as pure functions: the first-chunk metadata of an export
// answer (sizes checked: the values are untrusted input) and the classification of a failed stream into
// the core's StreamFailure. Classification branches on the `immudbts-error-code` trailer (plus the
// `immudbts-replication-scope` and `immudbts-epoch-bin` trailers); message text is read only when the
// primary is an immudb server, which sends no code.
import { readU64Bin } from '../../src/api/convert.js';
import {
  committedAlhBinKey,
  committedTxIdBinKey,
  epochBinKey,
  mayCommitUpToAlhBinKey,
  mayCommitUpToTxIdBinKey,
  precommittedTxIdBinKey,
} from '../../src/api/metadata.js';
import { ImmuError } from '../../src/common/errors.js';
import type { StreamFailure } from '../core/index.js';
import type { ExportAnswerWire } from './primary-connection.js';

const alhBytes = 32;
const grpcUnimplemented = 12;

/** Decodes the answer metadata; INVALID_ARGUMENT when a value is missing or has the wrong size. */
export function decodeExportAnswer(payload: Buffer, md: Readonly<Record<string, Uint8Array>>): ExportAnswerWire {
  const committed = md[committedTxIdBinKey];
  if (committed === undefined) throw new ImmuError('INVALID_ARGUMENT', `export answer without ${committedTxIdBinKey}`);
  const alh = (key: string): Buffer | undefined => {
    const v = md[key];
    if (v === undefined) return undefined;
    if (v.byteLength !== alhBytes) throw new ImmuError('INVALID_ARGUMENT', `${key} has ${v.byteLength} bytes, not ${alhBytes}`);
    return Buffer.from(v);
  };
  const mayId = md[mayCommitUpToTxIdBinKey];
  const mayAlh = alh(mayCommitUpToAlhBinKey);
  if ((mayId === undefined) !== (mayAlh === undefined)) {
    throw new ImmuError('INVALID_ARGUMENT', `${mayCommitUpToTxIdBinKey} and ${mayCommitUpToAlhBinKey} come together`);
  }
  const epoch = md[epochBinKey];
  const precommitted = md[precommittedTxIdBinKey];
  return {
    payload,
    primaryCommittedTxId: readU64Bin(committed, committedTxIdBinKey),
    primaryCommittedAlh: alh(committedAlhBinKey),
    mayCommitUpTo: mayId === undefined || mayAlh === undefined ? undefined : { txId: readU64Bin(mayId, mayCommitUpToTxIdBinKey), alh: mayAlh },
    primaryEpoch: epoch === undefined ? undefined : readU64Bin(epoch, epochBinKey),
    primaryPrecommittedTxId: precommitted === undefined ? undefined : readU64Bin(precommitted, precommittedTxIdBinKey),
  };
}

/** A failed call as the replica sees it: gRPC status, message, and our trailers when the primary is immudb-ts. */
export interface WireFailure {
  readonly grpcCode: number | undefined;
  readonly message: string;
  /** `immudbts-error-code`: present only from immudb-ts primaries. */
  readonly errorCode: string | undefined;
  readonly scope: string | undefined;
  readonly epoch: number | undefined;
}

export function streamFailureOf(f: WireFailure): StreamFailure {
  if (f.errorCode === undefined) return immudbFailure(f);
  switch (f.errorCode) {
    case 'REPLICATION_DIVERGENCE':
      if (f.scope === 'commit') return { kind: 'commit-divergence', message: f.message, primaryEpoch: f.epoch };
      if (f.scope === 'precommit') return { kind: 'precommit-divergence', message: f.message, primaryEpoch: f.epoch };
      return { kind: 'transient', message: `REPLICATION_DIVERGENCE without a scope: ${f.message}` };
    case 'REPLICATION_STALE_EPOCH':
      return { kind: 'stale-epoch', primaryEpoch: f.epoch ?? 0, message: f.message };
    case 'REPLICATION_HALTED':
    case 'UNIMPLEMENTED':
      return { kind: 'incompatible', message: `${f.errorCode}: ${f.message}` };
    default:
      return { kind: 'transient', message: `${f.errorCode}: ${f.message}` };
  }
}

/** immudb primaries send no code: their documented message texts are all there is (cluster spec 3.5). */
function immudbFailure(f: WireFailure): StreamFailure {
  if (f.grpcCode === grpcUnimplemented) return { kind: 'incompatible', message: `the primary does not serve streamExportTx: ${f.message}` };
  const m = f.message;
  if (m.includes('no new transactions')) return { kind: 'no-new-tx' };
  if (m.includes('replica commit state diverged')) return { kind: 'commit-divergence', message: m };
  if (m.includes('replica precommit state diverged')) return { kind: 'precommit-divergence', message: m };
  if (m.includes('replica state was NOT expected')) return { kind: 'incompatible', message: m };
  return { kind: 'transient', message: m };
}
