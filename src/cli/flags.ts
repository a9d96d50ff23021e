// A small declarative flag parser shared by immudb, immuadmin and immuclient. It exists because the
// tools must accept immudb's flag forms exactly: `--flag value`, `--flag=value`, boolean `--flag`
// and `--flag=false`, short aliases (`-p 3322`), plus `<PREFIX>_<FLAG>` environment variables.
// It only parses; it does not know what any flag means.
import { ImmuError } from '../common/errors.js';

export type FlagType = 'string' | 'int' | 'bool' | 'duration';

export interface FlagSpec {
  readonly name: string;
  readonly type: FlagType;
  readonly short?: string;
  readonly aliases?: readonly string[];
  readonly description: string;
  /** Default as the user would type it; absent means "unset". */
  readonly defaultValue?: string;
}

export type FlagValue = string | number | boolean;

export interface ParsedFlags {
  /** Flag name -> value from the highest-precedence source that set it. */
  readonly values: ReadonlyMap<string, FlagValue>;
  /** Flag name -> where the value came from. */
  readonly sources: ReadonlyMap<string, 'flag' | 'env' | 'config' | 'default'>;
  readonly positionals: readonly string[];
}

export interface ParseInput {
  readonly argv: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Environment prefix without the underscore, e.g. `IMMUDB`. */
  readonly envPrefix?: string;
  /** Values from a config file, keyed by flag name. */
  readonly config?: Readonly<Record<string, unknown>>;
}

const TRUE_WORDS = new Set(['true', '1', 't', 'yes', 'y', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'f', 'no', 'n', 'off']);

export function envNameFor(prefix: string, flag: string): string {
  return `${prefix}_${flag.replace(/-/g, '_').toUpperCase()}`;
}

/** Parses a duration like `2m`, `30s`, `1h30m`, `500ms`, or a bare number of seconds, into milliseconds. */
export function parseDurationMs(text: string): number {
  const bare = Number(text);
  if (text.trim() !== '' && Number.isFinite(bare)) return bare * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const n = Number(m[1]);
    const unit = m[2];
    total += unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n * 3_600_000;
    consumed = re.lastIndex;
  }
  if (consumed === 0 || consumed !== text.length) throw new Error(`not a duration: ${text}`);
  return total;
}

function convert(spec: FlagSpec, raw: unknown, origin: string): FlagValue {
  const fail = (): never => {
    throw new ImmuError('INVALID_ARGUMENT', `invalid value ${JSON.stringify(raw)} for --${spec.name} (${origin}): expected ${spec.type}`);
  };
  switch (spec.type) {
    case 'string':
      return typeof raw === 'string' || typeof raw === 'number' ? String(raw) : fail();
    case 'int': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      return Number.isSafeInteger(n) ? n : fail();
    }
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      const w = String(raw).toLowerCase();
      return TRUE_WORDS.has(w) ? true : FALSE_WORDS.has(w) ? false : fail();
    }
    case 'duration': {
      if (typeof raw === 'number') return raw * 1000;
      try {
        return parseDurationMs(String(raw));
      } catch {
        return fail();
      }
    }
  }
}

export function parseFlags(specs: readonly FlagSpec[], input: ParseInput): ParsedFlags {
  const byName = new Map<string, FlagSpec>();
  for (const s of specs) {
    byName.set(s.name, s);
    for (const a of s.aliases ?? []) byName.set(a, s);
  }
  const byShort = new Map<string, FlagSpec>(specs.filter((s) => s.short !== undefined).map((s) => [s.short as string, s]));
  const values = new Map<string, FlagValue>();
  const sources = new Map<string, 'flag' | 'env' | 'config' | 'default'>();
  const positionals: string[] = [];

  const argv = input.argv;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let spec: FlagSpec | undefined;
    let inline: string | undefined;
    let label: string;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
      spec = byName.get(name);
      label = `--${name}`;
    } else if (arg.startsWith('-') && arg.length > 1 && !/^-\d/.test(arg)) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(1) : arg.slice(1, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
      spec = byShort.get(name);
      label = `-${name}`;
    } else {
      positionals.push(arg);
      continue;
    }
    if (spec === undefined) throw new ImmuError('INVALID_ARGUMENT', `unknown flag: ${label}`);
    let raw: string;
    if (inline !== undefined) raw = inline;
    else if (spec.type === 'bool') raw = 'true';
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new ImmuError('INVALID_ARGUMENT', `flag needs an argument: ${label}`);
      raw = next;
      i++;
    }
    values.set(spec.name, convert(spec, raw, 'flag'));
    sources.set(spec.name, 'flag');
  }

  for (const s of specs) {
    if (values.has(s.name)) continue;
    const envRaw = input.envPrefix === undefined ? undefined : input.env?.[envNameFor(input.envPrefix, s.name)];
    if (envRaw !== undefined && envRaw !== '') {
      values.set(s.name, convert(s, envRaw, `env ${envNameFor(input.envPrefix as string, s.name)}`));
      sources.set(s.name, 'env');
      continue;
    }
    const cfgRaw = input.config?.[s.name];
    if (cfgRaw !== undefined) {
      values.set(s.name, convert(s, cfgRaw, 'config file'));
      sources.set(s.name, 'config');
      continue;
    }
    if (s.defaultValue !== undefined) {
      values.set(s.name, convert(s, s.defaultValue, 'default'));
      sources.set(s.name, 'default');
    }
  }
  return { values, sources, positionals };
}

/** Typed accessors over ParsedFlags; they assert the declared type so call sites stay short. */
export class FlagReader {
  readonly #parsed: ParsedFlags;
  constructor(parsed: ParsedFlags) {
    this.#parsed = parsed;
  }
  has(name: string): boolean {
    return this.#parsed.values.has(name);
  }
  source(name: string): 'flag' | 'env' | 'config' | 'default' | undefined {
    return this.#parsed.sources.get(name);
  }
  string(name: string): string | undefined {
    const v = this.#parsed.values.get(name);
    return v === undefined ? undefined : String(v);
  }
  int(name: string): number | undefined {
    const v = this.#parsed.values.get(name);
    return typeof v === 'number' ? v : undefined;
  }
  bool(name: string): boolean | undefined {
    const v = this.#parsed.values.get(name);
    return typeof v === 'boolean' ? v : undefined;
  }
  get positionals(): readonly string[] {
    return this.#parsed.positionals;
  }
}

export function usage(specs: readonly FlagSpec[]): string {
  return specs
    .map((s) => {
      const names = [s.short === undefined ? undefined : `-${s.short}`, `--${s.name}`].filter((x) => x !== undefined).join(', ');
      const def = s.defaultValue === undefined ? '' : ` (default ${s.defaultValue})`;
      return `  ${names.padEnd(42)} ${s.description}${def}`;
    })
    .join('\n');
}
