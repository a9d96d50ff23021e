// The pure half of `immuadmin database failover`: what each probed node reported becomes a
// FailoverCandidate for replication/core/failover.ts (which decides), the decision's steps become the
// UpdateDatabaseV2 settings to send, and the outcome becomes text or JSON. No I/O here; the command
// (failover-command.ts) probes, asks the core, runs the steps and hands the results back to this file.
import type { DatabaseReplicationStatus, ReplicationSettings } from '../../client/index.js';
import { normalizeEndpoint } from '../../client/connection.js';
import { ImmuError } from '../../common/errors.js';
import { EMPTY_HASH } from '../../proof/index.js';
import type { FailoverCandidate, FailoverDecision } from '../../../replication/core/failover.js';
import type { ReplicationRole } from '../../../replication/core/status.js';
import { HALT_CODES, type HaltKind, type TxRef } from '../../../replication/core/types.js';
import { UsageError } from '../tool-common/cli-error.js';
import { fields, table } from '../tool-common/output.js';
import { clearedReplicaSettings } from './database-flags.js';

/** What one node said, or why it could not be asked. */
export interface NodeReport {
  /** `host:port` as normalised from --nodes: also the address the other nodes are pointed at. */
  readonly node: string;
  readonly status: DatabaseReplicationStatus | undefined;
  readonly committed: TxRef | undefined;
  readonly precommitted: TxRef | undefined;
  /** Why the node is not usable for this database (unreachable, no such database, ...). */
  readonly error: string | undefined;
}

/** The outcome of one step the command ran. */
export interface StepResult {
  readonly kind: 'promote' | 'repoint' | 'demote';
  readonly node: string;
  readonly ok: boolean;
  readonly error?: string;
  /** promote: the epoch the node reports after the promotion. */
  readonly epoch?: number;
  readonly primaryNode?: string;
}

export interface FailoverReport {
  readonly database: string;
  readonly nodes: readonly NodeReport[];
  readonly decision: FailoverDecision;
  readonly steps: readonly StepResult[];
  readonly syncAcks: number | undefined;
}

/** --nodes: at least two distinct `host[:port]` entries, comma-separated. */
export function parseNodes(text: string | undefined): string[] {
  if (text === undefined || text.trim() === '') throw new UsageError('--nodes is required: every node of the database, e.g. --nodes node1:3322,node2:3322,node3:3322');
  const nodes: string[] = [];
  for (const raw of text.split(',')) {
    if (raw.trim() === '') continue;
    let node: string;
    try {
      node = normalizeEndpoint(raw);
    } catch (err) {
      throw new UsageError(`--nodes: ${err instanceof ImmuError ? err.message : String(err)}`);
    }
    if (nodes.includes(node)) throw new UsageError(`--nodes names ${node} twice`);
    nodes.push(node);
  }
  if (nodes.length < 2) throw new UsageError('--nodes needs at least two nodes (the failed primary and a replica)');
  return nodes;
}

/** Host and port of a normalised `host:port` (brackets of an IPv6 host removed). */
export function hostPort(node: string): { host: string; port: number } {
  const i = node.lastIndexOf(':');
  return { host: node.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(node.slice(i + 1)) };
}

const haltKindByCode: ReadonlyMap<string, HaltKind> = new Map(
  (Object.entries(HALT_CODES) as [HaltKind, string][]).filter(([kind]) => kind !== 'precommit-divergence').map(([kind, code]) => [code, kind]),
);

/** The halt kind behind a status's halt code (divergence reads as commit divergence: suspect either way). */
export function haltKindOf(code: string): HaltKind | undefined {
  return code === '' ? undefined : (haltKindByCode.get(code) ?? 'local-failure');
}

function roleOf(s: DatabaseReplicationStatus): ReplicationRole | undefined {
  if (s.role === 'primary') return 'primary';
  if (s.role === 'replica') return 'replica';
  if (s.role === 'passiveReplica') return 'passive-replica';
  return undefined;
}

const genesis: TxRef = { txId: 0, alh: EMPTY_HASH };

/**
 * The core's view of one node. A node that could not be fully probed counts as unreachable (its epoch,
 * when its status came back, still counts towards the new epoch). `promotable` is the node's own
 * verdict from ReplicationStatus, never guessed from the halt code.
 */
export function candidateOf(r: NodeReport): FailoverCandidate {
  const s = r.status;
  const usable = r.error === undefined && s !== undefined && r.committed !== undefined && r.precommitted !== undefined;
  const halt = s === undefined ? undefined : haltKindOf(s.haltCode);
  return {
    node: r.node,
    reachable: usable,
    role: s === undefined ? undefined : roleOf(s),
    epoch: s?.epoch ?? 0,
    promotable: s?.promotable === true,
    halt,
    committed: r.committed ?? genesis,
    precommitted: r.precommitted ?? genesis,
  };
}

