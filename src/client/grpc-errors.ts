// Turns a failed gRPC call back into an ImmuError with a catalog code. An immudb-ts server names the
// code in the `immudbts-error-code` trailer (src/api/error-status.ts), which wins; a server that does not
// (immudb itself, a proxy, grpc-js rejecting the call before any handler ran) is mapped by gRPC status
// through the one table below. The message is kept for humans; nothing here reads it to decide a code.
// The server's machine-readable details (`immudbts-error-details`, JSON) become ImmuError.details,
// beside what the client adds (rpc, endpoint, gRPC status).
import { ERROR_CATALOG, GrpcStatus, ImmuError, type ErrorCode } from '../common/errors.js';
import { decodeErrorDetails } from '../api/error-details.js';
import { errorCodeTrailer, errorDetailsTrailer } from '../api/metadata.js';

/** The part of a grpc-js ServiceError this mapping reads. */
export interface GrpcFailure {
  readonly code?: number;
  readonly details?: string;
  readonly message?: string;
  readonly metadata?: { get(key: string): readonly (string | Buffer)[] };
}

/**
 * Fallback when no trailer names the code. Statuses shared by several codes map to the most general
 * one; UNAVAILABLE (no server reachable, server shutting down) is NODE_UNAVAILABLE, with
 * `details.grpcStatus` keeping the original status.
 */
const codeForStatus: ReadonlyMap<number, ErrorCode> = new Map<number, ErrorCode>([
  [GrpcStatus.CANCELLED, 'TIMEOUT'],
  [GrpcStatus.INVALID_ARGUMENT, 'INVALID_ARGUMENT'],
  [GrpcStatus.DEADLINE_EXCEEDED, 'TIMEOUT'],
  [GrpcStatus.NOT_FOUND, 'KEY_NOT_FOUND'],
  [GrpcStatus.ALREADY_EXISTS, 'DATABASE_EXISTS'],
  [GrpcStatus.PERMISSION_DENIED, 'PERMISSION_DENIED'],
  [GrpcStatus.RESOURCE_EXHAUSTED, 'MESSAGE_TOO_LARGE'],
  [GrpcStatus.FAILED_PRECONDITION, 'PRECONDITION_FAILED'],
  [GrpcStatus.OUT_OF_RANGE, 'TX_BEYOND_STATE'],
  [GrpcStatus.UNIMPLEMENTED, 'UNIMPLEMENTED'],
  [GrpcStatus.UNAVAILABLE, 'NODE_UNAVAILABLE'],
  [GrpcStatus.DATA_LOSS, 'CORRUPTED_DATA'],
  [GrpcStatus.UNAUTHENTICATED, 'UNAUTHENTICATED'],
]);

function isErrorCode(value: string): value is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CATALOG, value);
}

function trailerCode(failure: GrpcFailure): ErrorCode | undefined {
  const values = failure.metadata?.get(errorCodeTrailer) ?? [];
  for (const value of values) {
    const text = typeof value === 'string' ? value : value.toString('utf8');
    if (isErrorCode(text)) return text;
  }
  return undefined;
}

/** The server's details trailer, decoded as untrusted input; {} when absent or malformed. */
export function serverDetailsOf(failure: GrpcFailure): Record<string, unknown> {
  const value = failure.metadata?.get(errorDetailsTrailer)[0];
  if (value === undefined) return {};
  return decodeErrorDetails(typeof value === 'string' ? value : value.toString('utf8')) ?? {};
}

/** The catalog code of a failed call: the trailer's when it names one, else by status. */
export function errorCodeOf(failure: GrpcFailure): ErrorCode {
  const fromTrailer = trailerCode(failure);
  if (fromTrailer !== undefined) return fromTrailer;
  return codeForStatus.get(failure.code ?? GrpcStatus.UNKNOWN) ?? 'INTERNAL';
}

/** An ImmuError for a failed call; `details` records the RPC, endpoint and original gRPC status. */
export function toImmuError(err: unknown, rpc: string, endpoint: string): ImmuError {
  if (err instanceof ImmuError) return err;
  const failure: GrpcFailure = typeof err === 'object' && err !== null ? (err as GrpcFailure) : {};
  const code = errorCodeOf(failure);
  const text = failure.details !== undefined && failure.details !== '' ? failure.details : (failure.message ?? String(err));
  return new ImmuError(code, text, {
    ...serverDetailsOf(failure),
    rpc,
    endpoint,
    grpcStatus: failure.code ?? GrpcStatus.UNKNOWN,
    fromTrailer: trailerCode(failure) !== undefined,
  });
}
