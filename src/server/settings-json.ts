// The JSON document a database's settings are persisted as in systemdb (key 0x02 + name). Field names
// are immudb's, including the old replication names (masterAddress, followerUsername, ...), so a
// document written by immudb loads here; our additions (primaryEpoch, syncAckTimeoutMs) are extra
// fields immudb ignores, and fields we do not interpret are kept verbatim in `unknownJson`. Missing
// fields take the server defaults (as immudb unmarshals onto its defaults). Pure: bytes in, bytes out.
import { ImmuError } from '../common/errors.js';
import {
  defaultDatabaseSettings,
  type DatabaseSettings,
  type ReplicationSettings,
  type ServerSettingsDefaults,
} from './settings.js';

type JsonKind = 'boolean' | 'number' | 'string';

/** JSON name -> [model path, JSON type]. Replication fields live under `replication`. */
const REPLICATION_FIELDS: readonly (readonly [string, keyof ReplicationSettings, JsonKind])[] = [
  ['replica', 'replica', 'boolean'],
  ['syncReplication', 'syncReplication', 'boolean'],
  ['masterDatabase', 'primaryDatabase', 'string'],
  ['masterAddress', 'primaryHost', 'string'],
  ['masterPort', 'primaryPort', 'number'],
  ['followerUsername', 'primaryUsername', 'string'],
  ['followerPassword', 'primaryPassword', 'string'],
  ['syncAcks', 'syncAcks', 'number'],
  ['prefetchTxBufferSize', 'prefetchTxBufferSize', 'number'],
  ['replicationCommitConcurrency', 'replicationCommitConcurrency', 'number'],
  ['allowTxDiscarding', 'allowTxDiscarding', 'boolean'],
  ['skipIntegrityCheck', 'skipIntegrityCheck', 'boolean'],
  ['waitForIndexing', 'waitForIndexing', 'boolean'],
  ['primaryEpoch', 'primaryEpoch', 'number'],
  ['syncAckTimeoutMs', 'syncAckTimeoutMs', 'number'],
];

type PlainField = 'fileSize' | 'maxKeyLen' | 'maxValueLen' | 'maxTxEntries' | 'writeTxHeaderVersion'
  | 'excludeCommitTime' | 'maxActiveTransactions' | 'syncFrequencyMs' | 'createdBy' | 'updatedBy';

const PLAIN_FIELDS: readonly (readonly [string, PlainField, JsonKind])[] = [
  ['fileSize', 'fileSize', 'number'],
  ['maxKeyLen', 'maxKeyLen', 'number'],
  ['maxValueLen', 'maxValueLen', 'number'],
  ['maxTxEntries', 'maxTxEntries', 'number'],
  ['writeTxHeaderVersion', 'writeTxHeaderVersion', 'number'],
  ['excludeCommitTime', 'excludeCommitTime', 'boolean'],
  ['maxActiveTransactions', 'maxActiveTransactions', 'number'],
  ['syncFrequency', 'syncFrequencyMs', 'number'],
  ['createdBy', 'createdBy', 'string'],
  ['updatedBy', 'updatedBy', 'string'],
];

const KNOWN_JSON_FIELDS = new Set<string>([
  'database', 'autoload', 'createdAt', 'updatedAt',
  ...REPLICATION_FIELDS.map(([j]) => j),
  ...PLAIN_FIELDS.map(([j]) => j),
]);

/** immudb's autoload: 0 unspecified (= enabled), 1 enabled, 2 disabled. */
const AUTOLOAD_ENABLED = 1;
const AUTOLOAD_DISABLED = 2;
/** Go's zero time.Time, written for "never". */
const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

export function settingsToJson(database: string, s: DatabaseSettings): Buffer {
  const doc: Record<string, unknown> = { ...s.unknownJson, database };
  for (const [json, field] of REPLICATION_FIELDS) doc[json] = s.replication[field];
  for (const [json, field] of PLAIN_FIELDS) doc[json] = s[field];
  doc['autoload'] = s.autoload ? AUTOLOAD_ENABLED : AUTOLOAD_DISABLED;
  doc['createdAt'] = timeToJson(s.createdAtMs);
  doc['updatedAt'] = timeToJson(s.updatedAtMs);
  return Buffer.from(JSON.stringify(doc), 'utf8');
}

/**
 * Parse a stored document; a malformed one is CORRUPTED_DATA (systemdb content is ours). The merge
 * rules are not re-applied: a document immudb accepted (e.g. a replica with a host but port 0, which
 * immudb treats as passive) loads as written; callers may run validateDatabaseSettings and report.
 */
export function settingsFromJson(
  bytes: Buffer,
  server: ServerSettingsDefaults,
): { readonly database: string; readonly settings: DatabaseSettings } {
  const doc = parseObject(bytes);
  const base = defaultDatabaseSettings(server);
  const replication: Record<string, unknown> = { ...base.replication };
  for (const [json, field, kind] of REPLICATION_FIELDS) {
    const v = typed(doc, json, kind);
    if (v !== undefined) replication[field] = v;
  }
  const plain: Record<string, unknown> = {};
  for (const [json, field, kind] of PLAIN_FIELDS) {
    const v = typed(doc, json, kind);
    if (v !== undefined) plain[field] = v;
  }
  const autoload = typed(doc, 'autoload', 'number');
  if (plain['writeTxHeaderVersion'] !== undefined && plain['writeTxHeaderVersion'] !== 0 && plain['writeTxHeaderVersion'] !== 1) {
    throw new ImmuError('CORRUPTED_DATA', 'stored database settings: writeTxHeaderVersion is not 0 or 1');
  }
  const unknownJson = Object.fromEntries(Object.entries(doc).filter(([k]) => !KNOWN_JSON_FIELDS.has(k)));
  const settings = {
    ...base,
    ...plain,
    replication: replication as unknown as ReplicationSettings,
    autoload: autoload !== AUTOLOAD_DISABLED,
    createdAtMs: timeFromJson(doc, 'createdAt'),
    updatedAtMs: timeFromJson(doc, 'updatedAt'),
    unknownJson,
  } as DatabaseSettings;
  return { database: String(typed(doc, 'database', 'string') ?? ''), settings };
}

function parseObject(bytes: Buffer): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ImmuError('CORRUPTED_DATA', 'stored database settings are not JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ImmuError('CORRUPTED_DATA', 'stored database settings are not a JSON object');
  }
  return doc as Record<string, unknown>;
}

function typed(doc: Record<string, unknown>, key: string, kind: JsonKind): boolean | number | string | undefined {
  const v = doc[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== kind || (kind === 'number' && !Number.isSafeInteger(v))) {
    throw new ImmuError('CORRUPTED_DATA', `stored database settings: ${key} is not a ${kind}`);
  }
  return v as boolean | number | string;
}

function timeToJson(ms: number | undefined): string {
  return ms === undefined ? GO_ZERO_TIME : new Date(ms).toISOString();
}

function timeFromJson(doc: Record<string, unknown>, key: string): number | undefined {
  const v = typed(doc, key, 'string');
  if (v === undefined || v === GO_ZERO_TIME) return undefined;
  const ms = Date.parse(String(v));
  if (Number.isNaN(ms)) throw new ImmuError('CORRUPTED_DATA', `stored database settings: ${key} is not a time`);
  return ms;
}
