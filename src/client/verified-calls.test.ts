// Verified calls against a real in-process server, chained from trust on first use: every verified call
// moves the saved state forward only after its proof checks; a tampered saved state (txHash edited in
// the state file) is caught by verifiedGet (PROOF_FAILED) and by verifyState (STATE_INCONSISTENT), and
// the file is left exactly as it was.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImmuError } from '../common/errors.js';
import type { ImmuClient } from './immu-client.js';
import { FileStateStore } from './state-store.js';
import { adminPassword, startTestServer, type TestServer } from './testing/test-server.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => {
  await ts.stop();
});

const b = (s: string): Buffer => Buffer.from(s);

async function sessionClient(stateDir: string): Promise<ImmuClient> {
  const c = ts.client({ stateDir });
  await c.openSession('immudb', adminPassword, 'defaultdb');
  return c;
}

describe('verified calls chained from trust on first use', () => {
  it('verifiedSet, verifiedGet (+ at / since / revision), reference, zAdd, txById advance the saved state', async () => {
    const stateDir = join(ts.dir, 'chain-state');
    const c = await sessionClient(stateDir);
    expect(await c.trustedState()).toBeUndefined();

    const h1 = await c.verifiedSet(b('vk'), b('v1'));
    let saved = await c.trustedState();
    expect(saved?.txId).toBe(h1.id);
    expect(saved?.db).toBe('defaultdb');
    expect(saved?.serverUuid).toBe(c.serverUuid);

    const h2 = await c.verifiedSet(b('vk'), b('v2'));
    expect(h2.id).toBe(h1.id + 1);
    expect((await c.trustedState())?.txId).toBe(h2.id);

    expect((await c.verifiedGet(b('vk'))).value.toString()).toBe('v2');
    expect((await c.verifiedGetAt(b('vk'), h1.id)).value.toString()).toBe('v1');
    expect((await c.verifiedGetSince(b('vk'), h2.id)).value.toString()).toBe('v2');
    expect((await c.verifiedGetAtRevision(b('vk'), 1)).value.toString()).toBe('v1');

    const hr = await c.verifiedSetReference(b('vref'), b('vk'));
    const viaRef = await c.verifiedGet(b('vref'));
    expect(viaRef.value.toString()).toBe('v2');
    expect(viaRef.referencedBy?.tx).toBe(hr.id);
    const hb = await c.verifiedSetReference(b('vbound'), b('vk'), h1.id);
    expect((await c.verifiedGet(b('vbound'))).value.toString()).toBe('v1');

    const hz = await c.verifiedZAdd(b('vset'), 7.5, b('vk'));
    expect(hz.id).toBe(hb.id + 1);
    expect((await c.verifiedTxById(h1.id)).header.id).toBe(h1.id);
    const newest = await c.verifiedTxById(hz.id);
    expect(newest.entries).toHaveLength(1);

    saved = await c.trustedState();
    expect(saved?.txId).toBe(hz.id);
    const state = await c.currentState();
    expect(saved?.txHash.equals(state.txHash)).toBe(true);

    // A second client on the same state directory continues from the saved state (no TOFU).
    const other = await sessionClient(stateDir);
    await c.set(b('plain'), b('unverified'));
    expect((await other.verifiedGet(b('plain'))).value.toString()).toBe('unverified');
    expect((await other.trustedState())?.txId).toBe(hz.id + 1);
  });

  it('verifyState: first use, unchanged, advanced', async () => {
    const c = await sessionClient(join(ts.dir, 'audit-state'));
    expect((await c.verifyState()).kind).toBe('firstUse');
    expect((await c.consistencyCheck()).kind).toBe('unchanged');
    await c.set(b('audit'), b('1'));
    await c.set(b('audit'), b('2'));
    const r = await c.verifyState();
    expect(r.kind).toBe('advanced');
    if (r.kind !== 'advanced') throw new Error('unreachable');
    expect(r.current.txId).toBe(r.previous.txId + 2);
    expect((await c.trustedState())?.txId).toBe(r.current.txId);
  });

  it('starts from an empty database (CurrentState at tx 0) and chains from there', async () => {
    const admin = ts.client();
    await admin.login('immudb', adminPassword);
    await admin.createDatabaseV2('freshdb');
    const c = ts.client({ stateDir: join(ts.dir, 'fresh-state') });
    await c.openSession('immudb', adminPassword, 'freshdb');
    const initial = await c.currentState();
    const h1 = await c.verifiedSet(b('first'), b('1'));
    expect(h1.id).toBe(initial.txId + 1);
    const h2 = await c.verifiedSet(b('second'), b('2'));
    expect((await c.verifiedGet(b('first'))).tx).toBe(h1.id);
    const saved = await c.trustedState();
    expect(saved).toMatchObject({ db: 'freshdb', txId: h2.id });
  });

  it('verifiedGet of a missing key is KEY_NOT_FOUND and saves nothing', async () => {
    const c = await sessionClient(join(ts.dir, 'missing-state'));
    await expect(c.verifiedGet(b('no-such-key'))).rejects.toSatisfy((e) => isImmuError(e, 'KEY_NOT_FOUND'));
    expect(await c.trustedState()).toBeUndefined();
  });
});

