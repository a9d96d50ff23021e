// How the tools print: a command returns one result with a machine form (one JSON document for
// `--output json`) and a human form (text). Byte strings print as text when they are printable UTF-8
// and as hex otherwise; the JSON form always carries the hex beside it so nothing is ambiguous.
import { UsageError } from './cli-error.js';

export type OutputFormat = 'text' | 'json';

export interface CommandResult {
  /** The JSON document printed with `--output json`. */
  readonly json: unknown;
  /** Lines printed in text mode (no trailing newline needed). */
  readonly text: string;
  /** The command already printed what it had to (audit-mode's log lines): print nothing more. */
  readonly silent?: boolean;
  /** A non-zero exit after printing the result (e.g. failover refused as unsafe: 3). Default 0. */
  readonly exitCode?: 0 | 1 | 2 | 3;
}

export function outputFormat(raw: string | undefined): OutputFormat {
  if (raw === undefined || raw === 'text') return 'text';
  if (raw === 'json') return 'json';
  throw new UsageError(`--output must be text or json, got ${JSON.stringify(raw)}`);
}

export function render(result: CommandResult, format: OutputFormat): string {
  if (result.silent === true) return '';
  if (format === 'json') return `${JSON.stringify(result.json, null, 2)}\n`;
  return result.text === '' ? '' : `${result.text.replace(/\n+$/, '')}\n`;
}

/** True when the bytes decode as UTF-8 without replacement and hold no control characters but tab. */
export function isPrintable(bytes: Uint8Array): boolean {
  const text = Buffer.from(bytes).toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(Buffer.from(bytes))) return false;
  return !/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/u.test(text);
}

/** Text when printable, else hex (immuclient's habit). */
export function displayBytes(bytes: Uint8Array): string {
  return isPrintable(bytes) ? Buffer.from(bytes).toString('utf8') : Buffer.from(bytes).toString('hex');
}

/** The JSON pair for bytes: `{ [name]: display, [name + 'Hex']: hex }`. */
export function jsonBytes(name: string, bytes: Uint8Array): Record<string, string> {
  return { [name]: displayBytes(bytes), [`${name}Hex`]: Buffer.from(bytes).toString('hex') };
}

/** Aligned `label: value` lines. */
export function fields(rows: readonly (readonly [string, string | number | boolean])[]): string {
  const width = Math.max(0, ...rows.map(([k]) => k.length)) + 1;
  return rows.map(([k, v]) => `${`${k}:`.padEnd(width)} ${String(v)}`).join('\n');
}

/** A plain text table with a header row. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
