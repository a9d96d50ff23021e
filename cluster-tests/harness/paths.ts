// Where things are on disk for the cluster harness: the repository root, the built server and CLIs,
// run directories (one per test file, under the OS temp dir) and the report directory. Only paths; no
// process or file management beyond creating a run directory.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Two levels up from this file; one more when it runs compiled from dist/ (e.g. the replication bench). */
function findRepoRoot(): string {
  const up = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  return basename(up) === 'dist' && existsSync(join(up, '..', 'package.json')) ? resolve(up, '..') : up;
}

export const repoRoot: string = findRepoRoot();

export function immudbBinPath(): string {
  return join(repoRoot, 'dist', 'src', 'cli', 'immudb.js');
}

export function immuadminBinPath(): string {
  return join(repoRoot, 'dist', 'src', 'cli', 'immuadmin.js');
}

export function reportsDir(): string {
  return join(repoRoot, 'cluster-tests', 'reports');
}

export interface RunDir {
  readonly path: string;
  /** Removes the run directory unless CLUSTER_KEEP_RUNS=1 (then it says where it is). */
  remove(): void;
}

/** A fresh directory for one test file's nodes, logs and scratch files. */
export function makeRunDir(label: string): RunDir {
  const base = join(tmpdir(), 'immudb-ts-cluster');
  mkdirSync(base, { recursive: true });
  const path = mkdtempSync(join(base, `${label.replace(/[^a-zA-Z0-9_-]/g, '_')}-`));
  return {
    path,
    remove(): void {
      if (process.env['CLUSTER_KEEP_RUNS'] === '1') {
        process.stderr.write(`cluster run kept at ${path}\n`);
        return;
      }
      rmSync(path, { recursive: true, force: true });
    },
  };
}
