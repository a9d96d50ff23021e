// A strict parser for the subset of YAML that docker-compose.cluster.yml uses, so the compose runner needs
// no YAML dependency: block mappings, block sequences of scalars, one-line flow sequences (`[a, "b"]`),
// plain / 'single' / "double" quoted scalars, comments. Everything else (anchors, aliases, multi-line
// scalars, flow mappings, tabs, `- key: value` items) is refused with its line number, so the file can
// not silently mean something else to Docker than to this runner. Scalars stay strings.

export type YamlValue = string | readonly YamlValue[] | { readonly [key: string]: YamlValue };

interface Line {
  readonly no: number;
  readonly indent: number;
  readonly text: string;
}

function fail(no: number, why: string): never {
  throw new Error(`compose YAML line ${no}: ${why}`);
}

/** Removes a trailing comment (a `#` after whitespace, outside quotes). */
function stripComment(raw: string): string {
  let quote: string | undefined;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (quote !== undefined) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || raw[i - 1] === ' ')) return raw.slice(0, i);
  }
  return raw;
}

function lines(text: string): Line[] {
  const out: Line[] = [];
  text.split('\n').forEach((raw, i) => {
    const no = i + 1;
    if (/^\s*\t/.test(raw)) fail(no, 'tabs are not allowed for indentation');
    const body = stripComment(raw).trimEnd();
    if (body.trim() === '') return;
    out.push({ no, indent: body.length - body.trimStart().length, text: body.trim() });
  });
  return out;
}

function scalar(text: string, no: number): string {
  if (text.startsWith('"')) {
    if (!text.endsWith('"') || text.length < 2) fail(no, `unterminated string ${text}`);
    return JSON.parse(text) as string;
  }
  if (text.startsWith("'")) {
    if (!text.endsWith("'") || text.length < 2) fail(no, `unterminated string ${text}`);
    return text.slice(1, -1).replace(/''/g, "'");
  }
  if (/^[&*!|>{%@`]/.test(text)) fail(no, `unsupported YAML construct: ${text}`);
  return text;
}

/** `[a, "b, c", 'd']` on one line. */
function flowSequence(text: string, no: number): string[] {
  const inner = text.slice(1, -1).trim();
  if (inner === '') return [];
  const items: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i] as string;
    if (quote !== undefined) {
      current += c;
      if (c === '\\' && quote === '"') current += inner[++i] ?? '';
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
      current += c;
    } else if (c === ',') {
      items.push(scalar(current.trim(), no));
      current = '';
    } else if (c === '[' || c === '{') fail(no, 'nested flow collections are not supported');
    else current += c;
  }
  if (quote !== undefined) fail(no, 'unterminated string in a flow sequence');
  items.push(scalar(current.trim(), no));
  return items;
}

function inlineValue(text: string, no: number): YamlValue {
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) fail(no, 'a flow sequence must end on its line');
    return flowSequence(text, no);
  }
  return scalar(text, no);
}

/** Parses the block starting at lines[start] with exactly `indent`; returns the value and the next index. */
function block(ls: readonly Line[], start: number, indent: number): { value: YamlValue; next: number } {
  const first = ls[start];
  if (first === undefined) return { value: '', next: start };
  if (first.text.startsWith('- ') || first.text === '-') {
    const items: YamlValue[] = [];
    let i = start;
    for (let l = ls[i]; l !== undefined && l.indent === indent && (l.text.startsWith('- ') || l.text === '-'); l = ls[i]) {
      const item = l.text.slice(1).trim();
      if (item === '' || /^[^"'[][^:]*:(\s|$)/.test(item)) fail(l.no, 'sequence items must be scalars or flow sequences');
      items.push(inlineValue(item, l.no));
      i++;
    }
    return { value: items, next: i };
  }
  const map: Record<string, YamlValue> = {};
  let i = start;
  for (let l = ls[i]; l !== undefined && l.indent === indent; l = ls[i]) {
    const m = /^("[^"]*"|'[^']*'|[^\s:"'][^:]*?):(?:\s+(.*))?$/.exec(l.text);
    if (m === null) fail(l.no, `expected "key: value", got ${l.text}`);
    const key = scalar(m[1] as string, l.no);
    if (Object.prototype.hasOwnProperty.call(map, key)) fail(l.no, `duplicate key ${key}`);
    const rest = m[2]?.trim() ?? '';
    i++;
    if (rest !== '') {
      map[key] = inlineValue(rest, l.no);
      continue;
    }
    const child = ls[i];
    if (child === undefined || child.indent <= indent) {
      map[key] = '';
      continue;
    }
    const parsed = block(ls, i, child.indent);
    map[key] = parsed.value;
    i = parsed.next;
  }
  const stray = ls[i];
  if (stray !== undefined && stray.indent > indent) fail(stray.no, 'unexpected indentation');
  return { value: map, next: i };
}

export function parseComposeYaml(text: string): YamlValue {
  const ls = lines(text);
  if (ls.length === 0) return {};
  const top = ls[0] as Line;
  if (top.indent !== 0) fail(top.no, 'the document must start at column 0');
  const { value, next } = block(ls, 0, 0);
  const stray = ls[next];
  if (stray !== undefined) fail(stray.no, 'unexpected content');
  return value;
}
