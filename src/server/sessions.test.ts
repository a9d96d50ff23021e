import { describe, expect, it } from 'vitest';
import { ImmuError } from '../common/errors.js';
import { SessionManager, type Clock } from './sessions.js';

class FakeClock implements Clock {
  constructor(public ms = 1_000_000) {}
  nowMs(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (e instanceof ImmuError) return e.code;
    throw e;
  }
}

function setup(limits: ConstructorParameters<typeof SessionManager>[0]['limits'] = {}) {
  const clock = new FakeClock();
  const m = new SessionManager({ clock, limits: { idleTimeoutMs: 120_000, sessionsMax: 3, tokenTtlMs: 60_000, ...limits } });
  return { clock, m };
}

describe('sessions', () => {
  it('open: 32 random bytes, base64url; lookup returns the binding', () => {
    const { m } = setup();
    const s = m.openSession('alice', 'db1');
    expect(s.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(s.id, 'base64url')).toHaveLength(32);
    expect(m.touchSession(s.id)).toMatchObject({ username: 'alice', database: 'db1' });
    expect(m.openSession('alice', 'db1').id).not.toBe(s.id);
  });

  it('idle timeout: activity keeps a session alive, silence ends it', () => {
    const { clock, m } = setup();
    const s = m.openSession('alice', 'db1');
    for (let i = 0; i < 5; i += 1) {
      clock.advance(100_000);
      m.touchSession(s.id);
    }
    clock.advance(120_000);
    expect(m.touchSession(s.id).id).toBe(s.id); // exactly at the limit: still alive
    clock.advance(120_001);
    expect(codeOf(() => m.touchSession(s.id))).toBe('UNAUTHENTICATED');
    expect(m.sessionCount).toBe(0);
  });

  it('sweep closes idle sessions and returns them', () => {
    const { clock, m } = setup();
    const a = m.openSession('alice', 'db1');
    clock.advance(60_000);
    const b = m.openSession('bob', 'db1');
    clock.advance(61_000);
    expect(m.sweep().map((s) => s.id)).toEqual([a.id]);
    expect(m.touchSession(b.id).username).toBe('bob');
  });

  it('max age ends even an active session', () => {
    const { clock, m } = setup({ ageMsMax: 300_000 });
    const s = m.openSession('alice', 'db1');
    for (let i = 0; i < 3; i += 1) {
      clock.advance(100_000);
      m.touchSession(s.id);
    }
    clock.advance(100_000);
    expect(codeOf(() => m.touchSession(s.id))).toBe('UNAUTHENTICATED');
  });

  it('max sessions: refused when full, room again after close or expiry', () => {
    const { clock, m } = setup();
    const a = m.openSession('u', 'd');
    m.openSession('u', 'd');
    m.openSession('u', 'd');
    expect(codeOf(() => m.openSession('u', 'd'))).toBe('TOO_MANY_SESSIONS');
    m.closeSession(a.id);
    m.openSession('u', 'd');
    clock.advance(200_000);
    expect(codeOf(() => m.openSession('u', 'd'))).toBeUndefined(); // expired ones are reclaimed
    expect(m.sessionCount).toBe(1);
  });

  it('close: unknown or closed session is "no session found"', () => {
    const { m } = setup();
    const s = m.openSession('u', 'd');
    m.closeSession(s.id);
    expect(codeOf(() => m.closeSession(s.id))).toBe('UNAUTHENTICATED');
    expect(codeOf(() => m.touchSession('nope'))).toBe('UNAUTHENTICATED');
  });

  it('UseDatabase rebinds a session', () => {
    const { m } = setup();
    const s = m.openSession('u', 'db1');
    m.setSessionDatabase(s.id, 'db2');
    expect(m.touchSession(s.id).database).toBe('db2');
  });
});

describe('legacy tokens', () => {
  it('Login token has no database; UseDatabase token has one; both resolve', () => {
    const { m } = setup();
    const login = m.issueToken('alice', undefined);
    const use = m.issueToken('alice', 'db1');
    expect(login).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(m.resolveToken(login)).toMatchObject({ username: 'alice', database: undefined });
    expect(m.resolveToken(use)).toMatchObject({ username: 'alice', database: 'db1' });
  });

  it('expiry is absolute', () => {
    const { clock, m } = setup();
    const t = m.issueToken('alice', 'db1');
    clock.advance(59_999);
    m.resolveToken(t);
    clock.advance(1);
    expect(codeOf(() => m.resolveToken(t))).toBe('UNAUTHENTICATED');
  });

  it('Logout invalidates the token and is idempotent; others keep working', () => {
    const { m } = setup();
    const t1 = m.issueToken('alice', 'db1');
    const t2 = m.issueToken('alice', 'db1');
    m.revokeToken(t1);
    m.revokeToken(t1);
    expect(codeOf(() => m.resolveToken(t1))).toBe('UNAUTHENTICATED');
    expect(m.resolveToken(t2).username).toBe('alice');
    expect(codeOf(() => m.resolveToken(''))).toBe('UNAUTHENTICATED');
  });

  it('token table is bounded; expired tokens are reclaimed', () => {
    const { clock, m } = setup({ tokensMax: 2 });
    m.issueToken('a', undefined);
    m.issueToken('a', undefined);
    expect(codeOf(() => m.issueToken('a', undefined))).toBe('TOO_MANY_SESSIONS');
    clock.advance(60_000);
    expect(codeOf(() => m.issueToken('a', undefined))).toBeUndefined();
    expect(m.tokenCount).toBe(1);
  });
});

describe('a password, permission or active change ends that user at once', () => {
  it('endUser drops all sessions and tokens of that user only', () => {
    const { m } = setup({ sessionsMax: 10 });
    const s1 = m.openSession('alice', 'db1');
    const s2 = m.openSession('alice', 'db2');
    const sb = m.openSession('bob', 'db1');
    const t1 = m.issueToken('alice', undefined);
    const t2 = m.issueToken('alice', 'db1');
    const tb = m.issueToken('bob', 'db1');
    expect(m.endUser('alice')).toEqual({ sessions: 2, tokens: 2 });
    for (const id of [s1.id, s2.id]) expect(codeOf(() => m.touchSession(id))).toBe('UNAUTHENTICATED');
    for (const t of [t1, t2]) expect(codeOf(() => m.resolveToken(t))).toBe('UNAUTHENTICATED');
    expect(m.touchSession(sb.id).username).toBe('bob');
    expect(m.resolveToken(tb).username).toBe('bob');
    expect(m.endUser('alice')).toEqual({ sessions: 0, tokens: 0 });
  });
});