describe('a tampered saved state', () => {
  async function tamperedClient(name: string): Promise<{ c: ImmuClient; path: string; bytes: Buffer }> {
    const stateDir = join(ts.dir, name);
    const c = await sessionClient(stateDir);
    await c.verifiedSet(b(`${name}-k`), b('v'));
    const uuid = c.serverUuid;
    if (uuid === undefined) throw new Error('no server uuid');
    const path = new FileStateStore(stateDir).pathFor(uuid, 'defaultdb');
    const json = JSON.parse(await readFile(path, 'utf8')) as { txHash: string };
    json.txHash = (json.txHash[0] === 'a' ? 'b' : 'a') + json.txHash.slice(1);
    await writeFile(path, JSON.stringify(json));
    return { c, path, bytes: await readFile(path) };
  }

  it('is caught by verifiedGet (PROOF_FAILED) and the file is not overwritten', async () => {
    const { c, path, bytes } = await tamperedClient('tamper-get');
    await c.set(b('after-tamper'), b('x'));
    const savedTxId = (JSON.parse(bytes.toString('utf8')) as { txId: number }).txId;
    const err: unknown = await c.verifiedGet(b('after-tamper')).catch((e: unknown) => e);
    expect(isImmuError(err, 'PROOF_FAILED')).toBe(true);
    expect(isImmuError(err) ? err.details : undefined).toMatchObject({ sourceTxId: savedTxId, targetTxId: savedTxId + 1 });
    expect((await readFile(path)).equals(bytes)).toBe(true);
    await expect(c.verifiedSet(b('k2'), b('v'))).rejects.toSatisfy((e) => isImmuError(e, 'PROOF_FAILED'));
    expect((await readFile(path)).equals(bytes)).toBe(true);
  });

  it('is caught by verifyState (STATE_INCONSISTENT), at the same tx and after the server moved on', async () => {
    const { c, path, bytes } = await tamperedClient('tamper-audit');
    // Tests in a file run one after another: the server is still at the tampered state's tx.
    const same: unknown = await c.verifyState().catch((e: unknown) => e);
    expect(isImmuError(same, 'STATE_INCONSISTENT')).toBe(true);
    const sameDetails = isImmuError(same) ? same.details : undefined;
    expect(sameDetails?.['currentTxId']).toBe(sameDetails?.['savedTxId']);
    expect((await readFile(path)).equals(bytes)).toBe(true);
    await c.set(b('moved-on'), b('x'));
    const err: unknown = await c.verifyState().catch((e: unknown) => e);
    expect(isImmuError(err, 'STATE_INCONSISTENT')).toBe(true);
    expect(isImmuError(err) ? err.details : undefined).toMatchObject({ savedTxId: expect.any(Number) as number });
    const moved = isImmuError(err) ? err.details : undefined;
    expect(Number(moved?.['currentTxId'])).toBeGreaterThan(Number(moved?.['savedTxId']));
    expect((await readFile(path)).equals(bytes)).toBe(true);
  });
});
