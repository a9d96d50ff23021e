// The periodic consistency check with real dual proofs from an in-memory history.
import { describe, expect, it } from 'vitest';
import { buildDualProof, MemoryProofHistory } from '../../src/proof/index.js';
import { checkConsistencyProof } from './consistency.js';
import { TestHistory } from './testing/history.js';

const p = new TestHistory('p').append(9, 'p');
const q = p.fork('q', 4).append(5, 'q');

async function proofHistory(h: TestHistory): Promise<MemoryProofHistory> {
  const m = new MemoryProofHistory();
  for (let id = 1; id <= h.size; id++) m.append(h.tx(id).header);
  return m;
}

describe('checkConsistencyProof', () => {
  it('accepts a real dual proof and rejects it for a divergent local state', async () => {
    const m = await proofHistory(p);
    const proof = await buildDualProof(m, p.tx(5).header, p.tx(9).header);
    expect(checkConsistencyProof(p.ref(5), p.ref(9), proof).kind).toBe('ok');
    expect(checkConsistencyProof(q.ref(5), p.ref(9), proof).kind).toBe('mismatch');
  });

  it('compares directly at the same tx and waits when the primary is behind', () => {
    expect(checkConsistencyProof(p.ref(4), p.ref(4), undefined).kind).toBe('ok');
    expect(checkConsistencyProof(q.ref(6), p.ref(6), undefined).kind).toBe('mismatch');
    expect(checkConsistencyProof(p.ref(6), p.ref(5), undefined).kind).toBe('unavailable');
    expect(checkConsistencyProof(p.ref(5), p.ref(9), undefined).kind).toBe('unavailable');
  });
});
