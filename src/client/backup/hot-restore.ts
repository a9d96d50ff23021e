// Hot restore of a backup file into a database through replicateTx. The whole file is verified offline
// first (backup-verify.ts), so a tampered or truncated file changes nothing, not even creating the
// database. Then: a missing database is created as a passive replica and promoted at the end (unless
// keepReplica); an existing one continues after its current state, once its Alh there is the file's.
// The apply pass re-verifies every record before sending it (the file may change between passes), the
// server re-verifies the chain onto its own history, and the Alh it reports must be the record's.
// Talks to the server only through RestoreTarget; the CLI supplies it.
import { ImmuError } from '../../common/errors.js';
import { txAlh, type TxHeader } from '../../proof/index.js';
import { Progress, type ProgressSink } from './backup-progress.js';
import { BackupReader, summarizeBackup } from './backup-reader.js';
import { FileChain, verifiedRecords, verifyBackupFile, type VerifiedBackup } from './backup-verify.js';

export interface TargetState {
  readonly txId: number;
  readonly alh: Buffer;
}

export interface RestoreTarget {
  readonly database: string;
  /** undefined: no such database; else whether it is a replica (replicateTx needs a passive one). */
  replicaFlag(): Promise<boolean | undefined>;
  /** Creates the database as a passive replica (replica, no primary) and selects it. */
  createPassiveReplica(): Promise<void>;
  /** Selects the existing database. */
  select(): Promise<void>;
  setReplica(on: boolean): Promise<void>;
  /** The database's current committed state (consistency-checked against a saved trusted state, if any). */
  state(): Promise<TargetState>;
  /** The database's Alh at `txId`, proven against the trusted state. */
  provenAlh(txId: number): Promise<Buffer>;
  replicate(payload: Buffer): Promise<TxHeader>;
}

export interface HotRestoreOptions {
  readonly path: string;
  readonly keepReplica: boolean;
  /** Lets an existing non-replica database take replicateTx for the duration (flipped back at the end). */
  readonly forceReplica: boolean;
  readonly nowMs: () => number;
  readonly progress?: ProgressSink;
  readonly logIntervalMs?: number;
}

export interface HotRestoreResult {
  readonly database: string;
  readonly file: string;
  readonly created: boolean;
  readonly fileFirstTxId: number;
  readonly fileLastTxId: number;
  readonly txsApplied: number;
  /** The database's state when the restore started (0 for a new one). */
  readonly startTxId: number;
  readonly state: TargetState;
  /** Whether the database ended as a replica. */
  readonly replica: boolean;
  readonly blRootChecked: boolean;
}

function inconsistent(message: string, details: Record<string, unknown>): ImmuError {
  return new ImmuError('STATE_INCONSISTENT', message, details);
}

/** Verifies the file, optionally remembering its Alh at `wantedAt`. */
export async function verifyFile(path: string, label: string, opts: Pick<HotRestoreOptions, 'nowMs' | 'progress' | 'logIntervalMs'>, wantedAt?: number): Promise<VerifiedBackup> {
  const reader = await BackupReader.open(path);
  try {
    const summary = await summarizeBackup(reader);
    const progress = new Progress({ label, sink: opts.progress, nowMs: opts.nowMs, ...(opts.logIntervalMs !== undefined ? { logIntervalMs: opts.logIntervalMs } : {}) });
    progress.setTotal(summary.records);
    try {
      return await verifyBackupFile(reader, path, wantedAt, progress);
    } finally {
      progress.finish();
    }
  } finally {
    await reader.close();
  }
}

/** Where the database's history meets the file's; refuses a gap or a different history. */
function checkOverlap(db: string, file: VerifiedBackup, state: TargetState, alhAtFileEnd: Buffer | undefined): void {
  const k = state.txId;
  const details = { database: db, databaseTxId: k, fileFirstTxId: file.firstTxId, fileLastTxId: file.lastTxId };
  if (k < file.firstTxId - 1) {
    throw new ImmuError('PRECONDITION_FAILED', `database ${db} ends at tx ${k} but the file starts at tx ${file.firstTxId}: a gap of ${file.firstTxId - 1 - k} transactions`, details);
  }
  let fileAlh: Buffer | undefined;
  let dbAlh: Buffer | undefined = state.alh;
  if (k === file.firstTxId - 1) fileAlh = file.firstPrevAlh;
  else if (k <= file.lastTxId) fileAlh = file.alhAtWanted;
  else {
    fileAlh = file.lastAlh;
    dbAlh = alhAtFileEnd;
  }
  const at = Math.min(k, file.lastTxId);
  if (fileAlh === undefined || dbAlh === undefined || !fileAlh.equals(dbAlh)) {
    throw inconsistent(`database ${db}'s Alh at tx ${at} differs from the backup file's: they hold different histories`, { ...details, atTxId: at });
  }
}

