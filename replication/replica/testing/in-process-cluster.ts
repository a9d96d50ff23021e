// Test support for the replication integration tests: real servers (startServer) in one process on
// 127.0.0.1 with port 0 and their own data directories, an admin client speaking raw gRPC with a
// session (the SDK in src/client is someone else's work in progress), and waitFor, which polls a
// condition instead of sleeping. Not exported from the package; tests only.
import { Client, credentials, Metadata, type MethodDefinition, type ServiceError } from '@grpc/grpc-js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { silentLogger, type Logger } from '../../../src/common/log.js';
import { loadProtos } from '../../../src/api/proto-loader.js';
import { startServer, type RunningServer, type ServerOptions } from '../../../src/api/server-main.js';
import { replicationStatusFromProto, type DatabaseReplicationStatus } from '../../../src/api/handlers/immudbts-service.js';
import type { ChunkInit, ChunkMsg, ReplicationStatusResponseMsg } from '../../../src/api/proto-types.js';
import { readChunkedMessage, streamChunkBytesDefault, toChunks } from '../../../src/api/chunks.js';

export const adminUser = 'immudb';

/** A logger whose JSON events the test can read (e.g. to find `replication.halted`). */
export function capturingLogger(): { logger: Logger; events: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  return { logger, events: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}
export const adminPassword = 'immudb';

export class TestDirs {
  readonly root = mkdtempSync(join(tmpdir(), 'immudb-repl-'));
  dir(name: string): string {
    return join(this.root, name);
  }
  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

export function startNode(dir: string, extra: Partial<ServerOptions> = {}): Promise<RunningServer> {
  return startServer({
    dir,
    address: '127.0.0.1',
    port: 0,
    logger: silentLogger(),
    adminPassword,
    metricsServer: false,
    hashWorkers: 0,
    replicationTuning: { longPollWindowMs: 300, responseTimeoutMs: 5_000 },
    ...extra,
  });
}

/** Polls `cond` every few ms until it holds; fails after `timeoutMs` naming what it waited for. */
export async function waitFor<T>(what: string, cond: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface State {
  readonly txId: number;
  readonly txHash: Buffer;
  readonly precommittedTxId: number;
}

/** An admin session on one server and database, over raw gRPC. */
export class AdminClient {
  readonly #client: Client;
  #sessionId = '';

  private constructor(port: number) {
    this.#client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  }

  static async open(port: number, database = 'defaultdb'): Promise<AdminClient> {
    const c = new AdminClient(port);
    const res = await c.call<{ sessionID: string }>('OpenSession', { username: Buffer.from(adminUser), password: Buffer.from(adminPassword), databaseName: database });
    c.#sessionId = res.sessionID;
    return c;
  }

  call<Res>(method: string, req: object, service: 'immu' | 'ts' = 'immu'): Promise<Res> {
    const protos = loadProtos();
    const def = (service === 'immu' ? protos.immuService : protos.immudbTsService)[method] as unknown as MethodDefinition<object, Res> | undefined;
    if (def === undefined) throw new Error(`no method ${method}`);
    return new Promise((resolve, reject) => {
      this.#client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, req, this.#md(), {}, (err: ServiceError | null, res?: Res) =>
        err === null ? resolve(res as Res) : reject(err),
      );
    });
  }

  async set(key: string, value: string): Promise<number> {
    const h = await this.call<{ id: { toNumber(): number } }>('Set', { KVs: [{ key: Buffer.from(key), value: Buffer.from(value) }] });
    return h.id.toNumber();
  }

  async get(key: string): Promise<string> {
    const e = await this.call<{ value: Buffer }>('Get', { key: Buffer.from(key) });
    return e.value.toString();
  }

  async state(): Promise<State> {
    const s = await this.call<{ txId: { toNumber(): number }; txHash: Buffer; precommittedTxId: { toNumber(): number } }>('CurrentState', {});
    return { txId: s.txId.toNumber(), txHash: s.txHash, precommittedTxId: s.precommittedTxId.toNumber() };
  }

  async status(database: string): Promise<DatabaseReplicationStatus> {
    const res = await this.call<ReplicationStatusResponseMsg>('ReplicationStatus', { database }, 'ts');
    const first = res.databases[0];
    if (first === undefined) throw new Error(`no status for ${database}`);
    return replicationStatusFromProto(first);
  }

  #md(): Metadata {
    const md = new Metadata();
    if (this.#sessionId !== '') md.set('sessionid', this.#sessionId);
    return md;
  }

  /** exportTx (server stream): one tx as framed chunks, reassembled, with its first-chunk metadata. */
  async exportTx(txId: number): Promise<{ payload: Buffer; metadata: Readonly<Record<string, Buffer>> }> {
    const def = loadProtos().immuService['exportTx'] as unknown as MethodDefinition<object, ChunkMsg>;
    const call = this.#client.makeServerStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, { tx: txId }, this.#md());
    const msg = await readChunkedMessage((call as AsyncIterable<ChunkMsg>)[Symbol.asyncIterator](), 1 << 30);
    if (msg === undefined) throw new Error('exportTx answered nothing');
    return msg;
  }

  /** replicateTx (client stream): sends one exported tx, returns the resulting header's id. */
  replicateTx(payload: Buffer): Promise<number> {
    const def = loadProtos().immuService['replicateTx'] as unknown as MethodDefinition<ChunkInit, { id: { toNumber(): number } }>;
    return new Promise((resolve, reject) => {
      const call = this.#client.makeClientStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, this.#md(), {}, (err, res) =>
        err !== null ? reject(err) : res === undefined ? reject(new Error('no answer')) : resolve(res.id.toNumber()),
      );
      for (const c of toChunks(payload, streamChunkBytesDefault)) call.write(c);
      call.end();
    });
  }

  close(): void {
    this.#client.close();
  }
}

/** Replication settings of CreateDatabaseV2 / UpdateDatabaseV2 (nullable wrappers). */
export function replicaSettings(primaryPort: number, opts: { database?: string; sync?: boolean; allowTxDiscarding?: boolean } = {}): object {
  return {
    replicationSettings: {
      replica: { value: true },
      primaryHost: { value: '127.0.0.1' },
      primaryPort: { value: primaryPort },
      primaryDatabase: { value: opts.database ?? 'repl' },
      primaryUsername: { value: adminUser },
      primaryPassword: { value: adminPassword },
      ...(opts.sync === true ? { syncReplication: { value: true } } : {}),
      ...(opts.allowTxDiscarding === true ? { allowTxDiscarding: { value: true } } : {}),
    },
  };
}

export function syncPrimarySettings(acks: number): object {
  return { replicationSettings: { replica: { value: false }, syncReplication: { value: true }, syncAcks: { value: acks } } };
}

/** The error code immudb-ts puts in the `immudbts-error-code` trailer. */
export function errorCodeOf(err: unknown): string | undefined {
  const v = (err as ServiceError).metadata?.get('immudbts-error-code')[0];
  return v === undefined ? undefined : String(v);
}

export async function failure(p: Promise<unknown>): Promise<ServiceError> {
  try {
    await p;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error('expected the call to fail');
}
