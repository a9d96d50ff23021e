// The plain (unverified) data calls: writes, reads, scans, history, counts, tx reads, health and server
// info. Each builds the request from plain inputs, calls through the ClientCore and converts the reply.
// Nothing here checks a proof; the verified variants are in verified-calls.ts.
import { toUint } from '../api/convert.js';
import type { ClientCore } from './client-core.js';
import { entryFromMsg, txFromMsg, txHeaderFromMsg, zEntryFromMsg } from './decode.js';
import { entriesSpecToInit, keyRequest, opToInit, preconditionToInit, referenceRequest, setRequest, txIdArg, zAddRequest } from './encode.js';
import type {
  Entry,
  GetOptions,
  HealthInfo,
  HistoryOptions,
  KeyValue,
  KvMetadata,
  Op,
  ScanOptions,
  ServerInfo,
  Tx,
  TxHeader,
  TxOptions,
  TxScanOptions,
  WriteOptions,
  ZEntry,
  ZScanOptions,
} from './types.js';

export interface SetOptions extends WriteOptions {
  readonly metadata?: KvMetadata;
}

export interface RefOptions extends WriteOptions {
  readonly atTx?: number;
  readonly boundRef?: boolean;
}

export interface ZAddOptions {
  readonly atTx?: number;
  readonly boundRef?: boolean;
  readonly noWait?: boolean;
}

export async function set(core: ClientCore, key: Buffer, value: Buffer, options: SetOptions = {}): Promise<TxHeader> {
  const kv: KeyValue = options.metadata === undefined ? { key, value } : { key, value, metadata: options.metadata };
  return setAll(core, [kv], options);
}

export async function setAll(core: ClientCore, kvs: readonly KeyValue[], options: WriteOptions = {}): Promise<TxHeader> {
  const { response } = await core.call('Set', setRequest(kvs, options));
  return txHeaderFromMsg(response);
}

export async function get(core: ClientCore, key: Buffer, options: GetOptions = {}): Promise<Entry> {
  const { response } = await core.call('Get', keyRequest(key, options));
  return entryFromMsg(response);
}

export async function getAll(core: ClientCore, keys: readonly Buffer[], sinceTx?: number): Promise<Entry[]> {
  const { response } = await core.call('GetAll', { keys, sinceTx: txIdArg(sinceTx, 'sinceTx') });
  return response.entries.map((e, i) => entryFromMsg(e, `entries[${i}]`));
}

export async function del(core: ClientCore, keys: readonly Buffer[], options: { sinceTx?: number; noWait?: boolean } = {}): Promise<TxHeader> {
  const { response } = await core.call('Delete', { keys, sinceTx: txIdArg(options.sinceTx, 'sinceTx'), noWait: options.noWait === true });
  return txHeaderFromMsg(response);
}

export async function execAll(core: ClientCore, ops: readonly Op[], options: WriteOptions = {}): Promise<TxHeader> {
  const { response } = await core.call('ExecAll', {
    Operations: ops.map(opToInit),
    noWait: options.noWait === true,
    preconditions: (options.preconditions ?? []).map(preconditionToInit),
  });
  return txHeaderFromMsg(response);
}

export async function setReference(core: ClientCore, key: Buffer, referencedKey: Buffer, options: RefOptions = {}): Promise<TxHeader> {
  const { response } = await core.call('SetReference', referenceRequest(key, referencedKey, options));
  return txHeaderFromMsg(response);
}

export async function zAdd(core: ClientCore, set: Buffer, score: number, key: Buffer, options: ZAddOptions = {}): Promise<TxHeader> {
  const { response } = await core.call('ZAdd', zAddRequest(set, score, key, options));
  return txHeaderFromMsg(response);
}

