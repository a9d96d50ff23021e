// The KV request decoders and the entry conversions, through the real wire codec: KVMetadata/Expiration,
// Entry/Reference/ZEntry round trips, Preconditions, Op/ExecAll (including immudb-node's broken execAll
// shape), EntriesSpec (absent spec vs absent keyspace), optional numbers staying absent, and every
// 64-bit field beyond 2^53 - 1 refused with INVALID_ARGUMENT.
import { describe, expect, it } from 'vitest';
import { ImmuError, type ErrorCode } from '../../common/errors.js';
import type { Entry, KeyPrecondition, Operation, ZEntry } from '../../database/types.js';
import type {
  EntriesSpecMsg,
  EntryMsg,
  ExecAllRequestMsg,
  HistoryRequestMsg,
  KeyRequestMsg,
  KVMetadataMsg,
  OpMsg,
  PreconditionMsg,
  ScanRequestMsg,
  SetRequestMsg,
  TxRequestMsg,
  TxScanRequestMsg,
  VerifiableTxRequestMsg,
  ZEntryMsg,
  ZScanRequestMsg,
} from '../proto-types.js';
import { entryFromProto, entryToProto, kvMetadataFromProto, kvMetadataToProto, zEntryFromProto, zEntryToProto } from './convert-entries.js';
import {
  entriesSpecFromProto,
  entriesSpecToProto,
  execAllRequestFromProto,
  historyRequestFromProto,
  keyRequestFromProto,
  operationFromProto,
  operationToProto,
  preconditionFromProto,
  preconditionToProto,
  scanRequestFromProto,
  setRequestFromProto,
  txRequestFromProto,
  txScanRequestFromProto,
  verifiableTxRequestFromProto,
  zScanRequestFromProto,
} from './convert-requests.js';
import { long, throughWire } from './testing/wire.js';

const b = (s: string): Buffer => Buffer.from(s);
const beyondSafe = long(9007199254740993n);
const S = 'immudb.schema.';

function expectCode(f: () => unknown, code: ErrorCode): void {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ImmuError);
    expect((err as ImmuError).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
}

describe('KVMetadata and entries', () => {
  it('KVMetadata round-trips; absent and empty both mean none', () => {
    for (const md of [{ deleted: true }, { expiresAt: 1_900_000_000 }, { nonIndexable: true }, { deleted: true, expiresAt: 5, nonIndexable: true }]) {
      expect(kvMetadataFromProto(throughWire<KVMetadataMsg>(`${S}KVMetadata`, kvMetadataToProto(md) ?? {}))).toEqual(md);
    }
    expect(kvMetadataToProto(undefined)).toBeUndefined();
    expect(kvMetadataFromProto(throughWire<KVMetadataMsg>(`${S}KVMetadata`, {}))).toBeUndefined();
    expect(kvMetadataFromProto(null)).toBeUndefined();
  });

  it('an expiration beyond the safe range is refused', () => {
    expectCode(() => kvMetadataFromProto(throughWire<KVMetadataMsg>(`${S}KVMetadata`, { expiration: { expiresAt: beyondSafe } })), 'INVALID_ARGUMENT');
  });

  it('Entry round-trips with metadata, expiry flag, revision and a reference', () => {
    const plain: Entry = { tx: 3, key: b('k'), value: b('v'), metadata: { expiresAt: 99 }, expired: true, revision: 4 };
    const viaRef: Entry = {
      tx: 3,
      key: b('k'),
      value: b('v'),
      referencedBy: { tx: 9, key: b('r'), atTx: 3, metadata: { nonIndexable: true }, revision: 1 },
      metadata: undefined,
      expired: false,
      revision: 2,
    };
    for (const e of [plain, viaRef]) expect(entryFromProto(throughWire<EntryMsg>(`${S}Entry`, entryToProto(e)))).toEqual(e);
  });

  it('an Entry with a tx beyond 2^53 - 1 is refused; absent bytes decode as empty Buffers', () => {
    expectCode(() => entryFromProto(throughWire<EntryMsg>(`${S}Entry`, { tx: beyondSafe })), 'INVALID_ARGUMENT');
    const empty = entryFromProto(throughWire<EntryMsg>(`${S}Entry`, {}));
    expect(Buffer.isBuffer(empty.key) && Buffer.isBuffer(empty.value)).toBe(true);
    expect(empty.key.length + empty.value.length).toBe(0);
  });

  it('ZEntry round-trips with and without its member entry', () => {
    const member: Entry = { tx: 1, key: b('m'), value: b('v'), metadata: undefined, expired: false, revision: 1 };
    for (const z of [
      { set: b('s'), key: b('m'), entry: member, score: -2.5, atTx: 1 },
      { set: b('s'), key: b('m'), entry: undefined, score: 0, atTx: 0 },
    ] satisfies ZEntry[]) {
      expect(zEntryFromProto(throughWire<ZEntryMsg>(`${S}ZEntry`, zEntryToProto(z)))).toEqual(z);
    }
  });
});

