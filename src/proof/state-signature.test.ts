// State signatures against state_signature.json (real pkg/signer output) plus key loading, sign/verify
// round trips and totality of the verifier. Finding: immudb signs with ECDSA-SHA256 over the payload,
// i.e. the ECDSA digest is H(payload) — hashed once, not twice.
import { createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256 } from './hash.js';
import {
  loadPublicKey,
  loadSigningKey,
  publicKeyFromPoint,
  publicKeyPoint,
  signState,
  stateSigningPayload,
  verifyStateSignature,
} from './state-signature.js';
import { hexBuf, loadVector } from './test-vectors.js';

interface SignatureVector {
  readonly curve: string;
  readonly privateKeyD: string;
  readonly publicKeyUncompressed: string;
  readonly signedPayload: string;
  readonly sha256OfPayload: string;
  readonly signatureDER: string;
  readonly state: { readonly db: string; readonly txId: number; readonly txHash: string };
  readonly verifies: boolean;
  readonly verifiesWithFlippedPayloadBit: boolean;
}

const v = loadVector<SignatureVector>('state_signature.json');
const { db, txId } = v.state;
const alh = hexBuf(v.state.txHash);
const point = hexBuf(v.publicKeyUncompressed);
const sig = hexBuf(v.signatureDER);

function vectorPrivateKey(): KeyObject {
  return createPrivateKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      d: hexBuf(v.privateKeyD).toString('base64url'),
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33).toString('base64url'),
    },
    format: 'jwk',
  });
}

describe('state signature (state_signature.json)', () => {
  it('payload = u32 len(db) ‖ db ‖ u64 txId ‖ alh', () => {
    expect(v.curve).toBe('P-256');
    const p = stateSigningPayload(db, txId, alh);
    expect(p.toString('hex')).toBe(v.signedPayload);
    expect(p.length).toBe(53);
    expect(sha256(p).toString('hex')).toBe(v.sha256OfPayload);
  });

  it('the real signature verifies, with the key as a 65-byte point or a KeyObject', () => {
    expect(v.verifies).toBe(true);
    expect(verifyStateSignature(point, db, txId, alh, sig)).toBe(true);
    expect(verifyStateSignature(publicKeyFromPoint(point), db, txId, alh, sig)).toBe(true);
  });

  it('a flipped payload bit does not verify', () => {
    expect(v.verifiesWithFlippedPayloadBit).toBe(false);
    const flippedAlh = Buffer.from(alh);
    flippedAlh[31] = (flippedAlh[31] as number) ^ 0x01;
    expect(verifyStateSignature(point, db, txId, flippedAlh, sig)).toBe(false);
    expect(verifyStateSignature(point, db, txId + 1, alh, sig)).toBe(false);
    expect(verifyStateSignature(point, 'defaultdc', txId, alh, sig)).toBe(false);
  });

  it('immudb hashes once: ECDSA-SHA256 over H(payload) would not verify', async () => {
    const { verify } = await import('node:crypto');
    const key = publicKeyFromPoint(point);
    expect(verify('sha256', stateSigningPayload(db, txId, alh), key, sig)).toBe(true);
    expect(verify('sha256', sha256(stateSigningPayload(db, txId, alh)), key, sig)).toBe(false);
  });

  it('the fixed private key yields the vector public key, and signState round-trips', () => {
    const key = vectorPrivateKey();
    expect(publicKeyPoint(key).toString('hex')).toBe(v.publicKeyUncompressed);
    const out = signState(key, db, txId, alh);
    expect(out.publicKey.toString('hex')).toBe(v.publicKeyUncompressed);
    expect(out.signature[0]).toBe(0x30); // DER SEQUENCE
    expect(verifyStateSignature(point, db, txId, alh, out.signature)).toBe(true);
    expect(verifyStateSignature(out.publicKey, db, txId, alh, out.signature)).toBe(true);
    expect(verifyStateSignature(point, db, txId + 1, alh, out.signature)).toBe(false);
  });

  it('loads SEC1 and PKCS8 private keys and PKIX public keys from PEM', () => {
    const key = vectorPrivateKey();
    const sec1 = key.export({ type: 'sec1', format: 'pem' }).toString();
    const pkcs8 = key.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(sec1).toContain('BEGIN EC PRIVATE KEY');
    for (const pem of [sec1, pkcs8]) {
      const loaded = loadSigningKey(pem);
      expect(publicKeyPoint(loaded).equals(point)).toBe(true);
      expect(verifyStateSignature(point, db, txId, alh, signState(loaded, db, txId, alh).signature)).toBe(true);
    }
    const spki = publicKeyFromPoint(point).export({ type: 'spki', format: 'pem' }).toString();
    const pub = loadPublicKey(spki);
    expect(verifyStateSignature(pub, db, txId, alh, sig)).toBe(true);
    expect(() => loadPublicKey(sec1)).toThrow();
    expect(() => loadSigningKey(spki)).toThrow();
    expect(() => loadSigningKey('not a pem')).toThrow();
  });

  it('refuses keys that are not P-256', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const ed = generateKeyPairSync('ed25519');
    expect(() => loadSigningKey(p384.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())).toThrow();
    expect(() => loadPublicKey(ed.publicKey.export({ type: 'spki', format: 'pem' }).toString())).toThrow();
    expect(() => signState(p384.privateKey, db, txId, alh)).toThrow();
    const p384sig = sign('sha256', stateSigningPayload(db, txId, alh), p384.privateKey);
    expect(verifyStateSignature(p384.publicKey, db, txId, alh, p384sig)).toBe(false);
  });

  it('verifyStateSignature never throws', () => {
    const offCurve = Buffer.from(point);
    offCurve[64] = (offCurve[64] as number) ^ 0x01;
    const bad: [string, () => boolean][] = [
      ['point off the curve', () => verifyStateSignature(offCurve, db, txId, alh, sig)],
      ['64-byte point', () => verifyStateSignature(point.subarray(1), db, txId, alh, sig)],
      ['compressed-looking point', () => verifyStateSignature(Buffer.concat([Buffer.from([2]), point.subarray(1, 33)]), db, txId, alh, sig)],
      ['empty signature', () => verifyStateSignature(point, db, txId, alh, Buffer.alloc(0))],
      ['garbage signature', () => verifyStateSignature(point, db, txId, alh, Buffer.from('3003020100', 'hex'))],
      ['raw r‖s signature', () => verifyStateSignature(point, db, txId, alh, Buffer.alloc(64, 1))],
      ['NaN tx id', () => verifyStateSignature(point, db, NaN, alh, sig)],
      ['negative tx id', () => verifyStateSignature(point, db, -1, alh, sig)],
      ['31-byte alh', () => verifyStateSignature(point, db, txId, alh.subarray(1), sig)],
      ['undefined signature', () => verifyStateSignature(point, db, txId, alh, undefined as unknown as Uint8Array)],
      ['undefined key', () => verifyStateSignature(undefined as unknown as Uint8Array, db, txId, alh, sig)],
      ['private key object', () => verifyStateSignature(vectorPrivateKey(), db, txId, alh, sig)],
      ['non-string db', () => verifyStateSignature(point, 7 as unknown as string, txId, alh, sig)],
    ];
    for (const [name, f] of bad) expect(f(), name).toBe(false);
  });
});
