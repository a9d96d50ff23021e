// A tiny etcd-style data-driven test file format. A file is a sequence of directives:
//
//   # comments and blank lines between directives are ignored
//   command key=value key=value
//   optional input lines
//   ----
//   expected output lines (none is fine)
//   <blank line ends the directive>
//
// rewriteFile() regenerates the expected blocks (REWRITE=1) so a changed decision shows up as a diff.

export interface Directive {
  readonly line: number;
  readonly command: string;
  readonly args: ReadonlyMap<string, string>;
  readonly input: readonly string[];
  readonly expected: string;
}

export function parseArgs(text: string): Map<string, string> {
  const args = new Map<string, string>();
  for (const tok of text.split(/\s+/).filter((t) => t.length > 0)) {
    const eq = tok.indexOf('=');
    if (eq < 0) args.set(tok, 'true');
    else args.set(tok.slice(0, eq), tok.slice(eq + 1));
  }
  return args;
}

export function parseDirectives(text: string): Directive[] {
  const lines = text.split('\n');
  const out: Directive[] = [];
  let i = 0;
  while (i < lines.length) {
    const raw = lines[i] as string;
    if (raw.trim() === '' || raw.startsWith('#')) {
      i++;
      continue;
    }
    const line = i + 1;
    const [command = '', ...rest] = raw.trim().split(/\s+/);
    const args = parseArgs(rest.join(' '));
    i++;
    const input: string[] = [];
    while (i < lines.length && lines[i] !== '----') {
      const l = lines[i] as string;
      if (l.trim() === '') throw new Error(`line ${line}: directive "${command}" has no ---- separator`);
      input.push(l);
      i++;
    }
    if (i >= lines.length) throw new Error(`line ${line}: directive "${command}" has no ---- separator`);
    i++;
    const expected: string[] = [];
    while (i < lines.length && (lines[i] as string).trim() !== '') {
      expected.push(lines[i] as string);
      i++;
    }
    out.push({ line, command, args, input, expected: expected.join('\n') });
  }
  return out;
}

/** Re-renders a file with actual outputs in place of the expected blocks; comments are kept. */
export function rewriteFile(text: string, actual: readonly string[]): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let i = 0;
  let d = 0;
  while (i < lines.length) {
    const raw = lines[i] as string;
    if (raw.trim() === '' || raw.startsWith('#')) {
      out.push(raw);
      i++;
      continue;
    }
    while (i < lines.length && lines[i] !== '----') out.push(lines[i++] as string);
    out.push('----');
    i++;
    while (i < lines.length && (lines[i] as string).trim() !== '') i++;
    const a = actual[d++] ?? '';
    if (a.length > 0) out.push(a);
  }
  return out.join('\n');
}
