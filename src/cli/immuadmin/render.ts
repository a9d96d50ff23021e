// immuadmin's printing of database settings and lists. A stored replication password is never
// printed (the server returns it to admins, as immudb does); it shows as "[redacted]". Pure.
import type { DatabaseInfo, DatabaseSettings, ReplicationSettings } from '../../client/index.js';
import { fields, table } from '../tool-common/output.js';

export function redactReplication(r: ReplicationSettings | undefined): ReplicationSettings | undefined {
  if (r === undefined) return undefined;
  return r.primaryPassword === undefined || r.primaryPassword === '' ? r : { ...r, primaryPassword: '[redacted]' };
}

export function settingsJson(s: DatabaseSettings): Record<string, unknown> {
  const { replication, ...rest } = s;
  const red = redactReplication(replication);
  return { ...rest, ...(red === undefined ? {} : { replication: red }) };
}

export function settingsText(name: string, s: DatabaseSettings): string {
  const r = redactReplication(s.replication) ?? {};
  const rows: [string, string | number | boolean][] = [['database', name]];
  const add = (label: string, v: string | number | boolean | undefined): void => {
    if (v !== undefined) rows.push([label, v]);
  };
  add('replica', r.replica);
  if (r.replica === true) {
    add('primary host', r.primaryHost);
    add('primary port', r.primaryPort);
    add('primary database', r.primaryDatabase);
    add('primary username', r.primaryUsername);
    add('primary password', r.primaryPassword === undefined || r.primaryPassword === '' ? '' : r.primaryPassword);
    add('prefetch tx buffer size', r.prefetchTxBufferSize);
    add('commit concurrency', r.replicationCommitConcurrency);
    add('allow tx discarding', r.allowTxDiscarding);
    add('wait for indexing', r.waitForIndexing);
  }
  add('sync replication', r.syncReplication);
  add('sync acks', r.syncAcks);
  if (r.replica !== true) add('sync ack timeout ms', r.syncAckTimeoutMs);
  add('primary epoch', r.primaryEpoch);
  add('file size', s.fileSize);
  add('max key len', s.maxKeyLen);
  add('max value len', s.maxValueLen);
  add('max tx entries', s.maxTxEntries);
  add('exclude commit time', s.excludeCommitTime);
  add('write tx header version', s.writeTxHeaderVersion);
  add('autoload', s.autoload);
  return fields(rows);
}

function role(d: DatabaseInfo): string {
  const r = d.settings.replication;
  if (r?.replica !== true) return 'primary';
  return r.primaryHost === undefined || r.primaryHost === '' ? 'passive replica' : `replica of ${r.primaryDatabase ?? ''}@${r.primaryHost}:${r.primaryPort ?? ''}`;
}

export function databaseListText(dbs: readonly DatabaseInfo[]): string {
  const rows = dbs.map((d) => [
    d.name,
    d.loaded ? 'LOADED' : 'UNLOADED',
    role(d),
    String(d.numTransactions),
    String(d.diskSize),
    d.createdBy || '-',
    d.createdAt === 0 ? '-' : new Date(d.createdAt * 1000).toISOString(),
  ]);
  return table(['NAME', 'STATE', 'ROLE', 'TXS', 'DISK BYTES', 'CREATED BY', 'CREATED AT'], rows);
}

export function databaseListJson(dbs: readonly DatabaseInfo[]): unknown {
  return { databases: dbs.map((d) => ({ ...d, settings: settingsJson(d.settings) })) };
}
