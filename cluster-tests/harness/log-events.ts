// Reads a node's stdout as pino JSON lines and keeps the structured events, so tests can wait on the
// server's stable event names (`server.started`, `replication.halted`) instead of sleeping. Lines that
// are not JSON are kept as `{ event: 'raw', line }`. It never interprets an event; callers match on it.
import { nodeEventsKeptMax } from './limits.js';

export interface LogEvent {
  readonly event: string;
  readonly fields: Readonly<Record<string, unknown>>;
  /** When the harness read the line (harness clock). */
  readonly seenAtMs: number;
}

export type EventMatcher = (e: LogEvent) => boolean;

interface Waiter {
  readonly match: EventMatcher;
  readonly fromIndex: number;
  readonly resolve: (e: LogEvent) => void;
}

export function parseLogLine(line: string, nowMs: number): LogEvent {
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      const fields = parsed as Record<string, unknown>;
      const event = typeof fields['event'] === 'string' ? fields['event'] : 'unnamed';
      return { event, fields, seenAtMs: nowMs };
    }
  } catch {
    // not JSON
  }
  return { event: 'raw', fields: { line }, seenAtMs: nowMs };
}

export class EventLog {
  readonly #events: LogEvent[] = [];
  #dropped = 0;
  #partial = '';
  #waiters: Waiter[] = [];

  /** Feeds a chunk of stdout; complete lines become events. */
  push(chunk: string): void {
    const text = this.#partial + chunk;
    const lines = text.split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') this.#add(parseLogLine(line, Date.now()));
  }

  #add(e: LogEvent): void {
    this.#events.push(e);
    if (this.#events.length > nodeEventsKeptMax) {
      this.#events.shift();
      this.#dropped += 1;
    }
    const index = this.#dropped + this.#events.length - 1;
    this.#waiters = this.#waiters.filter((w) => {
      if (index < w.fromIndex || !w.match(e)) return true;
      w.resolve(e);
      return false;
    });
  }

  /** Absolute index of the next event; pass it to waitFor to ignore what came before. */
  get cursor(): number {
    return this.#dropped + this.#events.length;
  }

  all(): readonly LogEvent[] {
    return this.#events;
  }

  find(match: EventMatcher, fromIndex = 0): LogEvent | undefined {
    const start = Math.max(0, fromIndex - this.#dropped);
    return this.#events.slice(start).find(match);
  }

  /** Resolves with the first matching event at or after fromIndex; rejects after timeoutMs. */
  waitFor(match: EventMatcher, timeoutMs: number, fromIndex = 0, what = 'event'): Promise<LogEvent> {
    const seen = this.find(match, fromIndex);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const done = (e: LogEvent): void => {
        clearTimeout(timer);
        resolve(e);
      };
      this.#waiters.push({ match, fromIndex, resolve: done });
    });
  }
}

export const eventNamed =
  (name: string, fields: Readonly<Record<string, unknown>> = {}): EventMatcher =>
  (e) =>
    e.event === name && Object.entries(fields).every(([k, v]) => e.fields[k] === v);