describe('write requests', () => {
  const preconditions: KeyPrecondition[] = [
    { kind: 'mustExist', key: b('a') },
    { kind: 'mustNotExist', key: b('b') },
    { kind: 'notModifiedAfterTx', key: b('c'), txId: 42 },
  ];

  it('Preconditions round-trip; an empty one and a txID beyond 2^53 - 1 are refused', () => {
    for (const p of preconditions) expect(preconditionFromProto(throughWire<PreconditionMsg>(`${S}Precondition`, preconditionToProto(p)))).toEqual(p);
    expectCode(() => preconditionFromProto(throughWire<PreconditionMsg>(`${S}Precondition`, {})), 'INVALID_ARGUMENT');
    const huge = { keyNotModifiedAfterTX: { key: b('c'), txID: beyondSafe } };
    expectCode(() => preconditionFromProto(throughWire<PreconditionMsg>(`${S}Precondition`, huge)), 'INVALID_ARGUMENT');
  });

  it('SetRequest carries KVs, metadata, preconditions, noWait and the node tx extra', () => {
    const msg = throughWire<SetRequestMsg>(`${S}SetRequest`, {
      KVs: [{ key: b('k'), value: b('v'), metadata: { expiration: { expiresAt: 77 } } }],
      noWait: true,
      preconditions: preconditions.map(preconditionToProto),
    });
    expect(setRequestFromProto(msg, b('extra'))).toEqual({
      kvs: [{ key: b('k'), value: b('v'), metadata: { expiresAt: 77 } }],
      noWait: true,
      preconditions,
      txExtra: b('extra'),
    });
    expect(setRequestFromProto(throughWire<SetRequestMsg>(`${S}SetRequest`, { KVs: [{ key: b('k') }] }))).toEqual({ kvs: [{ key: b('k'), value: Buffer.alloc(0) }] });
  });

  it('Op round-trips for kv, ref and zAdd; ExecAll keeps order', () => {
    const ops: Operation[] = [
      { kind: 'kv', key: b('k'), value: b('v'), metadata: { nonIndexable: true } },
      { kind: 'ref', key: b('r'), referencedKey: b('k'), atTx: 3, boundRef: true },
      { kind: 'zadd', set: b('s'), score: 1.5, key: b('k'), atTx: 0, boundRef: false },
    ];
    for (const op of ops) expect(operationFromProto(throughWire<OpMsg>(`${S}Op`, operationToProto(op)))).toEqual(op);
    const all = execAllRequestFromProto(throughWire<ExecAllRequestMsg>(`${S}ExecAllRequest`, { Operations: ops.map(operationToProto) }));
    expect(all.operations).toEqual(ops);
  });

  it('an Op without an operation is ILLEGAL_ARGUMENTS; immudb-node execAll\'s empty ref decodes to empty keys', () => {
    expectCode(() => operationFromProto(throughWire<OpMsg>(`${S}Op`, {})), 'ILLEGAL_ARGUMENTS');
    expect(operationFromProto(throughWire<OpMsg>(`${S}Op`, { ref: {} }))).toEqual({
      kind: 'ref',
      key: Buffer.alloc(0),
      referencedKey: Buffer.alloc(0),
      atTx: 0,
      boundRef: false,
    });
  });
});

