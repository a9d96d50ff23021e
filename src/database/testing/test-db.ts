// TEST SUPPORT ONLY: opens a Database over a fresh store for one test. The one place that decides which
// store backs the database tests: the real ImmuStore + KeyIndex in a temp dir by default, or the
// in-memory double (backend 'memory', or IMMUDB_DB_TEST_BACKEND=memory) for the few tests that need to
// hold the index back or corrupt a value in place.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { silentLogger } from '../../common/log.js';
import type { TxHeaderVersion } from '../../proof/tx-header.js';
import { ImmuStore } from '../../store/immu-store.js';
import { Database } from '../database.js';
import type { DatabaseStore } from '../store-api.js';
import { MemoryStore } from './memory-store.js';

export type TestBackend = 'real' | 'memory';

export interface TestDbOptions {
  readonly backend?: TestBackend;
  readonly writeTxHeaderVersion?: TxHeaderVersion;
  /** Shared by the store (tx timestamps) and the database (expiry). */
  readonly nowSeconds?: () => number;
  readonly maxKeyLen?: number;
  readonly maxValueLen?: number;
  readonly maxTxEntries?: number;
}

export interface TestDb {
  readonly backend: TestBackend;
  readonly db: Database;
  readonly store: DatabaseStore;
  /** The double when backend is 'memory' (index hold, value corruption); undefined otherwise. */
  readonly memory: MemoryStore | undefined;
  close(): Promise<void>;
}

export function defaultBackend(): TestBackend {
  return process.env['IMMUDB_DB_TEST_BACKEND'] === 'memory' ? 'memory' : 'real';
}

async function openRealStore(opts: TestDbOptions, dir: string): Promise<DatabaseStore> {
  // Assigning to DatabaseStore is the compile-time check that ImmuStore + KeyIndex satisfy the seam.
  const store: DatabaseStore = await ImmuStore.open({
    dir,
    logger: silentLogger(),
    ...(opts.writeTxHeaderVersion !== undefined ? { writeTxHeaderVersion: opts.writeTxHeaderVersion } : {}),
    ...(opts.nowSeconds !== undefined ? { nowSeconds: opts.nowSeconds } : {}),
    ...(opts.maxKeyLen !== undefined ? { maxKeyLen: opts.maxKeyLen } : {}),
    ...(opts.maxValueLen !== undefined ? { maxValueLen: opts.maxValueLen } : {}),
    ...(opts.maxTxEntries !== undefined ? { maxTxEntries: opts.maxTxEntries } : {}),
  });
  return store;
}

export async function openTestDb(opts: TestDbOptions = {}): Promise<TestDb> {
  const backend = opts.backend ?? defaultBackend();
  const dir = backend === 'real' ? fs.mkdtempSync(path.join(os.tmpdir(), 'immudb-database-')) : undefined;
  const memory = backend === 'memory' ? new MemoryStore(opts) : undefined;
  const store = memory ?? (await openRealStore(opts, dir as string));
  const db = Database.open({
    name: 'testdb',
    store,
    logger: silentLogger(),
    ...(opts.nowSeconds !== undefined ? { nowSeconds: opts.nowSeconds } : {}),
  });
  return {
    backend,
    db,
    store,
    memory,
    close: async () => {
      await db.close();
      if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
