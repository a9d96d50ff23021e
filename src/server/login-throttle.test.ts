import { describe, expect, it } from 'vitest';
import { ImmuError } from '../common/errors.js';
import { Authenticator, defaultPasswordWarning, peerAddress } from './authenticate.js';
import { LoginThrottle, loginThrottleLimitsDefault } from './login-throttle.js';
import { BcryptPasswordHasher, makeDummyHash, type PasswordHasher } from './password-hash.js';
import type { Clock } from './sessions.js';
import { newUser, type UserRecord } from './users.js';

class FakeClock implements Clock {
  constructor(public ms = 1_000_000) {}
  nowMs(): number {
    return this.ms;
  }
}

/** Counts compares; "hash" is the password itself, so tests run fast. */
class CountingHasher implements PasswordHasher {
  compares: string[] = [];
  async hash(password: string): Promise<string> {
    return `h:${password}`;
  }
  async verify(password: string, hash: string): Promise<boolean> {
    this.compares.push(hash);
    return hash === `h:${password}`;
  }
}

async function errorOf(p: Promise<unknown>): Promise<ImmuError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ImmuError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

function users(hasherHash: (pw: string) => string): Map<string, UserRecord> {
  const alice = newUser({ username: 'alice', hashedPassword: hasherHash('right'), permissions: [], createdBy: 'immudb', atMs: 0 });
  const gone = { ...newUser({ username: 'gone', hashedPassword: hasherHash('right'), permissions: [], createdBy: 'immudb', atMs: 0 }), active: false };
  return new Map([
    ['alice', alice],
    ['gone', gone],
  ]);
}

function setup() {
  const clock = new FakeClock();
  const hasher = new CountingHasher();
  const throttle = new LoginThrottle();
  const table = users((pw) => `h:${pw}`);
  const auth = new Authenticator({ hasher, throttle, clock, dummyHash: 'h:\0dummy', lookupUser: async (u) => table.get(u) });
  return { clock, hasher, throttle, auth };
}

describe('throttle state machine', () => {
  it('locks after the free failures, exponentially, capped, then forgets', () => {
    const t = new LoginThrottle();
    const free = loginThrottleLimitsDefault.failuresFreePerUser;
    let now = 0;
    for (let i = 1; i < free; i += 1) t.recordFailure('u', `peer${i}`, now);
    expect(t.check('u', 'px', now).kind).toBe('proceed');
    t.recordFailure('u', 'px', now);
    expect(t.check('u', 'py', now)).toEqual({ kind: 'throttled', retryAfterMs: 1000 });
    now += 1000;
    expect(t.check('u', 'py', now).kind).toBe('proceed');
    t.recordFailure('u', 'py', now);
    expect(t.check('u', 'pz', now)).toEqual({ kind: 'throttled', retryAfterMs: 2000 });
    for (let i = 0; i < 20; i += 1) t.recordFailure('u', `q${i}`, now);
    expect(t.check('u', 'pz', now)).toEqual({ kind: 'throttled', retryAfterMs: loginThrottleLimitsDefault.lockoutMsMax });
    now += loginThrottleLimitsDefault.failureMemoryMs + loginThrottleLimitsDefault.lockoutMsMax + 1;
    expect(t.check('u', 'pz', now).kind).toBe('proceed');
  });

  it('per peer: many usernames from one address get throttled too', () => {
    const t = new LoginThrottle();
    for (let i = 0; i < loginThrottleLimitsDefault.failuresFreePerPeer; i += 1) t.recordFailure(`user${i}`, '10.0.0.9', 0);
    expect(t.check('fresh', '10.0.0.9', 0).kind).toBe('throttled');
    expect(t.check('fresh', '10.0.0.8', 0).kind).toBe('proceed');
  });

  it('success clears the username key, not the peer key', () => {
    const t = new LoginThrottle({ ...loginThrottleLimitsDefault, failuresFreePerPeer: 3 });
    for (let i = 0; i < 3; i += 1) t.recordFailure('u', 'p', 0);
    t.recordSuccess('u');
    expect(t.check('u', 'other', 0).kind).toBe('proceed');
    expect(t.check('v', 'p', 0).kind).toBe('throttled');
  });

  it('is bounded in memory', () => {
    const t = new LoginThrottle({ ...loginThrottleLimitsDefault, entriesMax: 50 });
    for (let i = 0; i < 1000; i += 1) t.recordFailure(`u${i}`, `p${i}`, 0);
    expect(t.size).toBeLessThanOrEqual(50);
  });
});

