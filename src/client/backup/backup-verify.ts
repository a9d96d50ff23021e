// Verifies a whole backup file offline, from its first record to its last (backup-chain.ts per record),
// and turns the first problem into one error naming the transaction: CORRUPTED_DATA for a damaged,
// tampered or truncated file. Returns what a restore needs to decide where to continue. Used by
// hot-restore before anything is applied, and by `hot-restore --verify-only`.
import { ImmuError } from '../../common/errors.js';
import { ChainVerifier, type ChainStep } from './backup-chain.js';
import type { BackupFileHeader } from './backup-format.js';
import type { Progress } from './backup-progress.js';
import type { BackupReader, BackupRecord, ScanEnd } from './backup-reader.js';

export interface VerifiedBackup {
  readonly header: BackupFileHeader;
  readonly records: number;
  /** 0 when the file holds no records. */
  readonly firstTxId: number;
  readonly lastTxId: number;
  /** The Alh the first record chains onto (EMPTY for tx 1); undefined when there are no records. */
  readonly firstPrevAlh: Buffer | undefined;
  readonly lastAlh: Buffer | undefined;
  /** True when BlRoot was checked (the file starts at tx 1). */
  readonly blRootChecked: boolean;
  /** The Alh at `alhWantedAt`, when the file holds that tx. */
  readonly alhAtWanted: Buffer | undefined;
}

/** The error for a scan that did not end cleanly. */
export function scanEndError(end: ScanEnd, path: string): ImmuError | undefined {
  const at = end.kind === 'end' ? '' : end.txId === undefined ? 'its first record' : `tx ${end.txId}`;
  if (end.kind === 'torn') {
    return new ImmuError('CORRUPTED_DATA', `backup file ${path} is truncated at ${at} (offset ${end.offset}, ${end.missingBytes} bytes missing)`, { txId: end.txId, offset: end.offset, path });
  }
  if (end.kind === 'corrupt') return new ImmuError('CORRUPTED_DATA', `backup file ${path} is damaged at ${at} (offset ${end.offset}): ${end.reason}`, { txId: end.txId, offset: end.offset, path });
  return undefined;
}

export function chainError(step: Extract<ChainStep, { kind: 'failed' }>, record: BackupRecord, path: string): ImmuError {
  return new ImmuError('CORRUPTED_DATA', `backup file ${path} fails verification at tx ${step.txId}: ${step.reason}`, { txId: step.txId, offset: record.offset, failure: step.failure, path });
}

/** A chain for the file's records; the first record sets where it starts. */
export class FileChain {
  #chain: ChainVerifier | undefined;
  firstPrevAlh: Buffer | undefined;

  check(record: BackupRecord): ChainStep {
    if (this.#chain === undefined) {
      this.#chain = new ChainVerifier({ firstTxId: record.txId });
    }
    const step = this.#chain.check(record);
    if (step.kind === 'ok' && this.firstPrevAlh === undefined) this.firstPrevAlh = step.header.prevAlh;
    return step;
  }

  get checksBlRoot(): boolean {
    return this.#chain?.checksBlRoot ?? false;
  }
}

/**
 * The file's records in order, each with its Alh once it verified against the chain so far; a damaged or
 * truncated file or a record that fails verification ends the iteration with CORRUPTED_DATA.
 */
export async function* verifiedRecords(reader: BackupReader, path: string, chain: FileChain): AsyncGenerator<{ readonly record: BackupRecord; readonly alh: Buffer }> {
  for await (const ev of reader.scan({ payloads: true })) {
    if (ev.kind !== 'record') {
      const err = scanEndError(ev, path);
      if (err !== undefined) throw err;
      return;
    }
    const step = chain.check(ev.record);
    if (step.kind === 'failed') throw chainError(step, ev.record, path);
    yield { record: ev.record, alh: step.alh };
  }
}

export async function verifyBackupFile(reader: BackupReader, path: string, alhWantedAt: number | undefined, progress: Progress | undefined): Promise<VerifiedBackup> {
  const chain = new FileChain();
  let records = 0;
  let firstTxId = 0;
  let lastTxId = 0;
  let lastAlh: Buffer | undefined;
  let alhAtWanted: Buffer | undefined;
  for await (const { record, alh } of verifiedRecords(reader, path, chain)) {
    records++;
    if (firstTxId === 0) firstTxId = record.txId;
    lastTxId = record.txId;
    lastAlh = alh;
    if (lastTxId === alhWantedAt) alhAtWanted = alh;
    progress?.add(record.payloadBytes);
  }
  return { header: reader.header, records, firstTxId, lastTxId, firstPrevAlh: chain.firstPrevAlh, lastAlh, blRootChecked: chain.checksBlRoot, alhAtWanted };
}
