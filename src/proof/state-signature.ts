// Signing and verifying an ImmutableState (db, txId, Alh) the way immudb's signer does (core spec 5):
// ECDSA P-256 with SHA-256 over u32(len db) ‖ db ‖ u64(txId) ‖ Alh (hashed once, by the ECDSA step),
// DER signatures, 65-byte uncompressed public keys. Key loading from PEM; no key storage or config.
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { ImmuError } from '../common/errors.js';
import { DIGEST_BYTES } from './hash.js';

const CURVE = 'prime256v1';
const POINT_BYTES = 65;
const COORD_BYTES = 32;

/** u32(len(db)) ‖ db (UTF-8) ‖ u64(txId) ‖ alh. */
export function stateSigningPayload(db: string, txId: number, alh: Uint8Array): Buffer {
  if (!Number.isSafeInteger(txId) || txId < 0) throw new ImmuError('ILLEGAL_ARGUMENTS', `bad tx id ${txId}`);
  if (alh.length !== DIGEST_BYTES) throw new ImmuError('ILLEGAL_ARGUMENTS', 'state Alh must be 32 bytes');
  const name = Buffer.from(db, 'utf8');
  const b = Buffer.allocUnsafe(4 + name.length + 8 + DIGEST_BYTES);
  b.writeUInt32BE(name.length, 0);
  name.copy(b, 4);
  b.writeBigUInt64BE(BigInt(txId), 4 + name.length);
  b.set(alh, 4 + name.length + 8);
  return b;
}

function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === CURVE;
}

function requireP256(key: KeyObject, type: 'private' | 'public'): KeyObject {
  if (key.type !== type || !isP256(key)) {
    throw new ImmuError('ILLEGAL_ARGUMENTS', `expected an ECDSA P-256 ${type} key`);
  }
  return key;
}

/** The uncompressed SEC1 point 0x04 ‖ X ‖ Y of a P-256 public (or private) key. */
export function publicKeyPoint(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  requireP256(pub, 'public');
  const jwk = pub.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string') throw new ImmuError('INTERNAL', 'EC key export lacks coordinates');
  const x = Buffer.from(jwk.x, 'base64url');
  const y = Buffer.from(jwk.y, 'base64url');
  return Buffer.concat([Buffer.from([0x04]), Buffer.alloc(COORD_BYTES - x.length), x, Buffer.alloc(COORD_BYTES - y.length), y]);
}

/** A P-256 public key from its 65-byte uncompressed point; throws if it is not a point on the curve. */
export function publicKeyFromPoint(point: Uint8Array): KeyObject {
  if (point.length !== POINT_BYTES || point[0] !== 0x04) {
    throw new ImmuError('ILLEGAL_ARGUMENTS', 'a public key must be a 65-byte uncompressed P-256 point');
  }
  const b = Buffer.from(point);
  try {
    return createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: b.subarray(1, 33).toString('base64url'), y: b.subarray(33).toString('base64url') },
      format: 'jwk',
    });
  } catch (err) {
    throw new ImmuError('ILLEGAL_ARGUMENTS', `not a P-256 point: ${(err as Error).message}`);
  }
}

/** Signs (db, txId, alh); returns the DER signature and the signer's uncompressed public key. */
export function signState(
  privateKey: KeyObject,
  db: string,
  txId: number,
  alh: Uint8Array,
): { readonly signature: Buffer; readonly publicKey: Buffer } {
  requireP256(privateKey, 'private');
  const signature = sign('sha256', stateSigningPayload(db, txId, alh), { key: privateKey, dsaEncoding: 'der' });
  return { signature, publicKey: publicKeyPoint(privateKey) };
}

/** True when signature (DER) is a valid signature of (db, txId, alh) by publicKey. Never throws. */
export function verifyStateSignature(
  publicKey: KeyObject | Uint8Array,
  db: string,
  txId: number,
  alh: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    if (typeof db !== 'string' || !(signature instanceof Uint8Array) || !(alh instanceof Uint8Array)) return false;
    const key = publicKey instanceof Uint8Array ? publicKeyFromPoint(publicKey) : publicKey;
    if (key.type !== 'public' || !isP256(key)) return false;
    return verify('sha256', stateSigningPayload(db, txId, alh), { key, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}

/** The server signing key: PEM "EC PRIVATE KEY" (SEC1) or "PRIVATE KEY" (PKCS8), P-256 only. */
export function loadSigningKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new ImmuError('ILLEGAL_ARGUMENTS', `cannot parse the signing key: ${(err as Error).message}`);
  }
  return requireP256(key, 'private');
}

/** A verifier's public key: PEM "PUBLIC KEY" (PKIX), P-256 only. */
export function loadPublicKey(pem: string): KeyObject {
  if (!/-----BEGIN PUBLIC KEY-----/.test(pem)) throw new ImmuError('ILLEGAL_ARGUMENTS', 'expected a PEM "PUBLIC KEY" block');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new ImmuError('ILLEGAL_ARGUMENTS', `cannot parse the public key: ${(err as Error).message}`);
  }
  return requireP256(key, 'public');
}
