// The trusted-state store: one 0600 JSON file per (server UUID, database), written atomically, read
// back exactly; a malformed or misplaced file is CORRUPTED_DATA, never silently trusted or ignored.
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isImmuError } from '../common/errors.js';
import { FileStateStore, MemoryStateStore, safeName, stateFromJson, stateToJson } from './state-store.js';
import type { TrustedState } from './types.js';

const sample = (over: Partial<TrustedState> = {}): TrustedState => ({
  serverUuid: 'cn2q8k1n0000000000a0',
  db: 'defaultdb',
  txId: 42,
  txHash: Buffer.alloc(32, 7),
  signature: { publicKey: Buffer.from([4, 1, 2]), signature: Buffer.from([0x30, 1]) },
  ...over,
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'immu-state-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FileStateStore', () => {
  it('round-trips a state, with the signature, and answers undefined for an unknown pair', async () => {
    const store = new FileStateStore(dir);
    expect(await store.get('x', 'defaultdb')).toBeUndefined();
    await store.set(sample());
    expect(await store.get('cn2q8k1n0000000000a0', 'defaultdb')).toEqual(sample());
    expect(await store.get('cn2q8k1n0000000000a0', 'otherdb')).toBeUndefined();
    await store.set(sample({ txId: 43, signature: undefined }));
    expect(await store.get('cn2q8k1n0000000000a0', 'defaultdb')).toEqual(sample({ txId: 43, signature: undefined }));
  });

  it('writes mode 0600 files and leaves no temporary file behind', async () => {
    const store = new FileStateStore(dir);
    await store.set(sample());
    await store.set(sample({ txId: 50 }));
    const path = store.pathFor('cn2q8k1n0000000000a0', 'defaultdb');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(join(dir, 'cn2q8k1n0000000000a0'))).toEqual(['defaultdb.json']);
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ version: 1, txId: 50, txHash: '07'.repeat(32) });
  });

  it('keeps hostile names inside its directory', async () => {
    const store = new FileStateStore(dir);
    const state = sample({ serverUuid: '../../etc', db: '../passwd' });
    await store.set(state);
    expect(store.pathFor(state.serverUuid, state.db).startsWith(dir)).toBe(true);
    expect(await store.get('../../etc', '../passwd')).toEqual(state);
    expect(safeName('a.b/c')).toBe('a%2Eb%2Fc');
  });

  it('refuses a malformed file and a file that belongs to another pair with CORRUPTED_DATA', async () => {
    const store = new FileStateStore(dir);
    await store.set(sample());
    const path = store.pathFor('cn2q8k1n0000000000a0', 'defaultdb');
    await writeFile(path, '{"version":1,"serverUuid":"cn2q8k1n0000000000a0","db":"defaultdb","txId":1,"txHash":"zz"}');
    await expect(store.get('cn2q8k1n0000000000a0', 'defaultdb')).rejects.toSatisfy((e) => isImmuError(e, 'CORRUPTED_DATA'));
    await writeFile(path, stateToJson(sample({ db: 'otherdb' })));
    await expect(store.get('cn2q8k1n0000000000a0', 'defaultdb')).rejects.toSatisfy((e) => isImmuError(e, 'CORRUPTED_DATA'));
    await writeFile(path, 'not json');
    await expect(store.get('cn2q8k1n0000000000a0', 'defaultdb')).rejects.toSatisfy((e) => isImmuError(e, 'CORRUPTED_DATA'));
  });

  it('reports an unwritable directory as IO_ERROR', async () => {
    const blocker = join(dir, 'file');
    await writeFile(blocker, 'x');
    const store = new FileStateStore(join(blocker, 'sub'));
    await expect(store.set(sample())).rejects.toSatisfy((e) => isImmuError(e, 'IO_ERROR'));
  });
});

describe('state JSON', () => {
  it('rejects negative or fractional tx ids and short hashes', () => {
    const good = JSON.parse(stateToJson(sample())) as Record<string, unknown>;
    for (const bad of [{ txId: -1 }, { txId: 1.5 }, { txHash: 'ab' }, { version: 2 }]) {
      expect(() => stateFromJson(JSON.stringify({ ...good, ...bad }), 'p')).toThrow(/malformed/);
    }
  });
});

describe('MemoryStateStore', () => {
  it('stores copies, keyed by server and database', async () => {
    const store = new MemoryStateStore();
    const s = sample();
    await store.set(s);
    s.txHash.fill(0);
    expect((await store.get(s.serverUuid, 'defaultdb'))?.txHash.equals(Buffer.alloc(32, 7))).toBe(true);
    expect(await store.get('other', 'defaultdb')).toBeUndefined();
  });
});
