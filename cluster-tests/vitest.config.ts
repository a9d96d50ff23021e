// Runner configuration of the real-process cluster suite (`npm run test:cluster`): harness self-tests
// and scenarios, one file at a time (each starts real immudb processes on loopback), in forked
// workers, with timeouts sized for process starts on a 2-core machine. `cluster-tests/pending/` holds
// scenarios that cannot run yet and is deliberately not included.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export default defineConfig({
  test: {
    root,
    include: ['cluster-tests/self-tests/**/*.test.ts', 'cluster-tests/scenarios/**/*.test.ts'],
    exclude: ['cluster-tests/pending/**', 'node_modules/**', 'dist/**'],
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    reporters: ['default'],
  },
});
