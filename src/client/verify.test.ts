// The client's verification steps on golden vectors (real immudb transactions and dual proofs): a
// correct reply verifies and yields the right next state; every tampering the Go client would catch,
// and a few it would not, is PROOF_FAILED; the consistency check fails with STATE_INCONSISTENT.
import { describe, expect, it } from 'vitest';
import { isImmuError, type ErrorCode } from '../common/errors.js';
import { EMPTY_HASH } from '../proof/index.js';
import { encodePlainValue, encodeReferenceValue, encodeKey } from '../proof/kv-encoding.js';
import { alhOf, verifiableEntryFromVectors, verifiableTxFromVectors } from './testing/vector-replies.js';
import { expectedForGet, verifyConsistency, verifyGet, verifyTx, verifyWrite, type ProvenState } from './verify.js';
import type { VerifiableTx } from './decode.js';

const state = (txId: number): ProvenState => ({ txId, txHash: alhOf(txId) });
const kv = (k: string, v: string) => ({ key: encodeKey(Buffer.from(k)), metadata: undefined, value: encodePlainValue(Buffer.from(v)) });

function expectCode(fn: () => unknown, code: ErrorCode): void {
  try {
    fn();
  } catch (err) {
    expect(isImmuError(err, code), String(err)).toBe(true);
    return;
  }
  throw new Error(`expected ${code}`);
}

function flipped(b: Buffer): Buffer {
  const c = Buffer.from(b);
  c[0] = (c[0] ?? 0) ^ 1;
  return c;
}

describe('verifyWrite (VerifiedSet)', () => {
  it('accepts tx 12 proven from trusted tx 11 and from trusted tx 1', () => {
    for (const source of [11, 1]) {
      const next = verifyWrite(state(source), verifiableTxFromVectors(12, source, 12), kv('key12', 'value12'));
      expect(next.txId).toBe(12);
      expect(next.txHash.equals(alhOf(12))).toBe(true);
    }
  });

  it('trusts on first use (state 0) without a dual proof', () => {
    const next = verifyWrite({ txId: 0, txHash: EMPTY_HASH }, verifiableTxFromVectors(12, 11, 12), kv('key12', 'value12'));
    expect(next.txId).toBe(12);
  });

  it('refuses a wrong value, a wrong key, a tampered trusted state and a tampered entry', () => {
    expectCode(() => verifyWrite(state(11), verifiableTxFromVectors(12, 11, 12), kv('key12', 'value13')), 'PROOF_FAILED');
    expectCode(() => verifyWrite(state(11), verifiableTxFromVectors(12, 11, 12), kv('key13', 'value12')), 'PROOF_FAILED');
    expectCode(() => verifyWrite({ txId: 11, txHash: flipped(alhOf(11)) }, verifiableTxFromVectors(12, 11, 12), kv('key12', 'value12')), 'PROOF_FAILED');
    const vtx = verifiableTxFromVectors(12, 11, 12);
    const entry = vtx.tx.entries[0];
    if (entry === undefined) throw new Error('no entry');
    const tampered: VerifiableTx = { ...vtx, tx: { ...vtx.tx, entries: [{ ...entry, hValue: flipped(entry.hValue) }] } };
    expectCode(() => verifyWrite(state(11), tampered, kv('key12', 'value12')), 'PROOF_FAILED');
  });

  it('refuses a tx that is not the proof target, or with more than one entry', () => {
    const vtx = verifiableTxFromVectors(11, 11, 12);
    expectCode(() => verifyWrite(state(11), vtx, kv('key11', 'value11')), 'PROOF_FAILED');
    const multi = verifiableTxFromVectors(2, 1, 2);
    expectCode(() => verifyWrite(state(1), multi, kv('key2', 'value2')), 'PROOF_FAILED');
  });

  it('refuses a write whose trusted state is not linked to the target', () => {
    expectCode(() => verifyWrite(state(10), verifiableTxFromVectors(12, 11, 12), kv('key12', 'value12')), 'PROOF_FAILED');
  });
});

