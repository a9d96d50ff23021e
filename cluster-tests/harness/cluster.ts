// The 3-node cluster fixture: node1..node3 on 127.0.0.1, .2 and .3, each with its own directory under a
// run directory, TCP fault proxies for the links between them (a replica is pointed at the proxy, never
// at its primary directly, so cutting a link is real), replicated-database setup and failover moves
// through a DatabaseAdmin seam, and read-back helpers (stateOf, replicationStatus, convergence, final
// reads). Everything goes through processes and the client library; nothing imports src/server.
// It does not decide what a scenario checks: scenarios hold their oracle.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DatabaseReplicationStatus, ImmuClient, ReplicationSettings } from '../../src/client/index.js';
import { defaultAdmin, type DatabaseAdmin } from './database-admin.js';
import type { FinalReads } from './history.js';
import { convergeTimeoutMs, nodeStopTimeoutMs, pollIntervalMs, scanKeysMax, scanPageKeysMax } from './limits.js';
import { NodeProcess, adminUser } from './node-process.js';
import { makeRunDir, reportsDir, type RunDir } from './paths.js';
import type { NodeFinalState } from './summary.js';
import { TcpProxy } from './tcp-proxy.js';

export interface NodeState {
  readonly txId: number;
  /** Hex of the Alh at txId. */
  readonly alh: string;
  readonly precommittedTxId: number;
}

export interface ClusterOptions {
  /** Names the run directory (use the scenario's name). */
  readonly label: string;
  readonly nodeCount?: number;
  /** Extra immudb flags per node name. */
  readonly nodeArgs?: (name: string) => readonly string[];
  /** Extra environment variables per node name (e.g. the canary's test-only switch). */
  readonly nodeEnv?: (name: string) => Readonly<Record<string, string>>;
  readonly admin?: DatabaseAdmin;
}

export interface ReplicatedDatabaseOptions {
  readonly primary: string;
  readonly replicas: readonly string[];
  /** Primary side: acks required before a commit (0 = async). */
  readonly syncAcks?: number;
  /** Replica side: take part in sync replication. */
  readonly syncReplication?: boolean;
  readonly allowTxDiscarding?: boolean;
}

