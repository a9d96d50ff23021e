// primarySignatureFailure: the pure check of a primary's signed state against the configured key.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signState } from '../../src/proof/state-signature.js';
import { primarySignatureFailure, type PrimarySignedState } from './primary-state-check.js';

const a = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const b = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const alh = Buffer.alloc(32, 7);

function state(signer: typeof a | undefined, db = 'repl', txId = 5): PrimarySignedState {
  return { db, committed: { txId, alh }, signature: signer === undefined ? undefined : signState(signer.privateKey, db, txId, alh) };
}

describe('primarySignatureFailure', () => {
  it('accepts a state signed by the trusted key', () => {
    expect(primarySignatureFailure(a.publicKey, 'repl', state(a))).toBeUndefined();
  });
  it('refuses an unsigned state', () => {
    expect(primarySignatureFailure(a.publicKey, 'repl', state(undefined))).toMatch(/is not signed/);
  });
  it('refuses a state signed by another key, and says so', () => {
    expect(primarySignatureFailure(a.publicKey, 'repl', state(b))).toMatch(/signed by a different key/);
  });
  it('refuses a signature over another database or another tx', () => {
    expect(primarySignatureFailure(a.publicKey, 'repl', state(a, 'other'))).toMatch(/does not verify/);
    const s = state(a);
    expect(primarySignatureFailure(a.publicKey, 'repl', { ...s, committed: { txId: 6, alh } })).toMatch(/does not verify/);
  });
});
