// The one place an error becomes a gRPC status. The code -> status table itself is ERROR_CATALOG in
// src/common/errors.ts (common stays free of gRPC); this file checks it against grpc-js's numbers, sends
// the ImmuError's message as the status details, its code in the `immudbts-error-code` trailer and its
// machine-readable details as JSON in the `immudbts-error-details` trailer (error-details.ts), and
// turns anything that is not an ImmuError into INTERNAL with a generic message and a logged
// `api.internal_error` event. Stack traces never reach the client.
import { Metadata, status, type StatusObject } from '@grpc/grpc-js';
import { ERROR_CATALOG, ImmuError, type ErrorCode } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { encodeErrorDetails } from './error-details.js';
import { errorCodeTrailer, errorDetailsTrailer } from './metadata.js';

/** The message a client sees for an error we did not expect. */
export const internalErrorMessage = 'internal error';

/** gRPC status for each error code: ERROR_CATALOG's numbers, typed as grpc-js `status`. */
export function statusForCode(code: ErrorCode): status {
  return ERROR_CATALOG[code].status as number as status;
}

export interface ErrorContext {
  readonly logger: Logger;
  readonly rpc: string;
}

/** A gRPC status (code, details, trailers) for anything a handler threw or rejected with. */
export function errorToStatus(err: unknown, ctx: ErrorContext): Partial<StatusObject> & { code: status; details: string } {
  const metadata = new Metadata();
  if (err instanceof ImmuError) {
    metadata.set(errorCodeTrailer, err.code);
    const details = encodeErrorDetails(err.details);
    if (details !== undefined) metadata.set(errorDetailsTrailer, details);
    return { code: statusForCode(err.code), details: err.message, metadata };
  }
  metadata.set(errorCodeTrailer, 'INTERNAL');
  ctx.logger.error({ event: 'api.internal_error', rpc: ctx.rpc, err }, 'unexpected error in handler');
  return { code: status.INTERNAL, details: internalErrorMessage, metadata };
}