describe('authenticate', () => {
  it('right password logs in; the throttle forgives the user', async () => {
    const { auth } = setup();
    expect((await auth.authenticate('alice', 'right', 'ipv4:127.0.0.1:5000')).username).toBe('alice');
  });

  it('unknown user and wrong password are indistinguishable: same code, message, one compare each', async () => {
    const { auth, hasher } = setup();
    const wrong = await errorOf(auth.authenticate('alice', 'bad', '1.1.1.1:1'));
    expect(hasher.compares).toEqual(['h:right']);
    const unknown = await errorOf(auth.authenticate('mallory', 'bad', '1.1.1.2:1'));
    const malformed = await errorOf(auth.authenticate('../etc', 'bad', '1.1.1.3:1'));
    expect(hasher.compares).toEqual(['h:right', 'h:\0dummy', 'h:\0dummy']);
    for (const e of [unknown, malformed]) {
      expect([e.code, e.message, e.grpcStatus]).toEqual([wrong.code, wrong.message, wrong.grpcStatus]);
    }
    expect(wrong.code).toBe('INVALID_CREDENTIALS');
  });

  it('an inactive user is told so only with the right password', async () => {
    const { auth } = setup();
    expect((await errorOf(auth.authenticate('gone', 'bad', 'a:1'))).code).toBe('INVALID_CREDENTIALS');
    const e = await errorOf(auth.authenticate('gone', 'right', 'a:1'));
    expect([e.code, e.message]).toEqual(['PERMISSION_DENIED', 'user is not active']);
  });

  it('1000 wrong passwords get throttled, and cost only a few compares', async () => {
    const { auth, hasher, clock } = setup();
    const codes = new Map<string, number>();
    for (let i = 0; i < 1000; i += 1) {
      clock.ms += 10; // a fast attacker: 100 tries per second
      const e = await errorOf(auth.authenticate('alice', `guess${i}`, `ipv4:203.0.113.7:${40000 + i}`));
      codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
    }
    expect(codes.get('LOGIN_THROTTLED')).toBeGreaterThan(950);
    expect(hasher.compares.length).toBeLessThan(50);
    // Even the right password is refused while locked: the throttle does not check credentials.
    expect((await errorOf(auth.authenticate('alice', 'right', '198.51.100.1:1'))).code).toBe('LOGIN_THROTTLED');
  });

  it('unknown and known usernames are throttled alike', async () => {
    const { auth } = setup();
    const trace = async (user: string): Promise<string[]> => {
      const out: string[] = [];
      for (let i = 0; i < 8; i += 1) out.push((await errorOf(auth.authenticate(user, 'bad', `10.0.${user.length}.${i}:1`))).code);
      return out;
    };
    expect(await trace('alice')).toEqual(await trace('nobody'));
  });

  it('with real bcrypt: same result for unknown user and wrong password, similar time', async () => {
    const hasher = new BcryptPasswordHasher(8);
    const dummyHash = await makeDummyHash(hasher);
    const alice = newUser({ username: 'alice', hashedPassword: await hasher.hash('right'), permissions: [], createdBy: 'immudb', atMs: 0 });
    const clock = new FakeClock();
    const auth = new Authenticator({ hasher, throttle: new LoginThrottle(), clock, dummyHash, lookupUser: async (u) => (u === 'alice' ? alice : undefined) });
    // The fastest of three runs each, so a busy machine does not make the comparison flaky.
    const time = async (user: string): Promise<{ ms: number; code: string }> => {
      let ms = Number.POSITIVE_INFINITY;
      let code = '';
      for (let i = 0; i < 3; i += 1) {
        const t0 = performance.now();
        code = (await errorOf(auth.authenticate(user, 'bad', `${user}:${i}`))).code;
        ms = Math.min(ms, performance.now() - t0);
      }
      return { ms, code };
    };
    const wrong = await time('alice');
    const unknown = await time('mallory');
    expect(wrong.code).toBe(unknown.code);
    expect(unknown.ms).toBeGreaterThan(wrong.ms / 4);
    expect(unknown.ms).toBeLessThan(wrong.ms * 4);
    expect((await auth.authenticate('alice', 'right', 'x:1')).username).toBe('alice');
  });
});

describe('helpers', () => {
  it.each([
    ['ipv4:127.0.0.1:5000', '127.0.0.1'],
    ['127.0.0.1:5000', '127.0.0.1'],
    ['ipv6:[::1]:5000', '::1'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['unix:/tmp/s', 'unix:/tmp/s'],
  ])('peerAddress(%j) = %j', (peer, want) => {
    expect(peerAddress(peer)).toBe(want);
  });

  it('default password warning only for immudb/immudb', () => {
    expect(defaultPasswordWarning('immudb', 'immudb')).toContain('default password');
    expect(defaultPasswordWarning('immudb', 'other')).toBeUndefined();
    expect(defaultPasswordWarning('bob', 'immudb')).toBeUndefined();
  });
});
