// End to end over real gRPC: the ImmuService handlers on a loopback port, over a real Database on a real
// ImmuStore in a temp dir, behind the single-database NodeApi test double. A raw grpc-js client sends
// immudb's messages, and every verifiable reply is decoded back and checked the way immudb's Go SDK
// checks it (core spec 4.7: digest by header version, entry inclusion, dual proof from the trusted
// state), with signatures verified against the node's key. Also: status codes for bad numbers, the
// unimplemented RPCs, and the public RPCs being authorized without the caller's (stale) credentials.
import { generateKeyPairSync } from 'node:crypto';
import { Metadata, status, type MethodDefinition, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkVerifiedGet,
  checkVerifiedTx,
  checkVerifiedWrite,
  EMPTY_STATE,
  expectKv,
  expectRef,
  expectZAdd,
  type TrustedState,
} from '../../database/testing/client-verification.js';
import { openTestDb, type TestDb } from '../../database/testing/test-db.js';
import { txAlh } from '../../proof/tx-header.js';
import { publicKeyPoint, verifyStateSignature } from '../../proof/state-signature.js';
import type {
  EntriesMsg,
  EntryCountMsg,
  EntryMsg,
  HealthResponseMsg,
  ImmutableStateMsg,
  LoginResponseMsg,
  TxHeaderMsg,
  TxListMsg,
  TxMsg,
  UseDatabaseReplyMsg,
  VerifiableEntryMsg,
  VerifiableTxMsg,
  ZEntriesMsg,
} from '../proto-types.js';
import { toUint } from '../convert.js';
import { errorCodeTrailer } from '../metadata.js';
import { loadProtos } from '../proto-loader.js';
import { entryFromProto, zEntryFromProto } from './convert-entries.js';
import { immutableStateFromProto, txFromProto, txHeaderFromProto, verifiableEntryFromProto, verifiableTxFromProto } from './convert-tx.js';
import { long } from './testing/wire.js';
import { startHandlerTestServer, type HandlerTestServer } from './testing/handler-test-server.js';
import { SingleDatabaseNodeDouble } from './testing/single-database-node.js';

const b = (s: string): Buffer => Buffer.from(s);
const TX_EXTRA = b('request-metadata');
const beyondSafe = long(9007199254740993n);

let testDb: TestDb;
let node: SingleDatabaseNodeDouble;
let srv: HandlerTestServer;
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const publicKey = publicKeyPoint(privateKey);

beforeAll(async () => {
  testDb = await openTestDb({ backend: 'real', writeTxHeaderVersion: 1 });
  node = new SingleDatabaseNodeDouble({ database: testDb.db, signingKey: privateKey, txExtra: TX_EXTRA });
  srv = await startHandlerTestServer(node);
});

afterAll(async () => {
  await srv.close();
  await testDb.close();
});

function bearer(token: string): Metadata {
  const md = new Metadata();
  md.set('authorization', `Bearer ${token}`);
  return md;
}

