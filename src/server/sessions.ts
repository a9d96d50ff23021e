// Who is logged in: sessions (OpenSession/KeepAlive/CloseSession, `sessionid` header) and legacy
// bearer tokens (Login/UseDatabase/Logout, `authorization: Bearer`). Both live only in memory and die
// with the process, as immudb's do. Tokens are opaque random strings (not PASETO: clients never parse
// them) bound to a user and optionally a database, with an absolute expiry. `endUser` drops every
// session and token of a user at once (password, permission or active-flag change). Time enters via
// the injected clock; a guard timer at the edge calls `sweep`. No I/O, no timers in here.
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { assert } from '../common/assert.js';
import { ImmuError } from '../common/errors.js';
import {
  legacyTokenBytes,
  legacyTokenTtlMsDefault,
  legacyTokensMax,
  sessionAgeMsMaxDefault,
  sessionIdBytes,
  sessionIdleTimeoutMsDefault,
  sessionsMaxDefault,
} from './limits.js';

export interface Clock {
  /** Unix ms. */
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

export interface SessionLimits {
  readonly idleTimeoutMs: number;
  readonly ageMsMax: number;
  readonly sessionsMax: number;
  readonly tokenTtlMs: number;
  readonly tokensMax: number;
}

export const sessionLimitsDefault: SessionLimits = {
  idleTimeoutMs: sessionIdleTimeoutMsDefault,
  ageMsMax: sessionAgeMsMaxDefault,
  sessionsMax: sessionsMaxDefault,
  tokenTtlMs: legacyTokenTtlMsDefault,
  tokensMax: legacyTokensMax,
};

export interface Session {
  readonly id: string;
  readonly username: string;
  readonly database: string;
  readonly createdAtMs: number;
  readonly lastActivityMs: number;
}

export interface TokenGrant {
  readonly username: string;
  /** Undefined: logged in, no database selected yet. */
  readonly database: string | undefined;
  readonly expiresAtMs: number;
}

export interface SessionManagerOptions {
  readonly clock: Clock;
  readonly limits?: Partial<SessionLimits>;
  readonly randomBytes?: (n: number) => Buffer;
}

export class SessionManager {
  readonly #clock: Clock;
  readonly #limits: SessionLimits;
  readonly #random: (n: number) => Buffer;
  readonly #sessions = new Map<string, Session>();
  readonly #tokens = new Map<string, TokenGrant>();

  constructor(opts: SessionManagerOptions) {
    this.#clock = opts.clock;
    this.#limits = { ...sessionLimitsDefault, ...opts.limits };
    this.#random = opts.randomBytes ?? cryptoRandomBytes;
  }

  /** OpenSession, after the credentials and database access are checked. */
  openSession(username: string, database: string): Session {
    const now = this.#clock.nowMs();
    if (this.#sessions.size >= this.#limits.sessionsMax) this.#expireSessions(now);
    if (this.#sessions.size >= this.#limits.sessionsMax) {
      throw new ImmuError('TOO_MANY_SESSIONS', 'max sessions number reached');
    }
    const id = this.#newId(sessionIdBytes, this.#sessions);
    const session: Session = { id, username, database, createdAtMs: now, lastActivityMs: now };
    this.#sessions.set(id, session);
    return session;
  }

  /** Every call carrying a session id: look it up and refresh its activity time (keep-alive). */
  touchSession(id: string): Session {
    const now = this.#clock.nowMs();
    const s = this.#liveSession(id, now);
    const touched = { ...s, lastActivityMs: now };
    this.#sessions.set(id, touched);
    return touched;
  }

  /** UseDatabase under session auth rebinds the session. */
  setSessionDatabase(id: string, database: string): Session {
    const s = this.#liveSession(id, this.#clock.nowMs());
    const moved = { ...s, database };
    this.#sessions.set(id, moved);
    return moved;
  }

  closeSession(id: string): void {
    if (!this.#sessions.delete(id)) throw new ImmuError('UNAUTHENTICATED', 'no session found');
  }

  /** Login (database undefined) and UseDatabase: a fresh bearer token. */
  issueToken(username: string, database: string | undefined): string {
    const now = this.#clock.nowMs();
    if (this.#tokens.size >= this.#limits.tokensMax) this.#expireTokens(now);
    if (this.#tokens.size >= this.#limits.tokensMax) {
      throw new ImmuError('TOO_MANY_SESSIONS', 'max logged-in tokens number reached');
    }
    const token = this.#newId(legacyTokenBytes, this.#tokens);
    this.#tokens.set(token, { username, database, expiresAtMs: now + this.#limits.tokenTtlMs });
    return token;
  }

  resolveToken(token: string): TokenGrant {
    const grant = this.#tokens.get(token);
    if (grant === undefined) throw new ImmuError('UNAUTHENTICATED', 'not logged in');
    if (this.#clock.nowMs() >= grant.expiresAtMs) {
      this.#tokens.delete(token);
      throw new ImmuError('UNAUTHENTICATED', 'token has expired');
    }
    return grant;
  }

  /** Logout: the presented token stops working. Unknown tokens are ignored (idempotent). */
  revokeToken(token: string): void {
    this.#tokens.delete(token);
  }

  /** A user's password, permissions or active flag changed: every session and token ends now. */
  endUser(username: string): { readonly sessions: number; readonly tokens: number } {
    let sessions = 0;
    let tokens = 0;
    for (const [id, s] of this.#sessions) {
      if (s.username === username) {
        this.#sessions.delete(id);
        sessions += 1;
      }
    }
    for (const [t, g] of this.#tokens) {
      if (g.username === username) {
        this.#tokens.delete(t);
        tokens += 1;
      }
    }
    return { sessions, tokens };
  }

  /** The guard: drop idle or too old sessions and expired tokens; returns the closed sessions. */
  sweep(): Session[] {
    const now = this.#clock.nowMs();
    this.#expireTokens(now);
    return this.#expireSessions(now);
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  get tokenCount(): number {
    return this.#tokens.size;
  }

  #liveSession(id: string, now: number): Session {
    const s = this.#sessions.get(id);
    if (s === undefined) throw new ImmuError('UNAUTHENTICATED', 'no session found');
    if (this.#isExpired(s, now)) {
      this.#sessions.delete(id);
      throw new ImmuError('UNAUTHENTICATED', 'no session found');
    }
    return s;
  }

  #isExpired(s: Session, now: number): boolean {
    return now - s.lastActivityMs > this.#limits.idleTimeoutMs || now - s.createdAtMs > this.#limits.ageMsMax;
  }

  #expireSessions(now: number): Session[] {
    const closed: Session[] = [];
    for (const [id, s] of this.#sessions) {
      if (this.#isExpired(s, now)) {
        this.#sessions.delete(id);
        closed.push(s);
      }
    }
    return closed;
  }

  #expireTokens(now: number): void {
    for (const [t, g] of this.#tokens) if (now >= g.expiresAtMs) this.#tokens.delete(t);
  }

  #newId(bytes: number, taken: ReadonlyMap<string, unknown>): string {
    const id = this.#random(bytes).toString('base64url');
    assert(id.length >= Math.floor((bytes * 4) / 3) && !taken.has(id), 'fresh random id');
    return id;
  }
}
