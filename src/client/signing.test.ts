// State signing end to end: a server started with a fresh P-256 key signs every state; a client
// configured with its public key accepts them and keeps the signature with the saved state; a client
// configured with another key refuses CurrentState and every verified call (PROOF_FAILED) and saves
// nothing; a client with a key refuses an unsigned server.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImmuError } from '../common/errors.js';
import { verifyStateSignature } from '../proof/index.js';
import { MemoryStateStore } from './state-store.js';
import { adminPassword, p256KeyPair, startTestServer, type TestServer } from './testing/test-server.js';

const serverKey = p256KeyPair();
const otherKey = p256KeyPair();
let signed: TestServer;
let unsigned: TestServer;

beforeAll(async () => {
  signed = await startTestServer({ signingKey: serverKey.privateKey });
  unsigned = await startTestServer();
});
afterAll(async () => {
  await signed.stop();
  await unsigned.stop();
});

const b = (s: string): Buffer => Buffer.from(s);

describe('server signing key', () => {
  it('the right public key: signed CurrentState, verified calls, verifyState, signature saved', async () => {
    const c = signed.client({ stateDir: join(signed.dir, 'good'), serverSigningPublicKey: serverKey.publicKeyPem });
    await c.openSession('immudb', adminPassword, 'defaultdb');
    const st = await c.currentState();
    expect(st.signature).toBeDefined();
    expect((await c.verifyState()).kind).toBe('firstUse');
    const hdr = await c.verifiedSet(b('signed-k'), b('v'));
    expect((await c.verifiedGet(b('signed-k'))).value.toString()).toBe('v');
    expect((await c.verifiedTxById(hdr.id)).header.id).toBe(hdr.id);
    await c.set(b('signed-k2'), b('v'));
    expect((await c.verifyState()).kind).toBe('advanced');
    const saved = await c.trustedState();
    expect(saved?.signature).toBeDefined();
    if (saved?.signature === undefined) throw new Error('unreachable');
    expect(verifyStateSignature(saved.signature.publicKey, 'defaultdb', saved.txId, saved.txHash, saved.signature.signature)).toBe(true);
  });

  it('a wrong public key: CurrentState and every verified call are PROOF_FAILED, nothing saved', async () => {
    const store = new MemoryStateStore();
    const c = signed.client({ stateStore: store, serverSigningPublicKey: otherKey.publicKeyPem });
    await c.openSession('immudb', adminPassword, 'defaultdb');
    const proofFailed = (e: unknown): boolean => isImmuError(e, 'PROOF_FAILED');
    await expect(c.currentState()).rejects.toSatisfy(proofFailed);
    await expect(c.verifiedSet(b('wrong-k'), b('v'))).rejects.toSatisfy(proofFailed);
    await expect(c.verifiedGet(b('signed-k'))).rejects.toSatisfy(proofFailed);
    await expect(c.verifyState()).rejects.toSatisfy(proofFailed);
    expect(await store.get(c.serverUuid ?? '', 'defaultdb')).toBeUndefined();
  });

  it('a key configured against a server that does not sign: PROOF_FAILED', async () => {
    const c = unsigned.client({ stateStore: new MemoryStateStore(), serverSigningPublicKey: serverKey.publicKeyPem });
    await c.openSession('immudb', adminPassword, 'defaultdb');
    await expect(c.currentState()).rejects.toSatisfy((e) => isImmuError(e, 'PROOF_FAILED'));
  });

  it('a malformed key is refused when the client is built', () => {
    expect(() => signed.client({ serverSigningPublicKey: 'not a pem' })).toThrow(/PUBLIC KEY/);
  });
});
