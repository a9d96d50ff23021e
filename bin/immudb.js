#!/usr/bin/env node
// `npx immudb` from a checkout: runs the compiled CLI in dist/. Committed, not generated; dist/ is built by
// `npm run build` (and by `npm ci`/`npm install` through the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const target = new URL('../dist/src/cli/immudb.js', import.meta.url);
if (!existsSync(fileURLToPath(target))) {
  process.stderr.write('immudb: dist/ is not built: run `npm run build` in the immudb-ts checkout first\n');
  process.exit(1);
}
await import(target.href);
