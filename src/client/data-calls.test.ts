// Every plain data call once against a real in-process server, through a session: writes (set, setAll
// with metadata and preconditions, delete, execAll, setReference, zAdd), reads (get at tx / revision,
// getAll, scan, zScan, history, count, countAll), tx reads (txById, txScan) and currentState.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImmuError } from '../common/errors.js';
import type { ImmuClient } from './immu-client.js';
import { adminPassword, startTestServer, type TestServer } from './testing/test-server.js';

let ts: TestServer;
let c: ImmuClient;
beforeAll(async () => {
  ts = await startTestServer();
  c = ts.client();
  await c.openSession('immudb', adminPassword, 'defaultdb');
});
afterAll(async () => {
  await c.closeSession();
  await ts.stop();
});

const b = (s: string): Buffer => Buffer.from(s);

describe('writes and point reads', () => {
  it('set / get, get at tx and at revision, history', async () => {
    const h1 = await c.set(b('dk1'), b('one'));
    const h2 = await c.set(b('dk1'), b('two'));
    expect(h2.id).toBe(h1.id + 1);
    expect(h2.nEntries).toBe(1);
    const latest = await c.get(b('dk1'));
    expect(latest.value.toString()).toBe('two');
    expect(latest.tx).toBe(h2.id);
    expect(latest.revision).toBe(2);
    expect((await c.get(b('dk1'), { atTx: h1.id })).value.toString()).toBe('one');
    expect((await c.get(b('dk1'), { atRevision: 1 })).value.toString()).toBe('one');
    expect((await c.get(b('dk1'), { sinceTx: h2.id })).value.toString()).toBe('two');
    const hist = await c.history(b('dk1'));
    expect(hist.map((e) => e.value.toString())).toEqual(['one', 'two']);
    expect((await c.history(b('dk1'), { desc: true, limit: 1 })).map((e) => e.value.toString())).toEqual(['two']);
  });

  it('setAll with metadata, preconditions, getAll and delete', async () => {
    const hdr = await c.setAll([
      { key: b('dk2'), value: b('a') },
      { key: b('dk3'), value: b('b'), metadata: { nonIndexable: false } },
    ]);
    expect(hdr.nEntries).toBe(2);
    const all = await c.getAll([b('dk2'), b('dk3')]);
    expect(all.map((e) => e.value.toString())).toEqual(['a', 'b']);
    await expect(c.set(b('dk2'), b('x'), { preconditions: [{ kind: 'keyMustNotExist', key: b('dk2') }] })).rejects.toSatisfy((e) =>
      isImmuError(e, 'PRECONDITION_FAILED'),
    );
    await c.set(b('dk2'), b('y'), { preconditions: [{ kind: 'keyMustExist', key: b('dk2') }] });
    await c.delete([b('dk3')]);
    await expect(c.get(b('dk3'))).rejects.toSatisfy((e) => isImmuError(e, 'KEY_NOT_FOUND'));
  });

  it('setReference, zAdd, zScan and execAll', async () => {
    await c.set(b('target'), b('tv'));
    const refHdr = await c.setReference(b('ref'), b('target'));
    const viaRef = await c.get(b('ref'));
    expect(viaRef.value.toString()).toBe('tv');
    expect(viaRef.referencedBy?.key.toString()).toBe('ref');
    expect(viaRef.referencedBy?.tx).toBe(refHdr.id);
    await c.zAdd(b('zs'), 2, b('target'));
    await c.zAdd(b('zs'), 1, b('dk1'));
    const members = await c.zScan(b('zs'));
    expect(members.map((z) => [z.key.toString(), z.score])).toEqual([
      ['dk1', 1],
      ['target', 2],
    ]);
    expect(members[0]?.entry?.value.toString()).toBe('two');
    const ex = await c.execAll([
      { kind: 'kv', key: b('ex1'), value: b('e1') },
      { kind: 'ref', key: b('exref'), referencedKey: b('ex1') },
      { kind: 'zAdd', set: b('zs'), score: 3, key: b('ex1') },
    ]);
    expect(ex.nEntries).toBe(3);
    expect((await c.get(b('exref'))).value.toString()).toBe('e1');
  });
});

describe('scans, counts and transactions', () => {
  it('scan by prefix and range, count, countAll', async () => {
    await c.setAll([
      { key: b('scan/a'), value: b('1') },
      { key: b('scan/b'), value: b('2') },
      { key: b('scan/c'), value: b('3') },
    ]);
    expect((await c.scan({ prefix: b('scan/') })).map((e) => e.key.toString())).toEqual(['scan/a', 'scan/b', 'scan/c']);
    expect((await c.scan({ prefix: b('scan/'), desc: true, limit: 2 })).map((e) => e.key.toString())).toEqual(['scan/c', 'scan/b']);
    expect((await c.scan({ seekKey: b('scan/a'), endKey: b('scan/c'), prefix: b('scan/') })).map((e) => e.key.toString())).toEqual(['scan/b']);
    expect(await c.count(b('scan/'))).toBe(3);
    expect(await c.countAll()).toBeGreaterThanOrEqual(3);
  });

  it('txById, txScan and currentState', async () => {
    const hdr = await c.set(b('txk'), b('txv'));
    const tx = await c.txById(hdr.id);
    expect(tx.header.id).toBe(hdr.id);
    expect(tx.header.eh.equals(hdr.eh)).toBe(true);
    expect(tx.entries[0]?.key.equals(Buffer.concat([Buffer.from([0]), b('txk')]))).toBe(true);
    const raw = await c.txById(hdr.id, { entriesSpec: { kvEntries: 'rawValue' } });
    expect(raw.entries[0]?.value?.toString('hex')).toBe(Buffer.concat([Buffer.from([0]), b('txv')]).toString('hex'));
    const resolved = await c.txById(hdr.id, { entriesSpec: { kvEntries: 'resolve' } });
    expect(resolved.kvEntries[0]?.value.toString()).toBe('txv');
    const txs = await c.txScan({ initialTx: 1, limit: 3 });
    expect(txs.map((t) => t.header.id)).toEqual([1, 2, 3]);
    const state = await c.currentState();
    expect(state.db).toBe('defaultdb');
    expect(state.txId).toBeGreaterThanOrEqual(hdr.id);
    expect(state.txHash.length).toBe(32);
    await expect(c.txById(state.txId + 1000, { noWait: true })).rejects.toSatisfy((e) => isImmuError(e));
  });
});
