// Wire conformance with the official Node SDK, immudb-node@1.1.1 (an exact-version devDependency): for
// every RPC its client calls (found in its compiled client), our proto/schema.proto must have the same
// path, streaming flags, and request/response messages with the same field numbers, types and labels,
// recursively. Names may differ (the SDK predates immudb's TxMetadata -> TxHeader rename). The only
// tolerated differences are listed in `knownDifferences`, each with the reason; the test fails when a
// new one appears or a listed one disappears.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { loadProtos, loadRoot } from './proto-loader.js';

const require = createRequire(import.meta.url);
const sdkDir = dirname(require.resolve('immudb-node/package.json'));
const sdkRoot = loadRoot([join(sdkDir, 'proto', 'schema.proto')]);
const ourRoot = loadProtos().root;
const sdkService = sdkRoot.lookupService('immudb.schema.ImmuService');
const ourService = ourRoot.lookupService('immudb.schema.ImmuService');

/** RPCs the SDK's client calls: `this.client.<stub>(` in its compiled client, matched to the service. */
function rpcsCalledBySdk(): string[] {
  const clientJs = readFileSync(join(sdkDir, 'dist', 'src', 'client.js'), 'utf8');
  const stubs = new Set([...clientJs.matchAll(/this\.client\.([A-Za-z]+)\(/g)].map((m) => m[1]!.toLowerCase()));
  return sdkService.methodsArray.filter((m) => stubs.has(m.name.toLowerCase())).map((m) => m.name);
}

/** SQL is out of scope for immudb-ts; without a method in our service grpc-js answers UNIMPLEMENTED. */
const excludedRpcs = new Set(['SQLExec', 'SQLQuery', 'ListTables', 'DescribeTable']);

/**
 * Differences we keep on purpose. Both are in TxEntry, which only the server sends, so the SDK's proto
 * is not authoritative here; ours follows immudb >= 1.2 (core spec §4.8), which the Go SDK needs.
 */
const knownDifferences = new Set([
  // SDK: int64 vOff = 3; ours: int32 vLen = 3. Same varint wire type; the SDK decodes and ignores it.
  'TxEntry.3: type int64 != int32',
  // SDK: int32 vLen = 4; ours: KVMetadata metadata = 4. Never emitted for header-version-0 databases
  // (entries without metadata), the only ones the SDK can verify (sdk spec §4.1, §9).
  'TxEntry.4: type int32 != message',
]);

function fieldKind(f: protobuf.Field): string {
  if (f.resolvedType instanceof protobuf.Type) return 'message';
  if (f.resolvedType instanceof protobuf.Enum) return 'enum';
  return f.type;
}

function label(f: protobuf.Field): string {
  if (f instanceof protobuf.MapField) return `map<${f.keyType}>`;
  return f.repeated ? 'repeated' : 'optional';
}

function compareEnums(sdk: protobuf.Enum, ours: protobuf.Enum, at: string, out: string[]): void {
  for (const [name, value] of Object.entries(sdk.values)) {
    if (!Object.values(ours.values).includes(value)) out.push(`${at}: enum value ${name}=${value} missing`);
  }
}

function compareMessages(sdk: protobuf.Type, ours: protobuf.Type, out: string[], seen: Set<string>): void {
  const pair = `${sdk.fullName}|${ours.fullName}`;
  if (seen.has(pair)) return;
  seen.add(pair);
  for (const f of sdk.fieldsArray) {
    const at = `${sdk.name}.${f.id}`;
    const g = ours.fieldsById[f.id];
    if (g === undefined) {
      out.push(`${at}: missing (${f.name})`);
      continue;
    }
    if (fieldKind(f) !== fieldKind(g)) {
      out.push(`${at}: type ${fieldKind(f)} != ${fieldKind(g)}`);
      continue;
    }
    if (label(f) !== label(g)) out.push(`${at}: label ${label(f)} != ${label(g)}`);
    if ((f.partOf === null) !== (g.partOf === null)) out.push(`${at}: oneof membership differs`);
    if (f.resolvedType instanceof protobuf.Type && g.resolvedType instanceof protobuf.Type) {
      compareMessages(f.resolvedType, g.resolvedType, out, seen);
    }
    if (f.resolvedType instanceof protobuf.Enum && g.resolvedType instanceof protobuf.Enum) {
      compareEnums(f.resolvedType, g.resolvedType, at, out);
    }
  }
}

function compareRpc(name: string, out: string[], seen: Set<string>): void {
  const sdk = sdkService.methods[name]!;
  const ours = ourService.methods[name];
  if (ours === undefined) {
    out.push(`rpc ${name}: missing`);
    return;
  }
  if (Boolean(sdk.requestStream) !== Boolean(ours.requestStream)) out.push(`rpc ${name}: requestStream differs`);
  if (Boolean(sdk.responseStream) !== Boolean(ours.responseStream)) out.push(`rpc ${name}: responseStream differs`);
  compareMessages(sdk.resolvedRequestType!, ours.resolvedRequestType!, out, seen);
  compareMessages(sdk.resolvedResponseType!, ours.resolvedResponseType!, out, seen);
}

describe('conformance with immudb-node@1.1.1', () => {
  const called = rpcsCalledBySdk();

  it('finds the 37 RPCs the SDK calls', () => {
    expect(called).toHaveLength(37);
    expect(called).toContain('VerifiableSet');
  });

  it('serves every called RPC (except SQL) with identical messages and streaming flags', () => {
    const out: string[] = [];
    const seen = new Set<string>();
    for (const name of called) if (!excludedRpcs.has(name)) compareRpc(name, out, seen);
    expect(out.filter((d) => !knownDifferences.has(d))).toEqual([]);
    expect(new Set(out)).toEqual(knownDifferences);
  });

  it('can fail: a mismatched pair of messages is reported (canary)', () => {
    const out: string[] = [];
    compareMessages(sdkRoot.lookupType('immudb.schema.KeyRequest'), ourRoot.lookupType('immudb.schema.KeyListRequest'), out, new Set());
    expect(out).toContain('KeyRequest.1: label optional != repeated'); // bytes key vs repeated bytes keys
    expect(out).toContain('KeyRequest.3: missing (sinceTx)');
  });

  it('keeps the excluded SQL RPCs out of our service (so clients get UNIMPLEMENTED)', () => {
    for (const name of excludedRpcs) {
      expect(called).toContain(name);
      expect(ourService.methods[name]).toBeUndefined();
    }
  });

  it('uses the same gRPC paths (service and method names are case-sensitive)', () => {
    for (const name of called) {
      if (excludedRpcs.has(name)) continue;
      expect(ourService.methods[name]?.name).toBe(name);
    }
    expect(ourService.fullName).toBe(sdkService.fullName);
  });
});
