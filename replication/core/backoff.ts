// Bounded, jittered reconnect delays with a seeded PRNG, so a replica's retry schedule is reproducible
// in tests and spread out in production (drivers seed from crypto randomness). No clocks here.
import { assert } from '../../src/common/assert.js';
import { reconnectDelayMsMax, reconnectDelayMsMin, reconnectJitterFractionMax } from './limits.js';

export interface RandomDraw {
  /** Uniform in [0, 1). */
  readonly value: number;
  readonly seed: number;
}

/** mulberry32: a 32-bit state PRNG; small, fast, and good enough for jitter. */
export function nextRandom(seed: number): RandomDraw {
  const s = (seed + 0x6d2b79f5) >>> 0;
  let t = s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  const value = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  return { value, seed: s };
}

/** Delay before reconnect attempt number `failures` (>= 1): min(min·2^(f-1), max), minus up to the jitter fraction. */
export function reconnectDelayMs(failures: number, random01: number): number {
  assert(Number.isSafeInteger(failures) && failures >= 1, 'reconnectDelayMs needs failures >= 1');
  assert(random01 >= 0 && random01 < 1, 'random01 must be in [0, 1)');
  const exponent = Math.min(failures - 1, 30);
  const base = Math.min(reconnectDelayMsMin * 2 ** exponent, reconnectDelayMsMax);
  const delay = Math.floor(base * (1 - reconnectJitterFractionMax * random01));
  assert(delay >= Math.floor(reconnectDelayMsMin * (1 - reconnectJitterFractionMax)) && delay <= reconnectDelayMsMax, 'delay within bounds');
  return delay;
}
