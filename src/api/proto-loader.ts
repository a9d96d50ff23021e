// Loads proto/schema.proto (immudb.schema) and proto/immudbts.proto (immudbts.v1) once, with protobufjs
// reflection, and builds grpc-js service definitions whose codecs are protobufjs encode/decode directly
// (no toObject/fromObject copy; see docs/dependencies.md for the measurements behind that choice).
// Decoded messages keep 64-bit fields as Long (convert through src/api/convert.ts) and bytes as Buffer.
// It does not register handlers; see handler.ts and grpc-server.ts.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { assert } from '../common/assert.js';

export interface LoadedProtos {
  readonly root: protobuf.Root;
  /** `immudb.schema.ImmuService`, immudb's wire contract. */
  readonly immuService: ServiceDefinition;
  /** `immudbts.v1.ImmudbTs`, our additions. */
  readonly immudbTsService: ServiceDefinition;
  /** A message type by full name, e.g. `immudb.schema.SetRequest`. */
  messageType(fullName: string): protobuf.Type;
}

export const protoFileNames = ['schema.proto', 'immudbts.proto'] as const;

/** The repository's `proto/` folder, found by walking up from this module (works from src/ and dist/). */
export function protoDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, 'schema.proto'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('proto/schema.proto not found above ' + fileURLToPath(import.meta.url));
}

/** Parses the given .proto files (synchronously) into a resolved protobufjs root. */
export function loadRoot(files: readonly string[]): protobuf.Root {
  const root = new protobuf.Root();
  root.loadSync([...files], { keepCase: true });
  root.resolveAll();
  return root;
}

const emptyBuffer = Buffer.alloc(0);

/**
 * protobufjs reflection gives an absent bytes field a shared empty *array* on the prototype; make it an
 * empty Buffer so decoded messages have Buffer-typed bytes everywhere. A zero-length Buffer cannot be
 * written to, so sharing it is safe.
 */
function fixBytesDefaults(ns: protobuf.NamespaceBase): void {
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Type) {
      const proto = nested.ctor.prototype as Record<string, unknown>;
      for (const field of nested.fieldsArray) {
        if (field.type === 'bytes' && !field.repeated && !field.map) proto[field.name] = emptyBuffer;
      }
    }
    if (nested instanceof protobuf.Namespace) fixBytesDefaults(nested);
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function methodDefinition(service: protobuf.Service, method: protobuf.Method): MethodDefinition<object, object> {
  const req = method.resolvedRequestType;
  const res = method.resolvedResponseType;
  assert(req !== null && res !== null, `unresolved types in ${method.fullName}`);
  return {
    path: `/${service.fullName.slice(1)}/${method.name}`,
    requestStream: method.requestStream === true,
    responseStream: method.responseStream === true,
    requestSerialize: (value: object) => asBuffer(req.encode(value).finish()),
    requestDeserialize: (bytes: Buffer) => req.decode(bytes),
    responseSerialize: (value: object) => asBuffer(res.encode(value).finish()),
    responseDeserialize: (bytes: Buffer) => res.decode(bytes),
    originalName: method.name,
  };
}

/** A grpc-js service definition for a protobufjs service (codecs: protobufjs encode/decode). */
export function serviceDefinition(root: protobuf.Root, fullName: string): ServiceDefinition {
  const service = root.lookupService(fullName);
  const def: Record<string, MethodDefinition<object, object>> = {};
  for (const method of service.methodsArray) def[method.name] = methodDefinition(service, method);
  return def;
}

let loaded: LoadedProtos | undefined;

/** Both protos, parsed once per process. */
export function loadProtos(): LoadedProtos {
  if (loaded !== undefined) return loaded;
  const dir = protoDir();
  const root = loadRoot(protoFileNames.map((name) => join(dir, name)));
  fixBytesDefaults(root);
  loaded = {
    root,
    immuService: serviceDefinition(root, 'immudb.schema.ImmuService'),
    immudbTsService: serviceDefinition(root, 'immudbts.v1.ImmudbTs'),
    messageType: (fullName: string) => root.lookupType(fullName),
  };
  return loaded;
}
