// The ImmudbTs service (immudbts.v1, our additions; proto/immudbts.proto): ReplicationStatus. The
// status itself belongs to the replication engine, which the node exposes through the optional
// `replicationStatus` provider below; until a node has one, the RPC answers UNIMPLEMENTED. This file
// only authorizes, converts the provider's plain objects to the wire and back, and registers.
import { ERROR_CATALOG, ImmuError, type ErrorCode } from '../../common/errors.js';
import type { NodeApi, ReplicationNodeApi, ReplicationStatusView } from '../../server/node-api.js';
import type { HandlerEnv } from '../handler.js';
import { unary } from '../handler.js';
import { toInt64, toTxId, toUint, toUint32 } from '../convert.js';
import {
  ReplicationRole as RoleNumbers,
  ReplicationState as StateNumbers,
  type DatabaseReplicationStatusInit,
  type DatabaseReplicationStatusMsg,
  type ReplicationStatusRequestMsg,
  type ReplicationStatusResponseInit,
} from '../proto-types.js';
import { authorize, type HandlerMap } from './handler-support.js';

/** One database's replication status: the node's view (server/node-api.ts), converted here to the wire. */
export type DatabaseReplicationStatus = ReplicationStatusView;
type ReplicationRole = ReplicationStatusView['role'];
type ReplicationRunState = ReplicationStatusView['state'];

/** What a node offers when it runs replication. `database` empty = every database the caller may see. */
export type ReplicationStatusProvider = Pick<ReplicationNodeApi, 'replicationStatus'>;

function hasReplicationStatus(node: NodeApi): node is NodeApi & ReplicationStatusProvider {
  return typeof (node as Partial<ReplicationStatusProvider>).replicationStatus === 'function';
}

const ROLE_NUMBERS: Readonly<Record<ReplicationRole, number>> = {
  primary: RoleNumbers.REPLICATION_ROLE_PRIMARY,
  replica: RoleNumbers.REPLICATION_ROLE_REPLICA,
  passiveReplica: RoleNumbers.REPLICATION_ROLE_PASSIVE_REPLICA,
};

const STATE_NUMBERS: Readonly<Record<ReplicationRunState, number>> = {
  notRunning: StateNumbers.REPLICATION_STATE_NOT_RUNNING,
  connecting: StateNumbers.REPLICATION_STATE_CONNECTING,
  running: StateNumbers.REPLICATION_STATE_RUNNING,
  halted: StateNumbers.REPLICATION_STATE_HALTED,
};

export function replicationStatusToProto(s: DatabaseReplicationStatus): DatabaseReplicationStatusInit {
  return {
    database: s.database,
    role: ROLE_NUMBERS[s.role],
    state: STATE_NUMBERS[s.state],
    primary_host: s.primaryHost,
    primary_port: s.primaryPort,
    primary_database: s.primaryDatabase,
    epoch: s.epoch,
    committed_tx_id: s.committedTxId,
    precommitted_tx_id: s.precommittedTxId,
    primary_committed_tx_id: s.primaryCommittedTxId,
    lag_txs: s.lagTxs,
    lag_ms: s.lagMs,
    sync_replication: s.syncReplication,
    sync_acks: s.syncAcks,
    halt_code: s.halt?.code ?? '',
    halt_reason: s.halt?.reason ?? '',
    halted_at_ms: s.halt?.atMs ?? 0,
    promotable: s.promotable,
  };
}

function errorCode(code: string): ErrorCode {
  if (!Object.hasOwn(ERROR_CATALOG, code)) throw new ImmuError('INVALID_ARGUMENT', `halt_code: unknown error code ${code}`, { field: 'halt_code' });
  return code as ErrorCode;
}

function keyOf<T extends string>(table: Readonly<Record<T, number>>, n: number, field: string): T {
  const found = (Object.entries(table) as [T, number][]).find(([, v]) => v === n);
  if (found === undefined) throw new ImmuError('INVALID_ARGUMENT', `${field}: unknown value ${n}`, { field });
  return found[0];
}

/** The client side (our CLI, cluster tests); numbers validated like every other wire input. */
export function replicationStatusFromProto(m: DatabaseReplicationStatusMsg): DatabaseReplicationStatus {
  const haltCode = m.halt_code;
  return {
    database: m.database,
    role: keyOf(ROLE_NUMBERS, m.role, 'role'),
    state: keyOf(STATE_NUMBERS, m.state, 'state'),
    primaryHost: m.primary_host,
    primaryPort: toUint32(m.primary_port, 'primary_port'),
    primaryDatabase: m.primary_database,
    epoch: toUint(m.epoch, 'epoch'),
    committedTxId: toTxId(m.committed_tx_id, 'committed_tx_id'),
    precommittedTxId: toTxId(m.precommitted_tx_id, 'precommitted_tx_id'),
    primaryCommittedTxId: toTxId(m.primary_committed_tx_id, 'primary_committed_tx_id'),
    lagTxs: toUint(m.lag_txs, 'lag_txs'),
    lagMs: toUint(m.lag_ms, 'lag_ms'),
    syncReplication: m.sync_replication,
    syncAcks: toUint32(m.sync_acks, 'sync_acks'),
    promotable: m.promotable,
    ...(haltCode !== ''
      ? { halt: { code: errorCode(haltCode), reason: m.halt_reason, atMs: toInt64(m.halted_at_ms, 'halted_at_ms') } }
      : {}),
  };
}

/** Handlers of immudbts.v1.ImmudbTs, for `server.addService(loadProtos().immudbTsService, ...)`. */
export function createImmudbTsHandlers(node: NodeApi, env: HandlerEnv): HandlerMap {
  return {
    ReplicationStatus: unary<ReplicationStatusRequestMsg, ReplicationStatusResponseInit>(env, 'ReplicationStatus', async (req, rpc) => {
      if (!hasReplicationStatus(node)) throw new ImmuError('UNIMPLEMENTED', 'ReplicationStatus: replication is not available on this server yet');
      const ctx = await authorize(node, rpc);
      const statuses = await node.replicationStatus(ctx, req.database);
      return { server_uuid: node.serverUuid, databases: statuses.map(replicationStatusToProto) };
    }) as HandlerMap[string],
  };
}