describe('verifyGet (VerifiedGet)', () => {
  it('proves an entry newer than the trusted state (state <= vTx)', () => {
    const ve = verifiableEntryFromVectors(12, 0, 11, 12);
    const next = verifyGet(state(11), Buffer.from('key12'), 0, ve);
    expect(next).toEqual(state(12));
  });

  it('proves an entry older than the trusted state (state > vTx) and keeps the state', () => {
    const ve = verifiableEntryFromVectors(1, 0, 1, 12);
    const next = verifyGet(state(12), Buffer.from('key1'), 0, ve);
    expect(next.txId).toBe(12);
    expect(next.txHash.equals(alhOf(12))).toBe(true);
  });

  it('refuses a changed value, a requested key that differs, and a tampered trusted state', () => {
    const ve = verifiableEntryFromVectors(12, 0, 11, 12);
    const lying = { ...ve, entry: { ...ve.entry, value: Buffer.from('value99') } };
    expectCode(() => verifyGet(state(11), Buffer.from('key12'), 0, lying), 'PROOF_FAILED');
    expectCode(() => verifyGet(state(11), Buffer.from('key11'), 0, ve), 'PROOF_FAILED');
    expectCode(() => verifyGet({ txId: 11, txHash: flipped(alhOf(11)) }, Buffer.from('key12'), 0, ve), 'PROOF_FAILED');
  });

  it('refuses a proof about another tx than the entry\'s', () => {
    const ve = verifiableEntryFromVectors(12, 0, 11, 12);
    const moved = { ...ve, entry: { ...ve.entry, tx: 11 } };
    expectCode(() => verifyGet(state(11), Buffer.from('key12'), 0, moved), 'PROOF_FAILED');
  });

  it('expects the reference entry, not the referenced value, for a reference', () => {
    const ve = verifiableEntryFromVectors(12, 0, 11, 12);
    const viaRef = {
      ...ve,
      entry: { ...ve.entry, referencedBy: { tx: 3, key: Buffer.from('ref1'), atTx: 1, metadata: undefined, revision: 1 } },
    };
    const exp = expectedForGet(Buffer.from('ref1'), viaRef);
    expect(exp.key.equals(encodeKey(Buffer.from('ref1')))).toBe(true);
    expect(exp.value.equals(encodeReferenceValue(Buffer.from('key12'), 1))).toBe(true);
  });
});

describe('verifyTx (VerifiedTxById)', () => {
  it('proves tx 7 from trusted tx 2, and rebuilds its Eh from the entries', () => {
    expect(verifyTx(state(2), 7, verifiableTxFromVectors(7, 2, 7))).toEqual(state(7));
  });

  it('proves a tx older than the trusted state (reference tx 3 under trusted tx 9)', () => {
    expect(verifyTx(state(9), 3, verifiableTxFromVectors(3, 3, 9))).toEqual(state(9));
  });

  it('refuses a reply carrying another tx than the one asked for', () => {
    expectCode(() => verifyTx(state(3), 9, verifiableTxFromVectors(3, 3, 9)), 'PROOF_FAILED');
  });

  it('refuses entries that do not rebuild Eh', () => {
    const vtx = verifiableTxFromVectors(7, 2, 7);
    const entry = vtx.tx.entries[0];
    if (entry === undefined) throw new Error('no entry');
    const tampered: VerifiableTx = { ...vtx, tx: { ...vtx.tx, entries: [{ ...entry, key: Buffer.from('00666f6f', 'hex') }] } };
    expectCode(() => verifyTx(state(2), 7, tampered), 'PROOF_FAILED');
  });
});

describe('verifyConsistency (verifyState)', () => {
  it('accepts a current state proven to extend the saved one', () => {
    expect(() => verifyConsistency(state(6), state(12), verifiableTxFromVectors(12, 6, 12))).not.toThrow();
  });

  it('is STATE_INCONSISTENT for a tampered saved state or a current state the proof does not reach', () => {
    const vtx = verifiableTxFromVectors(12, 6, 12);
    expectCode(() => verifyConsistency({ txId: 6, txHash: flipped(alhOf(6)) }, state(12), vtx), 'STATE_INCONSISTENT');
    expectCode(() => verifyConsistency(state(6), { txId: 12, txHash: flipped(alhOf(12)) }, vtx), 'STATE_INCONSISTENT');
  });
});