export async function zScan(core: ClientCore, set: Buffer, o: ZScanOptions = {}): Promise<ZEntry[]> {
  const { response } = await core.call('ZScan', {
    set,
    ...(o.seekKey !== undefined ? { seekKey: o.seekKey } : {}),
    seekScore: o.seekScore ?? 0,
    seekAtTx: txIdArg(o.seekAtTx, 'seekAtTx'),
    inclusiveSeek: o.inclusiveSeek === true,
    limit: txIdArg(o.limit, 'limit'),
    desc: o.desc === true,
    ...(o.minScore !== undefined ? { minScore: { score: o.minScore } } : {}),
    ...(o.maxScore !== undefined ? { maxScore: { score: o.maxScore } } : {}),
    sinceTx: txIdArg(o.sinceTx, 'sinceTx'),
    noWait: o.noWait === true,
  });
  return response.entries.map((z, i) => zEntryFromMsg(z, `entries[${i}]`));
}

export async function scan(core: ClientCore, o: ScanOptions = {}): Promise<Entry[]> {
  const { response } = await core.call('Scan', {
    ...(o.seekKey !== undefined ? { seekKey: o.seekKey } : {}),
    ...(o.prefix !== undefined ? { prefix: o.prefix } : {}),
    ...(o.endKey !== undefined ? { endKey: o.endKey } : {}),
    desc: o.desc === true,
    limit: txIdArg(o.limit, 'limit'),
    sinceTx: txIdArg(o.sinceTx, 'sinceTx'),
    noWait: o.noWait === true,
    inclusiveSeek: o.inclusiveSeek === true,
    inclusiveEnd: o.inclusiveEnd === true,
  });
  return response.entries.map((e, i) => entryFromMsg(e, `entries[${i}]`));
}

export async function history(core: ClientCore, key: Buffer, o: HistoryOptions = {}): Promise<Entry[]> {
  const { response } = await core.call('History', {
    key,
    offset: txIdArg(o.offset, 'offset'),
    limit: txIdArg(o.limit, 'limit'),
    desc: o.desc === true,
    sinceTx: txIdArg(o.sinceTx, 'sinceTx'),
  });
  return response.entries.map((e, i) => entryFromMsg(e, `entries[${i}]`));
}

export async function count(core: ClientCore, prefix: Buffer): Promise<number> {
  const { response } = await core.call('Count', { prefix });
  return toUint(response.count, 'count');
}

export async function countAll(core: ClientCore): Promise<number> {
  const { response } = await core.call('CountAll', {});
  return toUint(response.count, 'count');
}

export async function txById(core: ClientCore, tx: number, o: TxOptions = {}): Promise<Tx> {
  const entriesSpec = entriesSpecToInit(o.entriesSpec);
  const { response } = await core.call('TxById', {
    tx: txIdArg(tx, 'tx'),
    ...(entriesSpec !== undefined ? { entriesSpec } : {}),
    sinceTx: txIdArg(o.sinceTx, 'sinceTx'),
    noWait: o.noWait === true,
    keepReferencesUnresolved: o.keepReferencesUnresolved === true,
  });
  return txFromMsg(response);
}

export async function txScan(core: ClientCore, o: TxScanOptions): Promise<Tx[]> {
  const entriesSpec = entriesSpecToInit(o.entriesSpec);
  const { response } = await core.call('TxScan', {
    initialTx: txIdArg(o.initialTx, 'initialTx'),
    limit: txIdArg(o.limit, 'limit'),
    desc: o.desc === true,
    ...(entriesSpec !== undefined ? { entriesSpec } : {}),
    sinceTx: txIdArg(o.sinceTx, 'sinceTx'),
    noWait: o.noWait === true,
  });
  return response.txs.map((t, i) => txFromMsg(t, `txs[${i}]`));
}

export async function health(core: ClientCore): Promise<HealthInfo> {
  const { response } = await core.call('Health', {});
  return { status: response.status, version: response.version };
}

export async function serverInfo(core: ClientCore): Promise<ServerInfo> {
  const { response } = await core.call('ServerInfo', {});
  return {
    version: response.version,
    startedAt: toUint(response.startedAt, 'startedAt'),
    numTransactions: toUint(response.numTransactions, 'numTransactions'),
    numDatabases: response.numDatabases,
    databasesDiskSize: toUint(response.databasesDiskSize, 'databasesDiskSize'),
  };
}
