// Generates src/api/proto-types.ts from the loaded protos, so handlers are typed without `any` and
// without a code-generation dependency. Two shapes per message, matching how proto-loader.ts codes:
//   `XxxMsg`  what decode() hands a handler: 64-bit = Long (convert via convert.ts), bytes = Buffer,
//             absent message = null, repeated = readonly array, oneof = members + discriminator.
//   `XxxInit` what a handler may give encode(): every field optional, 64-bit = number | Long.
// Regenerate with `npm run proto:types`; src/api/proto-types.test.ts fails when the file is stale.
import protobuf from 'protobufjs';

const int64Types = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const numberTypes = new Set(['double', 'float', 'int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);

/** `.immudb.schema.Precondition.KeyMustExistPrecondition` -> `Precondition_KeyMustExistPrecondition`. */
function typeName(t: protobuf.ReflectionObject): string {
  const parts: string[] = [];
  let cur: protobuf.ReflectionObject | null = t;
  while (cur !== null && (cur instanceof protobuf.Type || cur instanceof protobuf.Enum)) {
    parts.unshift(cur.name);
    cur = cur.parent;
  }
  return parts.join('_');
}

function scalar(field: protobuf.Field, shape: 'Msg' | 'Init'): string {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum) return 'number';
  if (resolved instanceof protobuf.Type) return `${typeName(resolved)}${shape}`;
  if (int64Types.has(field.type)) return shape === 'Msg' ? 'Long' : 'number | Long';
  if (numberTypes.has(field.type)) return 'number';
  if (field.type === 'bool') return 'boolean';
  if (field.type === 'string') return 'string';
  if (field.type === 'bytes') return shape === 'Msg' ? 'Buffer' : 'Uint8Array';
  throw new Error(`unsupported field type ${field.type} in ${field.fullName}`);
}

function fieldType(field: protobuf.Field, shape: 'Msg' | 'Init'): string {
  const base = scalar(field, shape);
  if (field instanceof protobuf.MapField) return `Readonly<Record<string, ${base}>>`;
  if (field.repeated) return `readonly ${base.includes(' ') ? `(${base})` : base}[]`;
  if (field.resolvedType instanceof protobuf.Type) return `${base} | null`;
  if (field.partOf !== null && shape === 'Msg') return `${base} | null`;
  return base;
}

function renderType(t: protobuf.Type): string {
  const name = typeName(t);
  const msg: string[] = [];
  const init: string[] = [];
  for (const field of t.fieldsArray) {
    msg.push(`  readonly ${field.name}: ${fieldType(field, 'Msg')};`);
    init.push(`  readonly ${field.name}?: ${fieldType(field, 'Init')};`);
  }
  for (const oneof of t.oneofsArray) {
    const names = oneof.fieldsArray.map((f) => `'${f.name}'`).join(' | ');
    msg.push(`  readonly ${oneof.name}?: ${names};`);
  }
  const body = (lines: string[]): string => (lines.length === 0 ? '{}' : `{\n${lines.join('\n')}\n}`);
  return [
    `/** ${t.fullName.slice(1)} as decoded. */`,
    `export interface ${name}Msg ${body(msg)}`,
    `/** ${t.fullName.slice(1)} as given to encode. */`,
    `export interface ${name}Init ${body(init)}`,
  ].join('\n');
}

function renderEnum(e: protobuf.Enum): string {
  const entries = Object.entries(e.values).map(([k, v]) => `  ${k}: ${v},`);
  return `export const ${typeName(e)} = {\n${entries.join('\n')}\n} as const;`;
}

function renderService(s: protobuf.Service): string {
  const lines = s.methodsArray.map((m) => {
    const req = m.resolvedRequestType;
    const res = m.resolvedResponseType;
    if (req === null || res === null) throw new Error(`unresolved ${m.fullName}`);
    const kind =
      m.requestStream === true
        ? m.responseStream === true
          ? 'bidi'
          : 'clientStream'
        : m.responseStream === true
          ? 'serverStream'
          : 'unary';
    return (
      `  readonly ${m.name}: { readonly kind: '${kind}'; readonly request: ${typeName(req)}Msg; ` +
      `readonly response: ${typeName(res)}Init };`
    );
  });
  return `/** ${s.fullName.slice(1)}: request as decoded, response as encoded, per RPC. */\nexport interface ${s.name}Methods {\n${lines.join('\n')}\n}`;
}

function collect(ns: protobuf.NamespaceBase, out: protobuf.ReflectionObject[]): void {
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Type || nested instanceof protobuf.Enum || nested instanceof protobuf.Service) {
      out.push(nested);
    }
    if (nested instanceof protobuf.Namespace) collect(nested, out);
  }
}

/** The full text of src/api/proto-types.ts for the given root. */
export function renderProtoTypes(root: protobuf.Root): string {
  const all: protobuf.ReflectionObject[] = [];
  collect(root, all);
  const seen = new Map<string, string>();
  const chunks: string[] = [];
  for (const obj of all) {
    const name = obj instanceof protobuf.Service ? obj.name : typeName(obj);
    const prev = seen.get(name);
    if (prev !== undefined) throw new Error(`type name collision: ${prev} and ${obj.fullName}`);
    seen.set(name, obj.fullName);
    if (obj instanceof protobuf.Type) chunks.push(renderType(obj));
    else if (obj instanceof protobuf.Enum) chunks.push(renderEnum(obj));
    else if (obj instanceof protobuf.Service) chunks.push(renderService(obj));
  }
  return [
    '// GENERATED by src/api/proto-types-gen.ts from proto/*.proto; do not edit. `npm run proto:types`',
    '// regenerates it and src/api/proto-types.test.ts fails when it is stale. Shapes: see the generator.',
    "import type { Long } from 'protobufjs';",
    '',
    chunks.join('\n\n'),
    '',
  ].join('\n');
}
