// The client's credentials and the metadata they put on each call: nothing, a legacy token
// (`authorization: Bearer`) or a session id (`sessionid`), plus the selected database. A session also
// owns its heartbeat timer (unref'd, so it never keeps a process alive). No I/O of its own.
import { Metadata } from '@grpc/grpc-js';
import { authorizationHeader, sessionIdHeader } from '../api/metadata.js';

export type Credentials =
  | { readonly kind: 'none' }
  | { readonly kind: 'token'; readonly token: string; readonly database: string | undefined }
  | { readonly kind: 'session'; readonly sessionId: string; readonly database: string };

export const noCredentials: Credentials = { kind: 'none' };

export function callMetadata(creds: Credentials): Metadata {
  const md = new Metadata();
  if (creds.kind === 'token') md.set(authorizationHeader, `Bearer ${creds.token}`);
  if (creds.kind === 'session') md.set(sessionIdHeader, creds.sessionId);
  return md;
}

export function selectedDatabase(creds: Credentials): string | undefined {
  return creds.kind === 'none' ? undefined : creds.database;
}

/** A repeating unref'd timer; `stop` is idempotent. */
export class Heartbeat {
  #timer: NodeJS.Timeout | undefined;

  constructor(intervalMs: number, beat: () => void) {
    this.#timer = setInterval(beat, intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
