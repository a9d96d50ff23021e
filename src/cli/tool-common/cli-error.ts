// The exit-code contract shared by immuclient and immuadmin, and the one-line error report. Every
// failure leaves a tool as exactly one stderr line (`<tool>: <message>`) and one of three exit codes,
// so scripts can branch on the kind of failure without parsing text. No stack traces, ever.
import { ImmuError, type ErrorCode } from '../../common/errors.js';

export const ExitCode = {
  OK: 0,
  /** Bad command line or input, refused before (or without) asking the server. */
  USAGE: 1,
  /** The server refused, could not be reached, or a local file could not be read or written. */
  SERVER: 2,
  /** A proof did not verify or the server's state is inconsistent with the trusted one. */
  VERIFICATION: 3,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A command-line mistake: unknown command or flag, missing argument, contradictory flags. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Codes that mean "do not trust this server": the auditor's alarm and verifiedget's refusal. */
const verificationCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['PROOF_FAILED', 'STATE_INCONSISTENT', 'CORRUPTED_DATA']);

export function isVerificationFailure(err: unknown): boolean {
  return err instanceof ImmuError && verificationCodes.has(err.code);
}

/** A client-side validation error (no RPC was made) counts as bad input. */
function isLocalInputError(err: ImmuError): boolean {
  return err.details?.['rpc'] === undefined && (err.code === 'INVALID_ARGUMENT' || err.code === 'ILLEGAL_ARGUMENTS' || err.code === 'KEY_EMPTY');
}

export function exitCodeFor(err: unknown): ExitCodeValue {
  if (err instanceof UsageError) return ExitCode.USAGE;
  if (isVerificationFailure(err)) return ExitCode.VERIFICATION;
  if (err instanceof ImmuError && isLocalInputError(err)) return ExitCode.USAGE;
  return ExitCode.SERVER;
}

/** One line, no newlines inside, prefixed with the tool name; ImmuErrors keep their stable code. */
export function errorLine(tool: string, err: unknown): string {
  let text: string;
  if (err instanceof ImmuError) {
    text = isLocalInputError(err) ? err.message : `${err.message} (${err.code})`;
    if (isVerificationFailure(err)) text = `verification failed: ${text}`;
  }
  else if (err instanceof Error) text = err.message;
  else text = String(err);
  return `${tool}: ${text.replace(/\s*\n\s*/g, ' ').trim()}`;
}
