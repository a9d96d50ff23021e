// Throttling of failed logins, per username and per peer address, as a pure state machine with time
// as an input. After `free` failures a key is locked for base * 2^(failures - free) ms (capped); a
// failure-free period forgets the key; a success clears the USERNAME key only (clearing the peer key
// would let one valid account reset an address's budget). Unknown and existing usernames are
// throttled alike, so the throttle itself reveals nothing. The map is bounded: when full, the
// oldest-touched key is dropped. It does not hash or check passwords (see authenticate.ts).
import {
  loginFailureMemoryMs,
  loginFailuresFreePerPeer,
  loginFailuresFreePerUser,
  loginLockoutMsBase,
  loginLockoutMsMax,
  loginThrottleEntriesMax,
} from './limits.js';

export interface LoginThrottleLimits {
  readonly failuresFreePerUser: number;
  readonly failuresFreePerPeer: number;
  readonly lockoutMsBase: number;
  readonly lockoutMsMax: number;
  readonly failureMemoryMs: number;
  readonly entriesMax: number;
}

export const loginThrottleLimitsDefault: LoginThrottleLimits = {
  failuresFreePerUser: loginFailuresFreePerUser,
  failuresFreePerPeer: loginFailuresFreePerPeer,
  lockoutMsBase: loginLockoutMsBase,
  lockoutMsMax: loginLockoutMsMax,
  failureMemoryMs: loginFailureMemoryMs,
  entriesMax: loginThrottleEntriesMax,
};

interface Entry {
  failures: number;
  lastFailureMs: number;
  lockedUntilMs: number;
}

export type ThrottleDecision = { readonly kind: 'proceed' } | { readonly kind: 'throttled'; readonly retryAfterMs: number };

export class LoginThrottle {
  readonly #limits: LoginThrottleLimits;
  readonly #entries = new Map<string, Entry>();

  constructor(limits: LoginThrottleLimits = loginThrottleLimitsDefault) {
    this.#limits = limits;
  }

  /** Ask before checking credentials. */
  check(username: string, peer: string, nowMs: number): ThrottleDecision {
    const wait = Math.max(this.#waitMs(userKey(username), nowMs), this.#waitMs(peerKey(peer), nowMs));
    return wait > 0 ? { kind: 'throttled', retryAfterMs: wait } : { kind: 'proceed' };
  }

  recordFailure(username: string, peer: string, nowMs: number): void {
    this.#fail(userKey(username), this.#limits.failuresFreePerUser, nowMs);
    this.#fail(peerKey(peer), this.#limits.failuresFreePerPeer, nowMs);
  }

  recordSuccess(username: string): void {
    this.#entries.delete(userKey(username));
  }

  get size(): number {
    return this.#entries.size;
  }

  #waitMs(key: string, nowMs: number): number {
    const e = this.#live(key, nowMs);
    return e === undefined ? 0 : Math.max(0, e.lockedUntilMs - nowMs);
  }

  #live(key: string, nowMs: number): Entry | undefined {
    const e = this.#entries.get(key);
    if (e !== undefined && nowMs - e.lastFailureMs > this.#limits.failureMemoryMs && nowMs >= e.lockedUntilMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return e;
  }

  #fail(key: string, free: number, nowMs: number): void {
    const e = this.#live(key, nowMs) ?? { failures: 0, lastFailureMs: nowMs, lockedUntilMs: 0 };
    e.failures += 1;
    e.lastFailureMs = nowMs;
    if (e.failures >= free) {
      const exponent = Math.min(e.failures - free, 30);
      e.lockedUntilMs = nowMs + Math.min(this.#limits.lockoutMsBase * 2 ** exponent, this.#limits.lockoutMsMax);
    }
    this.#entries.delete(key); // re-insert: Map order is our "oldest touched first"
    this.#entries.set(key, e);
    while (this.#entries.size > this.#limits.entriesMax) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }
}

function userKey(username: string): string {
  return `u:${username}`;
}

function peerKey(peer: string): string {
  return `p:${peer}`;
}