async function rejection(p: Promise<unknown>): Promise<ServiceError> {
  try {
    await p;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error('expected the call to fail');
}

function expectSigned(sig: { publicKey: Buffer; signature: Buffer } | undefined, txId: number, alh: Buffer): void {
  expect(sig).toBeDefined();
  expect(sig?.publicKey.equals(publicKey)).toBe(true);
  expect(verifyStateSignature(publicKey, 'testdb', txId, alh, sig?.signature ?? Buffer.alloc(0))).toBe(true);
}

describe('ImmuService handlers over a real database', () => {
  let state: TrustedState = EMPTY_STATE;

  it('VerifiableSet from an empty state (trust on first use), then chained from the trusted state', async () => {
    for (const [k, v] of [['alpha', 'one'], ['beta', 'two']] as const) {
      const res = await srv.call<VerifiableTxMsg>('VerifiableSet', { setRequest: { KVs: [{ key: b(k), value: b(v) }] }, proveSinceTx: state.txId });
      const { verifiableTx, signature } = verifiableTxFromProto(res);
      const next = checkVerifiedWrite(state, verifiableTx, [expectKv(b(k), b(v))]);
      expectSigned(signature, next.txId, next.txHash);
      state = next;
    }
    expect(state.txId).toBe(2);
  });

  it('Set returns the header with a non-nil TxMetadata carrying the node tx extra', async () => {
    const res = await srv.call<TxHeaderMsg>('Set', { KVs: [{ key: b('alpha'), value: b('one-b') }] }, bearer('t'));
    const header = txHeaderFromProto(res);
    expect(header.id).toBe(3);
    expect(header.version).toBe(1);
    expect(Buffer.from(header.metadata?.extra ?? []).equals(TX_EXTRA)).toBe(true);
    expect(node.authorized.at(-1)).toEqual({ method: 'Set', auth: { kind: 'token', token: 't', peer: expect.any(String) as string } });
  });

  it('Get and VerifiableGet prove the latest value against the trusted state', async () => {
    const entry = entryFromProto(await srv.call<EntryMsg>('Get', { key: b('alpha') }));
    expect(entry.value.toString()).toBe('one-b');
    expect(entry.tx).toBe(3);
    const res = await srv.call<VerifiableEntryMsg>('VerifiableGet', { keyRequest: { key: b('alpha') }, proveSinceTx: state.txId });
    const { verifiableEntry, signature } = verifiableEntryFromProto(res);
    const next = checkVerifiedGet(state, b('alpha'), 0, verifiableEntry);
    expectSigned(signature, next.txId, next.txHash);
    state = next;
    expect(state.txId).toBe(3);
  });

  it('VerifiableGet of an older tx proves it against a newer trusted state (source = entry tx)', async () => {
    const res = await srv.call<VerifiableEntryMsg>('VerifiableGet', { keyRequest: { key: b('beta') }, proveSinceTx: state.txId });
    const { verifiableEntry } = verifiableEntryFromProto(res);
    expect(verifiableEntry.entry.tx).toBe(2);
    expect(checkVerifiedGet(state, b('beta'), 0, verifiableEntry)).toEqual(state);
  });

  it('History and Scan return user keys and values without prefixes', async () => {
    const hist = await srv.call<EntriesMsg>('History', { key: b('alpha') });
    expect(hist.entries.map((e) => entryFromProto(e).value.toString())).toEqual(['one', 'one-b']);
    const scan = await srv.call<EntriesMsg>('Scan', { prefix: b('') });
    expect(scan.entries.map((e) => entryFromProto(e).key.toString())).toEqual(['alpha', 'beta']);
    const count = await srv.call<EntryCountMsg>('CountAll', {});
    expect(toUint(count.count, 'test')).toBeGreaterThanOrEqual(2);
  });

  it('ZAdd, VerifiableZAdd and ZScan', async () => {
    await srv.call<TxHeaderMsg>('ZAdd', { set: b('scores'), score: 1.5, key: b('alpha') });
    const res = await srv.call<VerifiableTxMsg>('VerifiableZAdd', { zAddRequest: { set: b('scores'), score: 7, key: b('beta') }, proveSinceTx: state.txId });
    const { verifiableTx } = verifiableTxFromProto(res);
    state = checkVerifiedWrite(state, verifiableTx, [expectZAdd(b('scores'), 7, b('beta'), 0)]);
    const zs = await srv.call<ZEntriesMsg>('ZScan', { set: b('scores') });
    const members = zs.entries.map((z) => zEntryFromProto(z));
    expect(members.map((z) => [z.key.toString(), z.score, z.entry?.value.toString()])).toEqual([
      ['alpha', 1.5, 'one-b'],
      ['beta', 7, 'two'],
    ]);
  });

  it('VerifiableSetReference, then VerifiableGet through the reference proves the reference entry', async () => {
    const res = await srv.call<VerifiableTxMsg>('VerifiableSetReference', {
      referenceRequest: { key: b('ref'), referencedKey: b('beta') },
      proveSinceTx: state.txId,
    });
    state = checkVerifiedWrite(state, verifiableTxFromProto(res).verifiableTx, [expectRef(b('ref'), b('beta'), 0)]);
    const got = await srv.call<VerifiableEntryMsg>('VerifiableGet', { keyRequest: { key: b('ref') }, proveSinceTx: state.txId });
    const { verifiableEntry } = verifiableEntryFromProto(got);
    expect(verifiableEntry.entry.value.toString()).toBe('two');
    expect(verifiableEntry.entry.referencedBy?.key.toString()).toBe('ref');
    state = checkVerifiedGet(state, b('ref'), 0, verifiableEntry);
  });

  it('ExecAll writes kv, ref and zAdd in one tx; the SDK-style empty ref op is refused', async () => {
    const header = txHeaderFromProto(
      await srv.call<TxHeaderMsg>('ExecAll', {
        Operations: [{ kv: { key: b('gamma'), value: b('three') } }, { ref: { key: b('g-ref'), referencedKey: b('gamma') } }, { zAdd: { set: b('scores'), score: 2, key: b('gamma') } }],
      }),
    );
    expect(header.nEntries).toBe(3);
    const err = await rejection(srv.call('ExecAll', { Operations: [{ ref: {} }] }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
  });

  it('TxById returns the raw entries with prefixed keys; TxScan lists txs', async () => {
    const tx = txFromProto(await srv.call<TxMsg>('TxById', { tx: 1 }));
    expect(tx.header.id).toBe(1);
    expect(tx.entries.map((e) => e.key.toString('hex'))).toEqual([Buffer.concat([Buffer.from([0]), b('alpha')]).toString('hex')]);
    const list = await srv.call<TxListMsg>('TxScan', { initialTx: 2, limit: 2 });
    expect(list.txs.map((t) => txFromProto(t).header.id)).toEqual([2, 3]);
  });

  it('VerifiableTxById of an older tx, from the trusted state', async () => {
    const res = await srv.call<VerifiableTxMsg>('VerifiableTxById', { tx: 2, proveSinceTx: state.txId });
    const { verifiableTx, signature } = verifiableTxFromProto(res);
    expect(checkVerifiedTx(state, 2, verifiableTx)).toEqual(state);
    expectSigned(signature, verifiableTx.dualProof.targetTxHeader.id, txAlh(verifiableTx.dualProof.targetTxHeader));
  });

  it('CurrentState returns the signed committed state', async () => {
    const { state: s, signature } = immutableStateFromProto(await srv.call<ImmutableStateMsg>('CurrentState', {}));
    expect(s.db).toBe('testdb');
    expect(s.txId).toBeGreaterThanOrEqual(state.txId);
    const stored = await testDb.store.txHeader(s.txId);
    expect(s.txHash.equals(txAlh(stored))).toBe(true);
    expectSigned(signature, s.txId, s.txHash);
  });
});

describe('ImmuService handlers: bad input and unimplemented RPCs', () => {
  it('a uint64 beyond 2^53 - 1 is INVALID_ARGUMENT, never rounded', async () => {
    const err = await rejection(srv.call('Get', { key: b('alpha'), atTx: beyondSafe }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.metadata.get(errorCodeTrailer)).toEqual(['INVALID_ARGUMENT']);
    const err2 = await rejection(srv.call('VerifiableTxById', { tx: 1, proveSinceTx: beyondSafe }));
    expect(err2.code).toBe(status.INVALID_ARGUMENT);
  });

  it('proveSinceTx beyond the committed state is refused before writing', async () => {
    const before = testDb.db.currentState().txId;
    const err = await rejection(srv.call('VerifiableSet', { setRequest: { KVs: [{ key: b('x'), value: b('y') }] }, proveSinceTx: before + 10 }));
    expect(err.metadata.get(errorCodeTrailer)).toEqual(['TX_BEYOND_STATE']);
    expect(testDb.db.currentState().txId).toBe(before);
  });

  it('a Verifiable* request without its inner request is INVALID_ARGUMENT', async () => {
    const err = await rejection(srv.call('VerifiableGet', { proveSinceTx: 0 }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
  });

  it('replication RPCs, index maintenance and ReplicationStatus answer UNIMPLEMENTED', async () => {
    for (const rpc of ['replicateTx', 'CompactIndex', 'FlushIndex']) {
      const err = await rejection(srv.call(rpc, {}));
      expect(err.code, rpc).toBe(status.UNIMPLEMENTED);
    }
    const err = await rejection(srv.callTs('ReplicationStatus', {}));
    expect(err.code).toBe(status.UNIMPLEMENTED);
  });

  it('the server-streaming exportTx ends with UNIMPLEMENTED and a message saying why', async () => {
    const def = loadProtos().immuService['exportTx'] as MethodDefinition<object, object>;
    const stream = srv.client.makeServerStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, { tx: 1 }, new Metadata());
    const err = await new Promise<ServiceError>((resolve) => {
      stream.on('data', () => undefined);
      stream.on('error', (e: ServiceError) => resolve(e));
    });
    expect(err.code).toBe(status.UNIMPLEMENTED);
    expect(err.details).toMatch(/replication/);
  });

  it('Login and Health succeed with a stale bearer token: they are authorized without credentials', async () => {
    const login = await srv.call<LoginResponseMsg>('Login', { user: b('immudb'), password: b('immudb') }, bearer('stale'));
    expect(login.token).not.toBe('');
    const health = await srv.call<HealthResponseMsg>('Health', {}, bearer('stale'));
    expect(health.status).toBe(true);
    const calls = node.authorized.filter((c) => c.method === 'Login' || c.method === 'Health');
    expect(calls.map((c) => c.auth.kind)).toEqual(['none', 'none']);
  });

  it('UseDatabase returns a non-empty token', async () => {
    const res = await srv.call<UseDatabaseReplyMsg>('UseDatabase', { databaseName: 'testdb' }, bearer('login'));
    expect(res.token).not.toBe('');
  });
});
