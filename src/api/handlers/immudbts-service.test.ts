// The ImmudbTs service skeleton: ReplicationStatus answers UNIMPLEMENTED until the node offers a
// provider (covered in immu-service.test.ts), and with one it authorizes, calls it with the requested
// database and encodes its statuses; the status conversion round-trips and refuses unknown enums/codes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImmuError } from '../../common/errors.js';
import { openTestDb, type TestDb } from '../../database/testing/test-db.js';
import type { CallContext } from '../../server/node-api.js';
import type { DatabaseReplicationStatusMsg, ReplicationStatusResponseMsg } from '../proto-types.js';
import {
  replicationStatusFromProto,
  replicationStatusToProto,
  type DatabaseReplicationStatus,
  type ReplicationStatusProvider,
} from './immudbts-service.js';
import { startHandlerTestServer, type HandlerTestServer } from './testing/handler-test-server.js';
import { SingleDatabaseNodeDouble } from './testing/single-database-node.js';
import { throughWire } from './testing/wire.js';

const halted: DatabaseReplicationStatus = {
  database: 'db1',
  role: 'replica',
  state: 'halted',
  primaryHost: 'p1',
  primaryPort: 3322,
  primaryDatabase: 'db1',
  epoch: 3,
  committedTxId: 40,
  precommittedTxId: 41,
  primaryCommittedTxId: 45,
  lagTxs: 5,
  lagMs: 120,
  syncReplication: true,
  syncAcks: 0,
  halt: { code: 'REPLICATION_DIVERGENCE', reason: 'tx 41 does not chain', atMs: 1_700_000_000_000 },
  promotable: false,
};

class ReplicatingNodeDouble extends SingleDatabaseNodeDouble implements ReplicationStatusProvider {
  readonly asked: string[] = [];
  async replicationStatus(_ctx: CallContext, database: string): Promise<readonly DatabaseReplicationStatus[]> {
    this.asked.push(database);
    return [halted];
  }
}

let testDb: TestDb;
let node: ReplicatingNodeDouble;
let srv: HandlerTestServer;

beforeAll(async () => {
  testDb = await openTestDb({ backend: 'real' });
  node = new ReplicatingNodeDouble({ database: testDb.db });
  srv = await startHandlerTestServer(node);
});

afterAll(async () => {
  await srv.close();
  await testDb.close();
});

describe('ImmudbTs.ReplicationStatus', () => {
  it('calls the provider after authorizing and encodes its statuses', async () => {
    const res = await srv.callTs<ReplicationStatusResponseMsg>('ReplicationStatus', { database: 'db1' });
    expect(res.server_uuid).toBe(node.serverUuid);
    expect(res.databases.map(replicationStatusFromProto)).toEqual([halted]);
    expect(node.asked).toEqual(['db1']);
    expect(node.authorized.at(-1)?.method).toBe('ReplicationStatus');
  });

  it('status conversion round-trips without a halt, and refuses unknown enums and error codes', () => {
    const running: DatabaseReplicationStatus = { ...halted, state: 'running', role: 'replica', promotable: true };
    delete (running as { halt?: unknown }).halt;
    const msg = throughWire<DatabaseReplicationStatusMsg>('immudbts.v1.DatabaseReplicationStatus', replicationStatusToProto(running));
    expect(replicationStatusFromProto(msg)).toEqual(running);
    expect(() => replicationStatusFromProto({ ...msg, role: 99 })).toThrow(ImmuError);
    expect(() => replicationStatusFromProto({ ...msg, halt_code: 'NOT_A_CODE' })).toThrow(ImmuError);
  });
});
