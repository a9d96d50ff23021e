// Reconnect delays: doubling, capped, jittered downwards only, and reproducible from the seed.
import { describe, expect, it } from 'vitest';
import { nextRandom, reconnectDelayMs } from './backoff.js';
import { reconnectDelayMsMax, reconnectDelayMsMin, reconnectJitterFractionMax } from './limits.js';

describe('reconnectDelayMs', () => {
  it('doubles from the minimum and stops at the maximum', () => {
    expect(reconnectDelayMs(1, 0)).toBe(reconnectDelayMsMin);
    expect(reconnectDelayMs(2, 0)).toBe(2 * reconnectDelayMsMin);
    expect(reconnectDelayMs(60, 0)).toBe(reconnectDelayMsMax);
  });

  it('stays within [base·(1 - jitter), base] for every draw', () => {
    let seed = 7;
    for (let f = 1; f < 40; f++) {
      const d = nextRandom(seed);
      seed = d.seed;
      const base = Math.min(reconnectDelayMsMin * 2 ** (f - 1), reconnectDelayMsMax);
      const delay = reconnectDelayMs(f, d.value);
      expect(delay).toBeLessThanOrEqual(base);
      expect(delay).toBeGreaterThanOrEqual(Math.floor(base * (1 - reconnectJitterFractionMax)));
    }
  });

  it('is deterministic per seed and spreads values', () => {
    const seq = (seed: number): number[] => {
      const out: number[] = [];
      for (let i = 0; i < 5; i++) {
        const d = nextRandom(seed);
        seed = d.seed;
        out.push(d.value);
      }
      return out;
    };
    expect(seq(1)).toEqual(seq(1));
    expect(seq(1)).not.toEqual(seq(2));
    expect(new Set(seq(3)).size).toBe(5);
  });

  it('rejects nonsense', () => {
    expect(() => reconnectDelayMs(0, 0)).toThrow(/failures/);
    expect(() => reconnectDelayMs(1, 1)).toThrow(/random01/);
  });
});