const clusterNodeCountDefault = 3;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class Cluster {
  readonly label: string;
  readonly runDir: RunDir;
  readonly nodes: readonly NodeProcess[];
  readonly admin: DatabaseAdmin;
  readonly #proxies = new Map<string, TcpProxy>();

  private constructor(label: string, runDir: RunDir, nodes: readonly NodeProcess[], admin: DatabaseAdmin) {
    this.label = label;
    this.runDir = runDir;
    this.nodes = nodes;
    this.admin = admin;
  }

  /** Creates and starts every node (in parallel) and waits until all are healthy. */
  static async start(options: ClusterOptions): Promise<Cluster> {
    const runDir = makeRunDir(options.label);
    const count = options.nodeCount ?? clusterNodeCountDefault;
    const nodes = Array.from({ length: count }, (_, i) => {
      const name = `node${i + 1}`;
      return new NodeProcess({
        name,
        host: `127.0.0.${i + 1}`,
        nodeDir: join(runDir.path, name),
        extraArgs: options.nodeArgs?.(name) ?? [],
        env: options.nodeEnv?.(name) ?? {},
      });
    });
    const cluster = new Cluster(options.label, runDir, nodes, options.admin ?? defaultAdmin());
    try {
      await Promise.all(nodes.map((n) => n.start()));
    } catch (err) {
      await cluster.shutdown({ keepRunDir: true });
      throw new Error(`cluster ${options.label} did not start (run dir kept at ${runDir.path}): ${(err as Error).message}`);
    }
    return cluster;
  }

  node(name: string): NodeProcess {
    const n = this.nodes.find((x) => x.name === name);
    if (n === undefined) throw new Error(`no node ${name}`);
    return n;
  }

  /**
   * The proxy carrying `from`'s connections to `to` (created on first use). It listens on `to`'s
   * loopback address with a port of its own, and forwards to `to`'s gRPC port.
   */
  async link(from: string, to: string): Promise<TcpProxy> {
    const id = `${from}->${to}`;
    const existing = this.#proxies.get(id);
    if (existing !== undefined) return existing;
    const target = this.node(to);
    this.node(from);
    const proxy = new TcpProxy({ name: id, listenHost: target.host, targetHost: target.host, targetPort: target.port });
    await proxy.start();
    this.#proxies.set(id, proxy);
    return proxy;
  }

  get proxies(): readonly TcpProxy[] {
    return [...this.#proxies.values()];
  }

  /** Replica settings pointing `replica` at `primary` through their link's proxy. */
  async replicaSettings(replica: string, primary: string, db: string, options: Omit<ReplicatedDatabaseOptions, 'primary' | 'replicas' | 'syncAcks'>): Promise<ReplicationSettings> {
    const proxy = await this.link(replica, primary);
    return {
      replica: true,
      primaryDatabase: db,
      primaryHost: proxy.host,
      primaryPort: proxy.port,
      primaryUsername: adminUser,
      primaryPassword: this.node(primary).adminPassword,
      syncReplication: options.syncReplication ?? false,
      allowTxDiscarding: options.allowTxDiscarding ?? false,
    };
  }

  /** Creates `db` on the primary, then on each replica pointed at the primary through a proxy. */
  async createReplicatedDatabase(db: string, options: ReplicatedDatabaseOptions): Promise<void> {
    const syncAcks = options.syncAcks ?? 0;
    await this.admin.createDatabase(this.node(options.primary), db, { replica: false, syncReplication: syncAcks > 0, syncAcks });
    for (const replica of options.replicas) {
      await this.admin.createDatabase(this.node(replica), db, await this.replicaSettings(replica, options.primary, db, options));
    }
  }

  /** Turns a replica into the primary of `db` (UpdateDatabaseV2 with replica: false). */
  async promote(node: string, db: string, syncAcks = 0): Promise<void> {
    await this.admin.updateDatabase(this.node(node), db, { replica: false, syncReplication: syncAcks > 0, syncAcks });
  }

  /** Points replica `node` at a new primary (through their link's proxy). */
  async repoint(node: string, db: string, primary: string, options: Omit<ReplicatedDatabaseOptions, 'primary' | 'replicas' | 'syncAcks'> = {}): Promise<void> {
    await this.admin.updateDatabase(this.node(node), db, await this.replicaSettings(node, primary, db, options));
  }

  async #withClient<T>(node: string, db: string | undefined, use: (c: ImmuClient) => Promise<T>): Promise<T> {
    const client = await this.node(node).client(db);
    try {
      return await use(client);
    } finally {
      client.close();
    }
  }

  /** The node's committed state of `db` (CurrentState). */
  stateOf(node: string, db: string): Promise<NodeState> {
    return this.#withClient(node, db, async (c) => {
      const s = await c.currentState();
      return { txId: s.txId, alh: s.txHash.toString('hex'), precommittedTxId: s.precommittedTxId };
    });
  }

  /** The node's replication status record for `db`. */
  replicationStatus(node: string, db: string): Promise<DatabaseReplicationStatus> {
    return this.#withClient(node, undefined, async (c) => {
      const result = await c.replicationStatus(db);
      const status = result.databases.find((d) => d.database === db);
      if (status === undefined) throw new Error(`${node} reports no replication status for ${db}`);
      return status;
    });
  }

  /**
   * Polls until every listed node reports the same (txId, Alh) for `db`, at least `minTxId`.
   * Returns the common state; throws with every node's last state on timeout.
   */
  async waitForConvergence(db: string, nodes: readonly string[], minTxId = 0, timeoutMs = convergeTimeoutMs): Promise<NodeState> {
    const deadline = Date.now() + timeoutMs;
    let last: string[] = [];
    while (Date.now() < deadline) {
      const states = await Promise.all(nodes.map((n) => this.stateOf(n, db).catch((err: unknown) => err as Error)));
      last = states.map((s, i) => `${nodes[i]}: ${s instanceof Error ? s.message : `tx ${s.txId} alh ${s.alh.slice(0, 16)}`}`);
      const first = states[0];
      if (first !== undefined && !(first instanceof Error) && first.txId >= minTxId) {
        if (states.every((s) => !(s instanceof Error) && s.txId === first.txId && s.alh === first.alh)) return first;
      }
      await sleep(pollIntervalMs);
    }
    throw new Error(`${db} did not converge in ${timeoutMs} ms: ${last.join('; ')}`);
  }

  /** Reads every key under `prefix` of `db` on `node`, as of its committed state. */
  readAll(node: string, db: string, prefix: string): Promise<Map<string, string>> {
    return this.#withClient(node, db, async (c) => {
      const { txId } = await c.currentState();
      const out = new Map<string, string>();
      let seek: Buffer | undefined;
      for (;;) {
        const page = await c.scan({
          prefix: Buffer.from(prefix),
          ...(seek === undefined ? {} : { seekKey: seek, inclusiveSeek: false }),
          limit: scanPageKeysMax,
          sinceTx: txId,
        });
        for (const e of page) out.set(e.key.toString('utf8'), e.value.toString('utf8'));
        const lastEntry = page[page.length - 1];
        if (page.length < scanPageKeysMax || lastEntry === undefined) break;
        if (out.size >= scanKeysMax) throw new Error(`more than ${scanKeysMax} keys under ${prefix}`);
        seek = lastEntry.key;
      }
      return out;
    });
  }

  /** Final reads for the history checker: every written key, present or absent, from one node. */
  async finalReads(node: string, db: string, prefix: string, writtenKeys: readonly string[]): Promise<FinalReads> {
    const found = await this.readAll(node, db, prefix);
    const reads = new Map<string, string | undefined>(found);
    for (const k of writtenKeys) if (!reads.has(k)) reads.set(k, undefined);
    return reads;
  }

  /** Each node's final (txId, Alh) of `db`, or why it could not be read. */
  async finalStates(db: string, nodes: readonly string[] = this.nodes.map((n) => n.name)): Promise<NodeFinalState[]> {
    return Promise.all(
      nodes.map(async (node) => {
        if (!this.node(node).running) return { node, txId: null, alh: null, error: 'not running' };
        try {
          const s = await this.stateOf(node, db);
          return { node, txId: s.txId, alh: s.alh };
        } catch (err) {
          return { node, txId: null, alh: null, error: (err as Error).message };
        }
      }),
    );
  }

  /**
   * Stops every node (SIGTERM, SIGKILL after a bounded wait), closes proxies, copies each node's logs
   * to `cluster-tests/reports/<label>/logs/` (so a failure can be read after the run dir is gone) and
   * removes the run dir.
   */
  async shutdown(options: { readonly keepRunDir?: boolean } = {}): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop(nodeStopTimeoutMs).catch(() => n.kill9().catch(() => undefined))));
    await Promise.all(this.proxies.map((p) => p.close()));
    this.#proxies.clear();
    const logsDir = join(reportsDir(), this.label, 'logs');
    mkdirSync(logsDir, { recursive: true });
    for (const n of this.nodes) {
      for (const [from, suffix] of [[n.stdoutPath, 'stdout'], [n.stderrPath, 'stderr']] as const) {
        if (existsSync(from)) copyFileSync(from, join(logsDir, `${n.name}.${suffix}.log`));
      }
    }
    if (options.keepRunDir !== true) this.runDir.remove();
  }
}
