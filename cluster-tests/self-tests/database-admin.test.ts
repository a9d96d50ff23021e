// Self-test of the immuadmin flag mapping the cluster fixture uses: replica, primary and promotion
// settings become the CLI's --replication-* flags, and the primary password travels in the
// environment, never on the command line (where `ps` would show it).
import { describe, expect, it } from 'vitest';
import { replicationFlags } from '../harness/database-admin.js';

describe('replicationFlags', () => {
  it('maps replica settings, password in env only', () => {
    const { args, env } = replicationFlags({
      replica: true,
      primaryHost: '127.0.0.1',
      primaryPort: 4000,
      primaryDatabase: 'orders',
      primaryUsername: 'immudb',
      primaryPassword: 's3cret',
      syncReplication: true,
      allowTxDiscarding: true,
    });
    expect(args).toEqual([
      '--replication-is-replica',
      '--replication-primary-host', '127.0.0.1',
      '--replication-primary-port', '4000',
      '--replication-primary-database', 'orders',
      '--replication-primary-username', 'immudb',
      '--replication-sync-enabled',
      '--replication-allow-tx-discarding',
    ]);
    expect(args.join(' ')).not.toContain('s3cret');
    expect(env).toEqual({ IMMUADMIN_REPLICATION_PRIMARY_PASSWORD: 's3cret' });
  });

  it('maps a sync primary and a promotion', () => {
    expect(replicationFlags({ replica: false, syncReplication: true, syncAcks: 1 }).args).toEqual([
      '--replication-is-replica=false',
      '--replication-sync-enabled',
      '--replication-sync-acks', '1',
    ]);
    expect(replicationFlags({ replica: false, syncReplication: false, syncAcks: 0 }).args).toEqual(['--replication-is-replica=false']);
  });
});
