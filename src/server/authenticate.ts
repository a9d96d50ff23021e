// The credential check behind Login and OpenSession: throttle, look the user up, always run one
// bcrypt compare (against a dummy hash when the user is unknown or the name malformed), and fail
// with the same INVALID_CREDENTIALS error either way, so the caller cannot tell "no such user" from
// "wrong password" by result, code, message or time. Only a caller who knows the password learns that
// a user is inactive. I/O (the user lookup) is injected; time comes from the injected clock.
import { ImmuError } from '../common/errors.js';
import type { Clock } from './sessions.js';
import type { LoginThrottle } from './login-throttle.js';
import { SYSADMIN_USERNAME, validateUsername } from './names.js';
import type { PasswordHasher } from './password-hash.js';
import type { UserRecord } from './users.js';

/** The built-in default password of `immudb`; logging in with it earns a warning. */
export const DEFAULT_ADMIN_PASSWORD = 'immudb';
export const DEFAULT_PASSWORD_WARNING =
  'immudb user has the default password: please change it to ensure proper security';

export interface AuthenticatorDeps {
  readonly hasher: PasswordHasher;
  readonly throttle: LoginThrottle;
  readonly clock: Clock;
  /** Same cost as real hashes (makeDummyHash). */
  readonly dummyHash: string;
  readonly lookupUser: (username: string) => Promise<UserRecord | undefined>;
}

export class Authenticator {
  readonly #deps: AuthenticatorDeps;

  constructor(deps: AuthenticatorDeps) {
    this.#deps = deps;
  }

  /**
   * Resolve credentials to an active user. Throws LOGIN_THROTTLED, INVALID_CREDENTIALS, or
   * PERMISSION_DENIED ("user is not active", only after a correct password).
   */
  async authenticate(username: string, password: string, peer: string): Promise<UserRecord> {
    const { hasher, throttle, clock } = this.#deps;
    const peerKey = peerAddress(peer);
    const decision = throttle.check(username, peerKey, clock.nowMs());
    if (decision.kind === 'throttled') {
      throw new ImmuError('LOGIN_THROTTLED', 'too many failed logins; retry later', {
        retryAfterMs: decision.retryAfterMs,
      });
    }
    const user = isValidUsername(username) ? await this.#deps.lookupUser(username) : undefined;
    const ok = await hasher.verify(password, user?.hashedPassword ?? this.#deps.dummyHash);
    if (!ok || user === undefined) {
      throttle.recordFailure(username, peerKey, clock.nowMs());
      throw new ImmuError('INVALID_CREDENTIALS', 'invalid user name or password');
    }
    throttle.recordSuccess(username);
    if (!user.active) throw new ImmuError('PERMISSION_DENIED', 'user is not active');
    return user;
  }
}

function isValidUsername(username: string): boolean {
  try {
    validateUsername(username);
    return true;
  } catch {
    return false;
  }
}

/** The warning Login returns when `immudb` still has the built-in password. */
export function defaultPasswordWarning(username: string, password: string): string | undefined {
  return username === SYSADMIN_USERNAME && password === DEFAULT_ADMIN_PASSWORD ? DEFAULT_PASSWORD_WARNING : undefined;
}

/**
 * The address part of a gRPC peer string ("ipv4:1.2.3.4:5678", "1.2.3.4:5678", "[::1]:5678",
 * "unix:/path"), so the throttle keys on the client address, not on each connection's port.
 */
export function peerAddress(peer: string): string {
  const p = peer.replace(/^(ipv4|ipv6):/, '');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(p);
  if (bracketed?.[1] !== undefined) return bracketed[1];
  const v4 = /^([^:]+):\d+$/.exec(p);
  if (v4?.[1] !== undefined) return v4[1];
  return p;
}
