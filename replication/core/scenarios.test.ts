// Runs every replication decision scenario in testdata/*.txt through the pure state machines and
// compares the rendered actions with the file. REWRITE=1 regenerates expected blocks (review the diff).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDirectives, rewriteFile } from './testing/datadriven.js';
import { ScenarioWorld } from './testing/scenario-world.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const files = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();

describe('replication scenarios', () => {
  it('has scenario files', () => {
    expect(files.length).toBeGreaterThan(0);
  });
  for (const file of files) {
    it(file, () => {
      const path = join(dir, file);
      const text = readFileSync(path, 'utf8');
      const world = new ScenarioWorld();
      const actual: string[] = [];
      for (const d of parseDirectives(text)) {
        let out: string;
        try {
          out = world.run(d);
        } catch (err) {
          out = `error: ${(err as Error).message}`;
        }
        actual.push(out);
        if (process.env['REWRITE'] !== '1') expect(out, `${file}:${d.line} ${d.command}`).toBe(d.expected);
      }
      if (process.env['REWRITE'] === '1') writeFileSync(path, rewriteFile(text, actual));
    });
  }
});
