// The command table both tools are built from, and the dispatcher: find the command named by the first
// positional words (`get`, `database create`, `user permission grant`), parse exactly the flags that
// command accepts (plus the global ones, with `<PREFIX>_*` environment variables), check the argument
// count, run it and print its result. It knows nothing of immudb; each tool supplies its table.
import { ImmuError } from '../../common/errors.js';
import { FlagReader, parseFlags, usage, type FlagSpec } from '../flags.js';
import { errorLine, exitCodeFor, UsageError, type ExitCodeValue } from './cli-error.js';
import { outputFormat, render, type CommandResult, type OutputFormat } from './output.js';

export interface ToolIo {
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
}

export interface CommandContext {
  readonly flags: FlagReader;
  /** Positional arguments after the command words. */
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly io: ToolIo;
  readonly format: OutputFormat;
}

export interface CommandDef {
  /** Space-separated command words; the first is the main name, the rest aliases. */
  readonly names: readonly string[];
  /** Argument synopsis, e.g. `<key> <value>`. */
  readonly synopsis: string;
  readonly summary: string;
  readonly minArgs: number;
  readonly maxArgs: number;
  readonly flags?: readonly FlagSpec[];
  run(ctx: CommandContext): Promise<CommandResult>;
}

export interface ToolSpec {
  readonly name: string;
  readonly envPrefix: string;
  readonly description: string;
  readonly globalFlags: readonly FlagSpec[];
  readonly commands: readonly CommandDef[];
  /** Extra help text after the command list (exit codes, examples). */
  readonly helpFooter: string;
}

function uniqueSpecs(specs: readonly FlagSpec[]): FlagSpec[] {
  const seen = new Map<string, FlagSpec>();
  for (const s of specs) if (!seen.has(s.name)) seen.set(s.name, s);
  return [...seen.values()];
}

function parse(specs: readonly FlagSpec[], argv: readonly string[], env: ToolRunEnv, prefix: string): FlagReader {
  try {
    return new FlagReader(parseFlags(specs, { argv, env, envPrefix: prefix }));
  } catch (err) {
    if (err instanceof ImmuError) throw new UsageError(err.message);
    throw err;
  }
}

type ToolRunEnv = Readonly<Record<string, string | undefined>>;

interface Match {
  readonly command: CommandDef;
  readonly words: number;
}

function findCommand(commands: readonly CommandDef[], positionals: readonly string[]): Match | undefined {
  let best: Match | undefined;
  for (const command of commands) {
    for (const name of command.names) {
      const words = name.split(' ');
      if (words.every((w, i) => positionals[i] === w) && (best === undefined || words.length > best.words)) best = { command, words: words.length };
    }
  }
  return best;
}

function commandLine(tool: string, c: CommandDef): string {
  return `${tool} ${c.names[0] ?? ''}${c.synopsis === '' ? '' : ` ${c.synopsis}`}`;
}

function generalHelp(spec: ToolSpec, prefix: readonly string[]): string {
  const shown = spec.commands.filter((c) => prefix.every((w, i) => (c.names[0] ?? '').split(' ')[i] === w));
  const width = Math.max(...shown.map((c) => commandLine(spec.name, c).length)) + 2;
  const lines = shown.map((c) => {
    const aliases = c.names.length > 1 ? ` (also: ${c.names.slice(1).join(', ')})` : '';
    return `  ${commandLine(spec.name, c).padEnd(width)}${c.summary}${aliases}`;
  });
  return `${spec.description}\n\nCommands:\n${lines.join('\n')}\n\nGlobal flags (env ${spec.envPrefix}_<FLAG>):\n${usage(spec.globalFlags)}\n\n${spec.helpFooter}\n`;
}

function commandHelp(spec: ToolSpec, c: CommandDef): string {
  const own = c.flags === undefined || c.flags.length === 0 ? '' : `\nFlags:\n${usage(c.flags)}\n`;
  const aliases = c.names.length > 1 ? `\nAliases: ${c.names.slice(1).join(', ')}\n` : '';
  return `Usage: ${commandLine(spec.name, c)} [flags]\n\n${c.summary}\n${aliases}${own}\nGlobal flags:\n${usage(spec.globalFlags)}\n`;
}

function dispatch(spec: ToolSpec, argv: readonly string[], env: ToolRunEnv): { help: string } | { command: CommandDef; flags: FlagReader; args: readonly string[] } {
  const all = uniqueSpecs([...spec.globalFlags, ...spec.commands.flatMap((c) => c.flags ?? [])]);
  const first = parse(all, argv, env, spec.envPrefix);
  const wantsHelp = first.bool('help') === true;
  const positionals = first.positionals;
  if (positionals.length === 0) {
    if (wantsHelp) return { help: generalHelp(spec, []) };
    throw new UsageError(`no command given (run ${spec.name} --help)`);
  }
  const match = findCommand(spec.commands, positionals);
  if (match === undefined) {
    const group = spec.commands.filter((c) => (c.names[0] ?? '').split(' ')[0] === positionals[0]);
    if (group.length > 0 && (wantsHelp || positionals.length === 1)) {
      if (wantsHelp) return { help: generalHelp(spec, [positionals[0] ?? '']) };
      throw new UsageError(`${positionals[0] ?? ''} needs a subcommand (run ${spec.name} ${positionals[0] ?? ''} --help)`);
    }
    const shown = positionals.slice(0, group.length > 0 ? 2 : 1).join(' ');
    throw new UsageError(`unknown command "${shown}" (run ${spec.name} --help)`);
  }
  const { command, words } = match;
  if (wantsHelp) return { help: commandHelp(spec, command) };
  const flags = parse(uniqueSpecs([...spec.globalFlags, ...(command.flags ?? [])]), argv, env, spec.envPrefix);
  const args = flags.positionals.slice(words);
  const name = command.names[0] ?? '';
  if (args.length < command.minArgs) throw new UsageError(`${name}: missing argument (usage: ${commandLine(spec.name, command)})`);
  if (args.length > command.maxArgs) throw new UsageError(`${name}: too many arguments (usage: ${commandLine(spec.name, command)})`);
  return { command, flags, args };
}

/** Runs one invocation; returns the exit code. Every failure is one stderr line. */
export async function runTool(spec: ToolSpec, argv: readonly string[], env: ToolRunEnv, io: ToolIo): Promise<ExitCodeValue> {
  try {
    const d = dispatch(spec, argv, env);
    if ('help' in d) {
      io.stdout.write(d.help);
      return 0;
    }
    const format = outputFormat(d.flags.string('output'));
    const result = await d.command.run({ flags: d.flags, args: d.args, env, io, format });
    io.stdout.write(render(result, format));
    return result.exitCode ?? 0;
  } catch (err) {
    io.stderr.write(`${errorLine(spec.name, err)}\n`);
    return exitCodeFor(err);
  }
}

/** The entry point's tail: run, flush stdout, exit with the code. */
export function main(spec: ToolSpec): void {
  const io: ToolIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
  runTool(spec, process.argv.slice(2), process.env, io).then(
    (code) => {
      process.exitCode = code;
      // Leftover gRPC channels or timers must not keep a finished command alive.
      process.stdout.write('', () => process.exit(code));
    },
    (err: unknown) => {
      process.stderr.write(`${errorLine(spec.name, err)}\n`);
      process.exit(2);
    },
  );
}
