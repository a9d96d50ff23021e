// gRPC metadata names and readers, as immudb clients send and expect them (cluster spec §2.3, §2.4,
// §3.3, §3.11): `sessionid` (session auth), `authorization: Bearer <token>` (legacy token auth),
// `immudb-uuid` (response header on every call), replicateTx's boolean request headers, and the
// first-chunk metadata keys of exportTx/streamExportTx. Plus immudb-ts's own names (immudbts-*).
// It reads and writes metadata only; it does not decide whether a session or token is valid.
import { Metadata } from '@grpc/grpc-js';

/** Session id of an OpenSession session (immudb >= 1.2 clients). */
export const sessionIdHeader = 'sessionid';
/** Legacy token auth: `authorization: Bearer <token>` (immudb-node 1.1.1 sends only this). */
export const authorizationHeader = 'authorization';
/** Server UUID, a response header on every call. */
export const serverUuidHeader = 'immudb-uuid';
/** replicateTx request headers, boolean strings. */
export const skipIntegrityCheckHeader = 'skip-integrity-check';
export const waitForIndexingHeader = 'wait-for-indexing';

/** Chunk.metadata keys on the first chunk of an export (values 8-byte BE, or a 32-byte Alh). */
export const committedTxIdBinKey = 'committed-txid-bin';
export const mayCommitUpToTxIdBinKey = 'may-commit-up-to-txid-bin';
export const mayCommitUpToAlhBinKey = 'may-commit-up-to-alh-bin';

/** immudb-ts fencing: the epoch a replica follows (request header, decimal string). */
export const primaryEpochHeader = 'immudbts-primary-epoch';
/** immudb-ts fencing: the exporting primary's epoch (first-chunk metadata key, 8-byte BE). */
export const epochBinKey = 'immudbts-epoch-bin';
/** immudb-ts: the exporting primary's committed Alh (first-chunk metadata, 32 bytes) beside committed-txid-bin. */
export const committedAlhBinKey = 'immudbts-committed-alh-bin';
/**
 * immudb-ts: the exporting primary's durably precommitted tip (first-chunk metadata, 8-byte BE), so a
 * sync replica knows which txs it may fetch back to back before they are committed.
 */
export const precommittedTxIdBinKey = 'immudbts-precommitted-txid-bin';
/**
 * immudb-ts: on a refused export request, what the refusal is about (trailer: `commit`, `precommit`,
 * `epoch`, `configuration`), next to `immudbts-error-code`; with `epoch`, `immudbts-epoch-bin` rides
 * as a trailer too. Replicas branch on these, never on message text.
 */
export const replicationScopeTrailer = 'immudbts-replication-scope';
/** immudb-ts: the ERROR_CATALOG code of a failed call (trailer), so our client branches on codes. */
export const errorCodeTrailer = 'immudbts-error-code';
/** immudb-ts: an ImmuError's details as one JSON object (trailer; src/api/error-details.ts). */
export const errorDetailsTrailer = 'immudbts-error-details';

export type AuthCredentials =
  | { readonly kind: 'session'; readonly sessionId: string }
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'none' };

function firstString(md: Metadata, name: string): string | undefined {
  for (const value of md.get(name)) {
    if (typeof value === 'string') return value;
    return value.toString('utf8');
  }
  return undefined;
}

/** The `sessionid` header, if present and non-empty. */
export function readSessionId(md: Metadata): string | undefined {
  const value = firstString(md, sessionIdHeader)?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** The token of `authorization: Bearer <token>`; undefined when absent, another scheme, or empty. */
export function readBearerToken(md: Metadata): string | undefined {
  const value = firstString(md, authorizationHeader);
  if (value === undefined) return undefined;
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(value);
  return match?.[1];
}

/** immudb's precedence: a session id wins over a token; neither means unauthenticated. */
export function readAuth(md: Metadata): AuthCredentials {
  const sessionId = readSessionId(md);
  if (sessionId !== undefined) return { kind: 'session', sessionId };
  const token = readBearerToken(md);
  if (token !== undefined) return { kind: 'token', token };
  return { kind: 'none' };
}

/** A boolean request header (`true`/`false`, any case); `undefined` when absent or unparsable. */
export function readBoolHeader(md: Metadata, name: string): boolean | undefined {
  const value = firstString(md, name)?.trim().toLowerCase();
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return undefined;
}

/** A non-negative decimal integer header (e.g. the primary epoch); `undefined` when absent or bad. */
export function readUintHeader(md: Metadata, name: string): number | undefined {
  const value = firstString(md, name)?.trim();
  if (value === undefined || !/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}

/** Response headers every call carries. */
export function responseHeaders(serverUuid: string): Metadata {
  const md = new Metadata();
  md.set(serverUuidHeader, serverUuid);
  return md;
}
