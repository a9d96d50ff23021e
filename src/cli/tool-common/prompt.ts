// Reading secrets and confirmations from the user: hidden input (no echo) when stdin is a terminal, one
// line of stdin otherwise (`echo -n pw | immuadmin login immudb`, as immudb allows). Nothing read here is
// ever printed or logged.
import { UsageError } from './cli-error.js';

export interface PromptIo {
  readonly stdin: NodeJS.ReadStream;
  readonly stderr: NodeJS.WriteStream;
}

let pipedLines: Promise<string[]> | undefined;

/** All of a non-terminal stdin, split into lines once, so several prompts can each take one. */
function pipedInput(stdin: NodeJS.ReadStream): Promise<string[]> {
  pipedLines ??= new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stdin.on('data', (c: Buffer) => chunks.push(c));
    stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8').split(/\r?\n/)));
    stdin.on('error', reject);
  });
  return pipedLines;
}

async function pipedLine(io: PromptIo, what: string): Promise<string> {
  const lines = await pipedInput(io.stdin);
  const line = lines.shift();
  if (line === undefined || (line === '' && lines.length === 0)) throw new UsageError(`${what} is required: pass it as a flag or on stdin`);
  return line;
}

function hiddenLine(io: PromptIo, question: string): Promise<string> {
  const { stdin, stderr } = io;
  stderr.write(question);
  return new Promise((resolve, reject) => {
    let text = '';
    stdin.setRawMode(true);
    stdin.resume();
    const done = (err?: Error): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      stderr.write('\n');
      if (err === undefined) resolve(text);
      else reject(err);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new UsageError('cancelled'));
        if (ch === '\u007f' || ch === '\b') text = [...text].slice(0, -1).join('');
        else text += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** A secret: hidden prompt on a terminal, else the next stdin line. */
export function readSecret(io: PromptIo, question: string): Promise<string> {
  return io.stdin.isTTY ? hiddenLine(io, question) : pipedLine(io, question.replace(/:\s*$/, '').toLowerCase());
}

/** A yes/no question; only on a terminal (scripts must say what they want with flags). */
export async function confirm(io: PromptIo, question: string): Promise<boolean> {
  if (!io.stdin.isTTY) return false;
  io.stderr.write(`${question} [y/N] `);
  const answer = await new Promise<string>((resolve) => {
    io.stdin.resume();
    io.stdin.once('data', (c: Buffer) => {
      io.stdin.pause();
      resolve(c.toString('utf8').trim());
    });
  });
  return /^y(es)?$/i.test(answer);
}