describe('read requests', () => {
  it('KeyRequest: zero numbers stay absent, atRevision may be negative, atTx beyond 2^53 - 1 is refused', () => {
    expect(keyRequestFromProto(throughWire<KeyRequestMsg>(`${S}KeyRequest`, { key: b('k') }))).toEqual({ key: b('k') });
    expect(keyRequestFromProto(throughWire<KeyRequestMsg>(`${S}KeyRequest`, { key: b('k'), atTx: 5, sinceTx: 4, noWait: true, atRevision: -2 }))).toEqual({
      key: b('k'),
      atTx: 5,
      sinceTx: 4,
      noWait: true,
      atRevision: -2,
    });
    expectCode(() => keyRequestFromProto(throughWire<KeyRequestMsg>(`${S}KeyRequest`, { key: b('k'), atTx: beyondSafe })), 'INVALID_ARGUMENT');
  });

  it('ScanRequest and HistoryRequest: limits are validated, a negative history limit is refused', () => {
    const scan = scanRequestFromProto(throughWire<ScanRequestMsg>(`${S}ScanRequest`, { prefix: b('p'), limit: 10, desc: true }));
    expect(scan).toMatchObject({ prefix: b('p'), limit: 10, desc: true, sinceTx: 0 });
    expectCode(() => scanRequestFromProto(throughWire<ScanRequestMsg>(`${S}ScanRequest`, { limit: beyondSafe })), 'INVALID_ARGUMENT');
    expect(historyRequestFromProto(throughWire<HistoryRequestMsg>(`${S}HistoryRequest`, { key: b('k'), offset: 2, limit: 3 }))).toMatchObject({ offset: 2, limit: 3 });
    expectCode(() => historyRequestFromProto(throughWire<HistoryRequestMsg>(`${S}HistoryRequest`, { key: b('k'), limit: -1 })), 'INVALID_ARGUMENT');
  });

  it('ZScanRequest: an absent min/max score differs from a zero one', () => {
    const none = zScanRequestFromProto(throughWire<ZScanRequestMsg>(`${S}ZScanRequest`, { set: b('s') }));
    expect(none.minScore).toBeUndefined();
    expect(none.maxScore).toBeUndefined();
    const zero = zScanRequestFromProto(throughWire<ZScanRequestMsg>(`${S}ZScanRequest`, { set: b('s'), minScore: {}, maxScore: { score: 3 } }));
    expect(zero.minScore).toBe(0);
    expect(zero.maxScore).toBe(3);
  });
});

describe('tx requests and EntriesSpec', () => {
  it('no EntriesSpec means the default; inside a spec a missing keyspace means EXCLUDE', () => {
    expect(entriesSpecFromProto(null)).toBeUndefined();
    expect(entriesSpecFromProto(throughWire<EntriesSpecMsg>(`${S}EntriesSpec`, { kvEntriesSpec: { action: 3 } }))).toEqual({ kv: 'resolve', z: 'exclude', sql: 'exclude' });
  });

  it('EntriesSpec round-trips; an unknown action is refused', () => {
    const spec = { kv: 'rawValue', z: 'onlyDigest', sql: 'exclude' } as const;
    expect(entriesSpecFromProto(throughWire<EntriesSpecMsg>(`${S}EntriesSpec`, entriesSpecToProto(spec)))).toEqual(spec);
    expectCode(() => entriesSpecFromProto(throughWire<EntriesSpecMsg>(`${S}EntriesSpec`, { zEntriesSpec: { action: 9 } })), 'INVALID_ARGUMENT');
  });

  it('TxRequest, VerifiableTxRequest and TxScanRequest decode and validate their ids', () => {
    expect(txRequestFromProto(throughWire<TxRequestMsg>(`${S}TxRequest`, { tx: 4, keepReferencesUnresolved: true }))).toEqual({
      tx: 4,
      sinceTx: 0,
      noWait: false,
      keepReferencesUnresolved: true,
    });
    const v = verifiableTxRequestFromProto(throughWire<VerifiableTxRequestMsg>(`${S}VerifiableTxRequest`, { tx: 4, proveSinceTx: 9, entriesSpec: {} }));
    expect(v).toMatchObject({ tx: 4, proveSinceTx: 9, entriesSpec: { kv: 'exclude', z: 'exclude', sql: 'exclude' } });
    expectCode(() => verifiableTxRequestFromProto(throughWire<VerifiableTxRequestMsg>(`${S}VerifiableTxRequest`, { tx: 1, proveSinceTx: beyondSafe })), 'INVALID_ARGUMENT');
    expect(txScanRequestFromProto(throughWire<TxScanRequestMsg>(`${S}TxScanRequest`, { initialTx: 2, limit: 5, desc: true }))).toMatchObject({ initialTx: 2, limit: 5, desc: true });
    expectCode(() => txRequestFromProto(throughWire<TxRequestMsg>(`${S}TxRequest`, { tx: beyondSafe })), 'INVALID_ARGUMENT');
  });
});