/** Acks the new primary waits for: the flag, else 1 when the promoted node took part in sync replication and a replica remains. */
export function syncAcksFor(flag: number | undefined, promoted: NodeReport | undefined, replicasLeft: number): number {
  if (flag !== undefined) return flag;
  return promoted?.status?.syncReplication === true && replicasLeft > 0 ? 1 : 0;
}

/**
 * UpdateDatabaseV2 settings that turn a replica into the primary. `epoch` is the failover's minimum
 * (above every epoch any probed node reported); the server takes max(epoch, its own persisted + 1).
 */
export function promoteSettings(syncAcks: number, epoch: number): ReplicationSettings {
  return { ...clearedReplicaSettings, replica: false, syncReplication: syncAcks > 0, syncAcks, primaryEpoch: epoch };
}

/** A replica follows the new primary; its other settings (user, password, sync) stay as they are. */
export function repointSettings(primary: string): ReplicationSettings {
  const { host, port } = hostPort(primary);
  return { replica: true, primaryHost: host, primaryPort: port };
}

/** A live old primary (switchover) becomes a replica of the new one; it needs credentials on it. */
export function demoteSettings(primary: string, db: string, user: string, password: string, sync: boolean): ReplicationSettings {
  const { host, port } = hostPort(primary);
  return { replica: true, primaryHost: host, primaryPort: port, primaryDatabase: db, primaryUsername: user, primaryPassword: password, syncReplication: sync, allowTxDiscarding: true };
}

// ---- output --------------------------------------------------------------------------------------

function nodeJson(r: NodeReport): Record<string, unknown> {
  const s = r.status;
  return {
    node: r.node,
    reachable: r.error === undefined,
    ...(r.error !== undefined ? { error: r.error } : {}),
    ...(s !== undefined ? { role: s.role, state: s.state, epoch: s.epoch, haltCode: s.haltCode || undefined } : {}),
    ...(r.committed !== undefined ? { committedTxId: r.committed.txId, committedAlh: r.committed.alh.toString('hex') } : {}),
    ...(r.precommitted !== undefined ? { precommittedTxId: r.precommitted.txId } : {}),
  };
}

export function reportJson(rep: FailoverReport): Record<string, unknown> {
  const d = rep.decision;
  const failed = rep.steps.some((s) => !s.ok);
  return {
    database: rep.database,
    outcome: d.kind === 'refuse' ? 'refused' : failed ? 'failed' : 'promoted',
    ...(d.kind === 'refuse' ? { reason: d.reason, message: d.message } : { newPrimary: d.node, plannedEpoch: d.newEpoch, syncAcks: rep.syncAcks }),
    nodes: rep.nodes.map(nodeJson),
    skipped: d.skipped,
    steps: rep.steps,
  };
}

export function reportText(rep: FailoverReport): string {
  const d = rep.decision;
  const rows = rep.nodes.map((r) => [
    r.node,
    r.error !== undefined ? 'unreachable' : (r.status?.role ?? '?'),
    r.status === undefined ? '-' : `${r.status.state}${r.status.haltCode !== '' ? ` (${r.status.haltCode})` : ''}`,
    r.status === undefined ? '-' : String(r.status.epoch),
    r.committed === undefined ? '-' : String(r.committed.txId),
    r.precommitted === undefined ? '-' : String(r.precommitted.txId),
    r.error ?? '',
  ]);
  const lines = [`database ${rep.database}: nodes probed`, table(['NODE', 'ROLE', 'STATE', 'EPOCH', 'COMMITTED', 'PRECOMMITTED', 'NOTE'], rows)];
  for (const s of d.skipped) lines.push(`skipped ${s.node}: ${s.reason}`);
  if (d.kind === 'refuse') {
    lines.push(`refused (${d.reason}): ${d.message}`);
    return lines.join('\n');
  }
  for (const s of rep.steps) {
    const what = s.kind === 'promote' ? `promoted ${s.node} to primary${s.epoch !== undefined ? ` (epoch ${s.epoch})` : ''}` : `${s.kind === 'demote' ? 'demoted' : 'repointed'} ${s.node} to follow ${s.primaryNode ?? d.node}`;
    lines.push(s.ok ? what : `FAILED: ${what}: ${s.error ?? ''}`);
  }
  const failed = rep.steps.some((s) => !s.ok);
  lines.push(
    fields([
      ['new primary', d.node],
      ['sync acks', rep.syncAcks ?? 0],
      ['result', failed ? 'incomplete: see the failed step above' : 'done'],
    ]),
  );
  return lines.join('\n');
}
