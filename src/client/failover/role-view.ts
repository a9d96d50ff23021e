// Turns what a node says about one database (our ReplicationStatus RPC) into the failover layer's view
// of that endpoint: primary, replica, or unknown (an immudb server without the RPC, or a database the
// node does not report), with its epoch and whether it is a fenced (replaced) primary. Pure.
import type { DatabaseReplicationStatus } from '../admin-calls.js';
import { unknownView, type EndpointView, type NodeRole } from './routing.js';

function roleOf(s: DatabaseReplicationStatus): NodeRole {
  if (s.role === 'primary') return 'primary';
  if (s.role === 'replica' || s.role === 'passiveReplica') return 'replica';
  return 'unknown';
}

/** The view of `endpoint` for `db` from its status records; unknown when it reports none for `db`. */
export function viewFromStatus(endpoint: string, db: string, statuses: readonly DatabaseReplicationStatus[], penaltyUntilMs = 0): EndpointView {
  const s = statuses.find((d) => d.database === db);
  if (s === undefined) return { ...unknownView(endpoint), penaltyUntilMs };
  const role = roleOf(s);
  return {
    endpoint,
    role,
    epoch: s.epoch,
    fenced: role === 'primary' && s.state === 'halted',
    committedTxId: s.committedTxId,
    penaltyUntilMs,
  };
}

/** One line per endpoint, for error messages: `host:port primary@3`, `host:port replica`, `host:port ?`. */
export function describeViews(views: readonly EndpointView[]): string {
  return views
    .map((v) => `${v.endpoint} ${v.role === 'unknown' ? '?' : v.role}${v.role === 'primary' ? `@${v.epoch}${v.fenced ? ' fenced' : ''}` : ''}`)
    .join(', ');
}
