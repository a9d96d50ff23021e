// Lag from observations: tx distance and the age of the oldest primary-committed tx still missing here.
import { describe, expect, it } from 'vitest';
import { computeLag, pruneLagSamples, recordPrimaryCommitted } from './lag.js';
import { lagSamplesMax } from './limits.js';

describe('lag', () => {
  it('measures from the first sighting of the oldest missing tx', () => {
    let s = recordPrimaryCommitted([], 5, 100);
    s = recordPrimaryCommitted(s, 5, 150); // no increase: ignored
    s = recordPrimaryCommitted(s, 9, 200);
    expect(computeLag(s, 9, 3, 250)).toEqual({ lagTxs: 6, lagMs: 150 });
    expect(computeLag(s, 9, 5, 250)).toEqual({ lagTxs: 4, lagMs: 50 });
    expect(computeLag(s, 9, 9, 250)).toEqual({ lagTxs: 0, lagMs: 0 });
    expect(pruneLagSamples(s, 5)).toEqual([{ txId: 9, seenAtMs: 200 }]);
    expect(pruneLagSamples(s, 9)).toEqual([]);
  });

  it('stays bounded and keeps the oldest sample', () => {
    let s = recordPrimaryCommitted([], 1, 0);
    for (let i = 2; i < 500; i++) s = recordPrimaryCommitted(s, i, i);
    expect(s.length).toBe(lagSamplesMax);
    expect(s[0]).toEqual({ txId: 1, seenAtMs: 0 });
    expect(computeLag(s, 499, 0, 1000).lagMs).toBe(1000);
  });

  it('never reports negative time when a wall clock steps back', () => {
    expect(computeLag([{ txId: 3, seenAtMs: 100 }], 3, 1, 50).lagMs).toBe(0);
  });
});