interface Prepared {
  readonly created: boolean;
  readonly flipped: boolean;
  readonly start: TargetState;
}

async function prepareTarget(target: RestoreTarget, file: VerifiedBackup, opts: HotRestoreOptions, replica: boolean | undefined): Promise<Prepared> {
  const db = target.database;
  if (replica === undefined) {
    if (file.records > 0 && file.firstTxId !== 1) {
      throw new ImmuError('PRECONDITION_FAILED', `database ${db} does not exist and the file starts at tx ${file.firstTxId}: a new database needs a file from tx 1`);
    }
    await target.createPassiveReplica();
    return { created: true, flipped: false, start: await target.state() };
  }
  await target.select();
  const start = await target.state();
  const alhAtFileEnd = start.txId > file.lastTxId && file.lastTxId > 0 ? await target.provenAlh(file.lastTxId) : undefined;
  if (file.records > 0) checkOverlap(db, file, start, alhAtFileEnd);
  const needsApply = start.txId < file.lastTxId;
  if (!replica && needsApply) {
    if (!opts.forceReplica) throw new ImmuError('PRECONDITION_FAILED', `database ${db} is not a replica: it cannot take replicated transactions (pass --force-replica)`);
    await target.setReplica(true);
    return { created: false, flipped: true, start };
  }
  return { created: false, flipped: false, start };
}

/** Second pass: re-verify each record, send those beyond the database's state, check what it committed. */
async function apply(target: RestoreTarget, path: string, fromTxId: number, expectedLastAlh: Buffer | undefined, progress: Progress): Promise<number> {
  const reader = await BackupReader.open(path);
  let applied = 0;
  let lastAlh: Buffer | undefined;
  try {
    for await (const { record, alh } of verifiedRecords(reader, path, new FileChain())) {
      lastAlh = alh;
      if (record.txId <= fromTxId) continue;
      const committed = await target.replicate(record.payload);
      if (committed.id !== record.txId || !txAlh(committed).equals(alh)) {
        throw inconsistent(`database ${target.database} committed tx ${committed.id} with another Alh than the file's tx ${record.txId}`, { txId: record.txId });
      }
      applied++;
      progress.add(record.payloadBytes);
    }
  } finally {
    await reader.close();
  }
  if (expectedLastAlh !== undefined && (lastAlh === undefined || !lastAlh.equals(expectedLastAlh))) {
    throw new ImmuError('CORRUPTED_DATA', `backup file ${path} changed while it was being restored`, { path });
  }
  return applied;
}

export async function hotRestore(target: RestoreTarget, opts: HotRestoreOptions): Promise<HotRestoreResult> {
  const db = target.database;
  const replica = await target.replicaFlag();
  // The database's state decides which Alh of the file the overlap check needs; read it before pass 1.
  let wantedAt: number | undefined;
  if (replica !== undefined) {
    await target.select();
    wantedAt = (await target.state()).txId;
  }
  const file = await verifyFile(opts.path, `hot-restore ${db} (verify)`, opts, wantedAt);
  const prepared = await prepareTarget(target, file, opts, replica);
  let applied = 0;
  const progress = new Progress({ label: `hot-restore ${db}`, sink: opts.progress, nowMs: opts.nowMs, ...(opts.logIntervalMs !== undefined ? { logIntervalMs: opts.logIntervalMs } : {}) });
  progress.setTotal(Math.max(0, file.lastTxId - prepared.start.txId));
  let endsAsReplica = replica ?? true;
  try {
    if (prepared.start.txId < file.lastTxId) applied = await apply(target, opts.path, prepared.start.txId, file.lastAlh, progress);
  } finally {
    progress.finish();
    if (prepared.flipped) {
      await target.setReplica(false);
      endsAsReplica = false;
    }
  }
  if (prepared.created && !opts.keepReplica) {
    await target.setReplica(false);
    endsAsReplica = false;
  }
  const state = await target.state();
  const lastAlh = file.lastAlh;
  if (lastAlh !== undefined && state.txId <= file.lastTxId && (state.txId !== file.lastTxId || !state.alh.equals(lastAlh))) {
    throw inconsistent(`database ${db} ended at tx ${state.txId}, not at the file's last tx ${file.lastTxId} with its Alh`, { txId: state.txId, fileLastTxId: file.lastTxId });
  }
  return {
    database: db,
    file: opts.path,
    created: prepared.created,
    fileFirstTxId: file.firstTxId,
    fileLastTxId: file.lastTxId,
    txsApplied: applied,
    startTxId: prepared.start.txId,
    state,
    replica: endsAsReplica,
    blRootChecked: file.blRootChecked,
  };
}
