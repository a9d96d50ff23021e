// The closed catalog of error codes. Code branches on `code`, never on `message`. Each code maps to
// exactly one gRPC status number in ERROR_CATALOG (the one table; src/api uses it, docs/errors.md
// lists it, and a test keeps the three in agreement). This file imports nothing from gRPC.

/** gRPC status numbers (google.rpc.Code), repeated here so common stays dependency-free. */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
export type GrpcStatusCode = (typeof GrpcStatus)[keyof typeof GrpcStatus];

interface CatalogEntry {
  readonly status: GrpcStatusCode;
  readonly description: string;
}

/** Every error code the system can return, with its gRPC status. Keep docs/errors.md in step. */
export const ERROR_CATALOG = {
  // input validation
  INVALID_ARGUMENT: { status: GrpcStatus.INVALID_ARGUMENT, description: 'malformed or missing request field' },
  KEY_EMPTY: { status: GrpcStatus.INVALID_ARGUMENT, description: 'a key is empty' },
  KEY_TOO_LARGE: { status: GrpcStatus.INVALID_ARGUMENT, description: 'a key is longer than the database allows' },
  VALUE_TOO_LARGE: { status: GrpcStatus.INVALID_ARGUMENT, description: 'a value is longer than the database allows' },
  DUPLICATED_KEY: { status: GrpcStatus.INVALID_ARGUMENT, description: 'the same key appears twice in one transaction' },
  TOO_MANY_ENTRIES: { status: GrpcStatus.INVALID_ARGUMENT, description: 'a transaction has more entries than the database allows' },
  NO_ENTRIES: { status: GrpcStatus.INVALID_ARGUMENT, description: 'a transaction has no entries' },
  METADATA_INVALID: { status: GrpcStatus.INVALID_ARGUMENT, description: 'key/value or transaction metadata is invalid' },
  MESSAGE_TOO_LARGE: { status: GrpcStatus.RESOURCE_EXHAUSTED, description: 'a request is larger than the server accepts' },
  ILLEGAL_ARGUMENTS: { status: GrpcStatus.INVALID_ARGUMENT, description: 'arguments are inconsistent with each other' },
  // lookups
  KEY_NOT_FOUND: { status: GrpcStatus.NOT_FOUND, description: 'the key does not exist (or is deleted or expired)' },
  TX_NOT_FOUND: { status: GrpcStatus.NOT_FOUND, description: 'the transaction does not exist' },
  TX_BEYOND_STATE: { status: GrpcStatus.OUT_OF_RANGE, description: 'a transaction id beyond the last committed transaction was asked for' },
  REFERENCE_INVALID: { status: GrpcStatus.INVALID_ARGUMENT, description: 'a reference points at a missing key or another reference' },
  // preconditions
  PRECONDITION_FAILED: { status: GrpcStatus.FAILED_PRECONDITION, description: 'a write precondition did not hold' },
  // databases
  DATABASE_NOT_FOUND: { status: GrpcStatus.NOT_FOUND, description: 'the database does not exist' },
  DATABASE_EXISTS: { status: GrpcStatus.ALREADY_EXISTS, description: 'the database already exists' },
  DATABASE_NAME_INVALID: { status: GrpcStatus.INVALID_ARGUMENT, description: 'the database name is not allowed' },
  DATABASE_NOT_LOADED: { status: GrpcStatus.FAILED_PRECONDITION, description: 'the database is not loaded' },
  DATABASE_LOADED: { status: GrpcStatus.FAILED_PRECONDITION, description: 'the database must be unloaded first' },
  DATABASE_RESERVED: { status: GrpcStatus.PERMISSION_DENIED, description: 'the operation is not allowed on a reserved database' },
  SETTINGS_INVALID: { status: GrpcStatus.INVALID_ARGUMENT, description: 'database settings are invalid or contradictory' },
  // auth
  UNAUTHENTICATED: { status: GrpcStatus.UNAUTHENTICATED, description: 'no valid session or token' },
  INVALID_CREDENTIALS: { status: GrpcStatus.UNAUTHENTICATED, description: 'wrong user name or password' },
  LOGIN_THROTTLED: { status: GrpcStatus.RESOURCE_EXHAUSTED, description: 'too many failed logins; retry later' },
  TOO_MANY_SESSIONS: { status: GrpcStatus.RESOURCE_EXHAUSTED, description: 'the server holds its maximum number of sessions or tokens' },
  PERMISSION_DENIED: { status: GrpcStatus.PERMISSION_DENIED, description: 'the user lacks the permission' },
  USER_EXISTS: { status: GrpcStatus.ALREADY_EXISTS, description: 'the user already exists' },
  USER_NOT_FOUND: { status: GrpcStatus.NOT_FOUND, description: 'the user does not exist' },
  PASSWORD_WEAK: { status: GrpcStatus.INVALID_ARGUMENT, description: 'the password does not meet the policy' },
  NO_DATABASE_SELECTED: { status: GrpcStatus.FAILED_PRECONDITION, description: 'no database is selected' },
  // replication
  REPLICA_READ_ONLY: { status: GrpcStatus.FAILED_PRECONDITION, description: 'the database is a replica and does not accept writes' },
  REPLICATION_DIVERGENCE: { status: GrpcStatus.FAILED_PRECONDITION, description: 'a replicated transaction does not chain onto local history' },
  REPLICATION_HALTED: { status: GrpcStatus.FAILED_PRECONDITION, description: 'replication for this database is halted' },
  REPLICATION_STALE_EPOCH: { status: GrpcStatus.FAILED_PRECONDITION, description: 'the peer belongs to an older primary epoch' },
  SYNC_ACK_TIMEOUT: { status: GrpcStatus.UNAVAILABLE, description: 'not enough replicas acknowledged in time; the transaction stays precommitted' },
  // integrity and storage
  CORRUPTED_DATA: { status: GrpcStatus.DATA_LOSS, description: 'stored data failed an integrity check' },
  PROOF_FAILED: { status: GrpcStatus.DATA_LOSS, description: 'a cryptographic proof did not verify' },
  STATE_INCONSISTENT: { status: GrpcStatus.DATA_LOSS, description: 'the server state cannot be proven consistent with a trusted state' },
  STORE_CLOSED: { status: GrpcStatus.UNAVAILABLE, description: 'the store is closed' },
  STORE_BUSY: { status: GrpcStatus.RESOURCE_EXHAUSTED, description: 'too many transactions are in flight' },
  IO_ERROR: { status: GrpcStatus.INTERNAL, description: 'a file operation failed' },
  TIMEOUT: { status: GrpcStatus.DEADLINE_EXCEEDED, description: 'the operation did not finish in time' },
  CALL_CANCELLED: { status: GrpcStatus.CANCELLED, description: 'the client cancelled the call' },
  NODE_UNAVAILABLE: { status: GrpcStatus.UNAVAILABLE, description: 'the node could not be reached (client side)' },
  WRITE_OUTCOME_UNKNOWN: { status: GrpcStatus.UNAVAILABLE, description: 'the connection failed after a write was sent: it may or may not have been committed (client side)' },
  UNIMPLEMENTED: { status: GrpcStatus.UNIMPLEMENTED, description: 'the call is not implemented' },
  INTERNAL: { status: GrpcStatus.INTERNAL, description: 'an unexpected internal error' },
} as const satisfies Record<string, CatalogEntry>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/** The one error type crossing module boundaries. `details` carries machine-readable context. */
export class ImmuError extends Error {
  override readonly name = 'ImmuError';
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.code = code;
    this.details = details;
  }

  get grpcStatus(): GrpcStatusCode {
    return ERROR_CATALOG[this.code].status;
  }
}

export function isImmuError(err: unknown, code?: ErrorCode): err is ImmuError {
  return err instanceof ImmuError && (code === undefined || err.code === code);
}
