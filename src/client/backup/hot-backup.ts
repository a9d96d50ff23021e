// Incremental hot backup of one database into a backup file. A new file starts at --start-tx (1 by
// default); an existing file is continued after its last complete record, but only once the server has
// proven (verifiedTxById against the client's trusted state) that its Alh at that tx is the file's.
// Every exported tx is checked before it is written (Eh, tx id, prevAlh chain from the proven anchor),
// and at the end the server proves its Alh at the last written tx; if it cannot, the records this run
// wrote are rolled back. Talks to the server only through BackupSource; the CLI supplies it.
import { ImmuError } from '../../common/errors.js';
import { ChainVerifier } from './backup-chain.js';
import { Progress, type ProgressSink } from './backup-progress.js';
import { BackupReader, summarizeBackup } from './backup-reader.js';
import { BackupWriter } from './backup-writer.js';
import { EMPTY_HASH } from '../../proof/index.js';
import { stat } from 'node:fs/promises';

/** Exports requested ahead of the one being written. */
export const exportPrefetchTxs = 16;

export interface BackupSource {
  readonly database: string;
  /** The server's UUID, once a call has been answered. */
  serverUuid(): string | undefined;
  /** The last committed tx id. */
  committedTxId(): Promise<number>;
  /** The server's Alh at `txId`, proven against the client's trusted state. */
  provenAlh(txId: number): Promise<Buffer>;
  /** ExportTx bytes of one committed tx. */
  exportTx(txId: number): Promise<Buffer>;
}

export interface HotBackupOptions {
  readonly path: string;
  readonly startTx?: number;
  readonly endTx?: number;
  readonly nowMs: () => number;
  readonly progress?: ProgressSink;
  readonly logIntervalMs?: number;
  /** Stops cleanly after the current tx (Ctrl-C). */
  readonly signal?: AbortSignal;
}

export interface HotBackupResult {
  readonly database: string;
  readonly file: string;
  readonly created: boolean;
  /** First and last tx in the file after this run (0 when it holds none). */
  readonly firstTxId: number;
  readonly lastTxId: number;
  readonly txsWritten: number;
  readonly bytesWritten: number;
  /** Bytes of an incomplete last record from an earlier run, dropped before appending. */
  readonly tornTailBytesDropped: number;
  readonly interrupted: boolean;
}

interface Plan {
  readonly writer: BackupWriter;
  readonly created: boolean;
  readonly chain: ChainVerifier;
  readonly firstTxId: number | undefined;
  readonly tornTailBytesDropped: number;
}

/** Undefined when there is no file; its size otherwise. */
async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

function inconsistent(message: string, details: Record<string, unknown>): ImmuError {
  return new ImmuError('STATE_INCONSISTENT', message, details);
}

/** A new file: anchored on EMPTY (tx 1) or on the server's proven Alh at start - 1. */
async function planNew(source: BackupSource, opts: HotBackupOptions, replaceEmpty: boolean): Promise<Plan> {
  const start = opts.startTx ?? 1;
  const prevAlh = start === 1 ? EMPTY_HASH : await source.provenAlh(start - 1);
  const writer = await BackupWriter.create(opts.path, { createdAtMs: opts.nowMs(), database: source.database, sourceServerUuid: source.serverUuid() ?? '' }, { nowMs: opts.nowMs }, replaceEmpty);
  return { writer, created: true, chain: new ChainVerifier({ firstTxId: start, prevAlh }), firstTxId: undefined, tornTailBytesDropped: 0 };
}

