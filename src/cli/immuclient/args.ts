// Parsing of immuclient's positional arguments: keys and values as UTF-8 bytes, `key@revision`,
// transaction ids and scores. Bad input is a UsageError (exit 1) before any call. Pure.
import { UsageError } from '../tool-common/cli-error.js';

export function bytesArg(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

export function nonEmptyKey(text: string, what = 'key'): Buffer {
  if (text === '') throw new UsageError(`${what} must not be empty`);
  return bytesArg(text);
}

/** `key@rev` with a numeric (possibly negative) revision after the last separator; otherwise a plain key. */
export function keyAndRevision(arg: string, separator: string): { key: Buffer; atRevision: number | undefined } {
  if (separator !== '') {
    const i = arg.lastIndexOf(separator);
    const rev = i > 0 ? arg.slice(i + separator.length) : '';
    if (/^-?\d+$/.test(rev)) return { key: nonEmptyKey(arg.slice(0, i)), atRevision: Number(rev) };
  }
  return { key: nonEmptyKey(arg), atRevision: undefined };
}

export function txIdArg(text: string, what = 'transaction id'): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < 1) throw new UsageError(`${what} must be a positive integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

export function scoreArg(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new UsageError(`score must be a number, got ${JSON.stringify(text)}`);
  return n;
}

export function optionalCount(value: number | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (value < 0) throw new UsageError(`--${what} must not be negative`);
  return value;
}
