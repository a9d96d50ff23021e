// Progress of a hot backup or restore: transactions, bytes, rate and ETA. On a terminal it is one line
// rewritten in place (at most every `ttyRedrawIntervalMs`); otherwise a plain log line every
// `logIntervalMs`, so a cron job's log shows that it is moving. The line text is a pure function;
// time comes from the caller's clock.

export const ttyRedrawIntervalMs = 200;
export const logIntervalMsDefault = 5_000;

export interface ProgressSnapshot {
  readonly label: string;
  readonly txsDone: number;
  /** Transactions this run will handle; ETA is shown only when known. */
  readonly txsTotal: number | undefined;
  readonly bytesDone: number;
  readonly elapsedMs: number;
}

function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? String(v) : v.toFixed(1)} ${units[u] ?? 'B'}`;
}

function humanDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** `hot-backup orders: 120/500 txs, 1.2 MiB, 340 tx/s, ETA 1s`. */
export function progressLine(p: ProgressSnapshot): string {
  const rate = p.elapsedMs > 0 ? (p.txsDone * 1000) / p.elapsedMs : 0;
  const count = p.txsTotal === undefined ? `${p.txsDone} txs` : `${p.txsDone}/${p.txsTotal} txs`;
  const parts = [count, humanBytes(p.bytesDone), `${rate.toFixed(rate < 10 ? 1 : 0)} tx/s`];
  if (p.txsTotal !== undefined && rate > 0) parts.push(`ETA ${humanDuration(((p.txsTotal - p.txsDone) / rate) * 1000)}`);
  return `${p.label}: ${parts.join(', ')}`;
}

export interface ProgressSink {
  readonly isTTY: boolean;
  write(text: string): void;
}

export interface ProgressOptions {
  readonly label: string;
  readonly sink: ProgressSink | undefined;
  readonly nowMs: () => number;
  readonly logIntervalMs?: number;
}

export class Progress {
  readonly #opts: ProgressOptions;
  readonly #startMs: number;
  #total: number | undefined;
  #txs = 0;
  #bytes = 0;
  #lastShownMs: number;
  #lineOpen = false;
  #finished = false;

  constructor(opts: ProgressOptions) {
    this.#opts = opts;
    this.#startMs = opts.nowMs();
    this.#lastShownMs = this.#startMs;
  }

  setTotal(txs: number): void {
    this.#total = txs;
  }

  /** One more transaction of `bytes` handled. */
  add(bytes: number): void {
    this.#txs++;
    this.#bytes += bytes;
    const sink = this.#opts.sink;
    if (sink === undefined) return;
    const now = this.#opts.nowMs();
    const interval = sink.isTTY ? ttyRedrawIntervalMs : (this.#opts.logIntervalMs ?? logIntervalMsDefault);
    if (now - this.#lastShownMs < interval) return;
    this.#lastShownMs = now;
    this.#show(sink, now);
  }

  #show(sink: ProgressSink, now: number): void {
    const line = progressLine({ label: this.#opts.label, txsDone: this.#txs, txsTotal: this.#total, bytesDone: this.#bytes, elapsedMs: now - this.#startMs });
    if (sink.isTTY) {
      sink.write(`\r${line}\u001b[K`);
      this.#lineOpen = true;
    } else sink.write(`${new Date(now).toISOString()} ${line}\n`);
  }

  /** Ends the progress display: a terminal gets its final line and a newline; a log gets nothing more. */
  finish(): void {
    const sink = this.#opts.sink;
    if (this.#finished || sink === undefined || !sink.isTTY) return;
    this.#finished = true;
    if (this.#txs > 0 || this.#lineOpen) this.#show(sink, this.#opts.nowMs());
    if (this.#lineOpen) sink.write('\n');
    this.#lineOpen = false;
  }
}
