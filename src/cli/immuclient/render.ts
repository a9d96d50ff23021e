// immuclient's printing of entries, sorted-set entries, transactions and states, in both output forms.
// Keys and values print as text when printable and as hex otherwise (tool-common/output.ts). Pure.
import type { Entry, ImmuState, Tx, TxHeader, ZEntry } from '../../client/index.js';
import { txAlh } from '../../proof/index.js';
import { displayBytes, fields, jsonBytes, type CommandResult } from '../tool-common/output.js';

export function entryJson(e: Entry): Record<string, unknown> {
  return {
    tx: e.tx,
    revision: e.revision,
    ...jsonBytes('key', e.key),
    ...jsonBytes('value', e.value),
    ...(e.expired ? { expired: true } : {}),
    ...(e.metadata?.deleted === true ? { deleted: true } : {}),
    ...(e.referencedBy !== undefined ? { referencedBy: { tx: e.referencedBy.tx, ...jsonBytes('key', e.referencedBy.key), atTx: e.referencedBy.atTx } } : {}),
  };
}

export function entryText(e: Entry): string {
  const rows: [string, string | number][] = [
    ['tx', e.tx],
    ['rev', e.revision],
    ['key', displayBytes(e.key)],
    ['value', displayBytes(e.value)],
  ];
  if (e.referencedBy !== undefined) rows.push(['ref', `${displayBytes(e.referencedBy.key)} (tx ${e.referencedBy.tx})`]);
  if (e.metadata?.deleted === true) rows.push(['deleted', 'true']);
  return fields(rows);
}

export function entryResult(e: Entry, extra: { verified?: boolean; valueOnly?: boolean } = {}): CommandResult {
  const verified = extra.verified === undefined ? {} : { verified: extra.verified };
  const text = extra.valueOnly === true ? displayBytes(e.value) : entryText(e) + (extra.verified === true ? '\n' + fields([['verified', 'true']]) : '');
  return { json: { ...entryJson(e), ...verified }, text };
}

export function entriesResult(entries: readonly Entry[]): CommandResult {
  return {
    json: { entries: entries.map(entryJson) },
    text: entries.length === 0 ? 'no entries' : entries.map(entryText).join('\n\n'),
  };
}

/** What a write returns: the tx header plus what was written. */
export function writeResult(h: TxHeader, written: readonly (readonly [string, Buffer])[], verified: boolean | undefined): CommandResult {
  const json: Record<string, unknown> = { tx: h.id };
  const rows: [string, string | number][] = [['tx', h.id]];
  for (const [name, bytes] of written) {
    Object.assign(json, jsonBytes(name, bytes));
    rows.push([name, displayBytes(bytes)]);
  }
  if (verified !== undefined) {
    json['verified'] = verified;
    rows.push(['verified', String(verified)]);
  }
  return { json, text: fields(rows) };
}

export function zEntryJson(z: ZEntry): Record<string, unknown> {
  return { ...jsonBytes('set', z.set), ...jsonBytes('key', z.key), score: z.score, atTx: z.atTx, ...(z.entry === undefined ? {} : { entry: entryJson(z.entry) }) };
}

export function zEntriesResult(entries: readonly ZEntry[]): CommandResult {
  const text = entries
    .map((z) => fields([['score', z.score], ['key', displayBytes(z.key)], ['value', z.entry === undefined ? '' : displayBytes(z.entry.value)], ['tx', z.entry?.tx ?? z.atTx]]))
    .join('\n\n');
  return { json: { entries: entries.map(zEntryJson) }, text: entries.length === 0 ? 'no entries' : text };
}

function headerJson(h: TxHeader): Record<string, unknown> {
  return {
    id: h.id,
    ts: h.ts,
    version: h.version,
    nEntries: h.nEntries,
    alh: txAlh(h).toString('hex'),
    eh: h.eh.toString('hex'),
    prevAlh: h.prevAlh.toString('hex'),
    blTxId: h.blTxId,
    blRoot: h.blRoot.toString('hex'),
  };
}

/** Store keys carry a one-byte keyspace prefix: 0 plain keys, 1 sorted sets, others (SQL) kept raw. */
function entryKind(key: Buffer): { kind: string; key: Buffer } {
  if (key[0] === 0x00) return { kind: 'kv', key: key.subarray(1) };
  if (key[0] === 0x01) return { kind: 'zset', key: key.subarray(1) };
  return { kind: 'other', key };
}

export function txResult(tx: Tx, verified: boolean | undefined): CommandResult {
  const h = tx.header;
  const entries = tx.entries.map((e) => {
    const k = entryKind(e.key);
    return { kind: k.kind, ...jsonBytes('key', k.key), hValue: e.hValue.toString('hex'), vLen: e.vLen };
  });
  const rows: [string, string | number][] = [
    ['tx', h.id],
    ['time', new Date(h.ts * 1000).toISOString()],
    ['entries', h.nEntries],
    ['hash', txAlh(h).toString('hex')],
  ];
  if (verified !== undefined) rows.push(['verified', String(verified)]);
  const lines = tx.entries.map((e) => {
    const k = entryKind(e.key);
    return `  ${k.kind.padEnd(5)} ${displayBytes(k.key)}  (value ${e.vLen} bytes, hash ${e.hValue.toString('hex')})`;
  });
  return {
    json: { header: headerJson(h), entries, ...(verified === undefined ? {} : { verified }) },
    text: fields(rows) + (lines.length > 0 ? `\n${lines.join('\n')}` : ''),
  };
}

export function stateJson(s: ImmuState, serverUuid: string | undefined): Record<string, unknown> {
  return { db: s.db, txId: s.txId, txHash: s.txHash.toString('hex'), signed: s.signature !== undefined, ...(serverUuid === undefined ? {} : { serverUuid }) };
}

export function stateText(s: ImmuState): string {
  return fields([
    ['database', s.db],
    ['txID', s.txId],
    ['hash', s.txHash.toString('hex')],
    ['signed', String(s.signature !== undefined)],
  ]);
}