/** An existing file: its last record must be self-consistent and its Alh the server's proven Alh. */
async function planAppend(source: BackupSource, opts: HotBackupOptions, committed: number): Promise<Plan> {
  const reader = await BackupReader.open(opts.path);
  try {
    const summary = await summarizeBackup(reader);
    if (summary.end.kind === 'corrupt') {
      const at = summary.end.txId === undefined ? 'its first record' : `tx ${summary.end.txId}`;
      throw new ImmuError('CORRUPTED_DATA', `backup file is damaged at ${at} (offset ${summary.end.offset}): ${summary.end.reason}`, { txId: summary.end.txId, offset: summary.end.offset });
    }
    const last = summary.last;
    if (last === undefined) {
      const writer = await BackupWriter.openAppend(opts.path, summary.completeBytes, { nowMs: opts.nowMs });
      const start = opts.startTx ?? 1;
      const prevAlh = start === 1 ? EMPTY_HASH : await source.provenAlh(start - 1);
      return { writer, created: false, chain: new ChainVerifier({ firstTxId: start, prevAlh }), firstTxId: undefined, tornTailBytesDropped: reader.sizeBytes - summary.completeBytes };
    }
    if (opts.startTx !== undefined && opts.startTx !== last.txId + 1) {
      throw new ImmuError('ILLEGAL_ARGUMENTS', `--start-tx ${opts.startTx} does not continue the file, which ends at tx ${last.txId}`);
    }
    const self = new ChainVerifier({ firstTxId: last.txId }).check({ txId: last.txId, alh: last.alh, payload: await reader.payloadOf(last) });
    if (self.kind === 'failed') throw new ImmuError('CORRUPTED_DATA', `backup file's last record (tx ${last.txId}) fails verification: ${self.reason}`, { txId: last.txId });
    if (last.txId > committed) {
      throw inconsistent(`the file ends at tx ${last.txId} but database ${source.database} has only ${committed} transactions: it was made from another database`, { txId: last.txId, committedTxId: committed });
    }
    const serverAlh = await source.provenAlh(last.txId);
    if (!serverAlh.equals(last.alh)) {
      throw inconsistent(`the file's Alh at tx ${last.txId} differs from database ${source.database}'s: it was made from another database or history`, {
        txId: last.txId,
        fileAlh: last.alh.toString('hex'),
        serverAlh: serverAlh.toString('hex'),
      });
    }
    const writer = await BackupWriter.openAppend(opts.path, summary.completeBytes, { nowMs: opts.nowMs });
    const chain = new ChainVerifier({ firstTxId: last.txId + 1, prevAlh: last.alh });
    return { writer, created: false, chain, firstTxId: summary.first?.txId, tornTailBytesDropped: reader.sizeBytes - summary.completeBytes };
  } finally {
    await reader.close();
  }
}

/** Exports [from, to] in order with a bounded number of requests in flight. */
async function* exportsInOrder(source: BackupSource, from: number, to: number, signal: AbortSignal | undefined): AsyncGenerator<{ txId: number; payload: Buffer }> {
  const inFlight: Promise<Buffer>[] = [];
  let next = from;
  const fill = (): void => {
    while (next <= to && inFlight.length < exportPrefetchTxs) {
      const p = source.exportTx(next++);
      p.catch(() => undefined); // observed when its turn comes
      inFlight.push(p);
    }
  };
  for (let txId = from; txId <= to; txId++) {
    if (signal?.aborted === true) return;
    fill();
    const payload = await (inFlight.shift() as Promise<Buffer>);
    yield { txId, payload };
  }
}

export async function hotBackup(source: BackupSource, opts: HotBackupOptions): Promise<HotBackupResult> {
  const committed = await source.committedTxId();
  const size = await sizeOf(opts.path);
  const plan = size !== undefined && size > 0 ? await planAppend(source, opts, committed) : await planNew(source, opts, size === 0);
  const { writer, chain } = plan;
  const from = chain.nextTxId;
  const to = Math.min(opts.endTx ?? committed, committed);
  const progress = new Progress({ label: `hot-backup ${source.database}`, sink: opts.progress, nowMs: opts.nowMs, ...(opts.logIntervalMs !== undefined ? { logIntervalMs: opts.logIntervalMs } : {}) });
  progress.setTotal(Math.max(0, to - from + 1));
  let written = 0;
  let bytes = 0;
  try {
    for await (const { txId, payload } of exportsInOrder(source, from, to, opts.signal)) {
      const step = chain.check({ txId, payload });
      if (step.kind === 'failed') {
        throw new ImmuError('PROOF_FAILED', `the server's export of tx ${step.txId} fails verification: ${step.reason}`, { txId: step.txId, failure: step.failure });
      }
      const alh = step.alh;
      await writer.append(txId, alh, payload);
      written++;
      bytes += payload.length;
      progress.add(payload.length);
    }
    await writer.sync();
    const lastTxId = chain.nextTxId - 1;
    if (written > 0) {
      const proven = await source.provenAlh(lastTxId);
      if (!proven.equals(chain.lastAlh ?? EMPTY_HASH)) {
        await writer.rollback();
        throw inconsistent(`the exported chain does not end at the server's proven Alh of tx ${lastTxId}; the ${written} records of this run were removed`, { txId: lastTxId });
      }
    }
    return {
      database: source.database,
      file: opts.path,
      created: plan.created,
      firstTxId: plan.firstTxId ?? (written > 0 ? from : 0),
      lastTxId: written > 0 || plan.firstTxId !== undefined ? lastTxId : 0,
      txsWritten: written,
      bytesWritten: bytes,
      tornTailBytesDropped: plan.tornTailBytesDropped,
      interrupted: opts.signal?.aborted === true && lastTxId < to,
    };
  } finally {
    progress.finish();
    await writer.close();
  }
}
