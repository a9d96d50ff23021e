// Keeps src/api/proto-types.ts in step with proto/*.proto. With UPDATE_PROTO_TYPES=1 (npm run
// proto:types) it rewrites the file instead of failing.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadProtos } from './proto-loader.js';
import { renderProtoTypes } from './proto-types-gen.js';

const target = fileURLToPath(new URL('./proto-types.ts', import.meta.url));

describe('proto-types.ts', () => {
  it('matches the protos', () => {
    const fresh = renderProtoTypes(loadProtos().root);
    if (process.env['UPDATE_PROTO_TYPES'] === '1') writeFileSync(target, fresh);
    expect(readFileSync(target, 'utf8')).toBe(fresh);
  });
});
