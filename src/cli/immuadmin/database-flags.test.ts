// The replication flag rules of `database create|update` as a pure function: what is sent, what is
// refused and with which flag named. The end-to-end test (src/cli/immuadmin.test.ts) covers the wire.
import { describe, expect, it } from 'vitest';
import type { DatabaseSettings } from '../../client/index.js';
import { FlagReader, parseFlags } from '../flags.js';
import { clearedReplicaSettings, createSettings, parsePrimary, updateSettings } from './database-flags.js';
import { databaseFlagSpecs } from './database-flags.js';

const flags = (...argv: string[]): FlagReader => new FlagReader(parseFlags(databaseFlagSpecs, { argv }));
const creds = ['--replication-primary-username', 'u', '--replication-primary-password', 'p'];

describe('database create flags', () => {
  it('sends only what was given; the long form defaults the port to 3322', () => {
    expect(createSettings('db', flags())).toEqual({});
    expect(createSettings('db', flags('--autoload=false', '--max-key-len', '64'))).toEqual({ autoload: false, maxKeyLen: 64 });
    expect(createSettings('db', flags('--replication-is-replica', '--replication-primary-host', 'h', '--replication-primary-database', 'src', ...creds)).replication).toEqual({
      replica: true,
      primaryHost: 'h',
      primaryPort: 3322,
      primaryDatabase: 'src',
      primaryUsername: 'u',
      primaryPassword: 'p',
    });
  });

  it('expands --replication-primary HOST[:PORT] to a replica of the same-named database', () => {
    expect(createSettings('orders', flags('--replication-primary', 'node1:4000', ...creds)).replication).toMatchObject({ replica: true, primaryHost: 'node1', primaryPort: 4000, primaryDatabase: 'orders' });
    expect(parsePrimary('[::1]')).toEqual({ host: '::1', port: 3322 });
  });

  it('accepts immudb deprecated aliases and a passive replica on request', () => {
    expect(createSettings('d', flags('--replication-enabled', '--replication-master-address', 'h', '--replication-master-database', 'd', '--replication-follower-username', 'u', '--replication-follower-password', 'p')).replication).toMatchObject({ replica: true, primaryHost: 'h', primaryPort: 3322 });
    expect(createSettings('d', flags('--replication-passive')).replication).toEqual({ replica: true, ...clearedReplicaSettings });
  });

  it('refuses what immudb would accept and then misbehave on', () => {
    expect(() => createSettings('d', flags('--replication-primary-port', '1'))).toThrow(/--replication-primary-port applies only to a replica/);
    expect(() => createSettings('d', flags('--replication-passive', '--replication-primary-host', 'h'))).toThrow(/drop --replication-primary-host/);
    expect(() => createSettings('d', flags('--replication-primary', 'h', ...creds, '--replication-sync-ack-timeout', '1s'))).toThrow(/primary setting/);
  });

  it('sends a per-database sync ack timeout for a primary, in ms', () => {
    expect(createSettings('d', flags('--replication-sync-enabled', '--replication-sync-acks', '1', '--replication-sync-ack-timeout', '5s')).replication).toMatchObject({ syncAcks: 1, syncAckTimeoutMs: 5_000 });
    expect(() => createSettings('d', flags('--replication-sync-ack-timeout', '0s'))).toThrow(/must be between/);
  });
});

describe('database update flags', () => {
  const replica: DatabaseSettings = {
    replication: { replica: true, primaryHost: 'h', primaryPort: 3322, primaryDatabase: 'd', primaryUsername: 'u', primaryPassword: '', syncReplication: true, syncAcks: 0, allowTxDiscarding: true, prefetchTxBufferSize: 100, replicationCommitConcurrency: 10 },
  };
  const primary: DatabaseSettings = { replication: { replica: false, syncReplication: true, syncAcks: 2 } };

  it('promotion clears every replica-only setting, and asks for acks when sync stays on', () => {
    expect(() => updateSettings('d', flags('--replication-is-replica=false'), replica)).toThrow(/--replication-sync-acks N/);
    expect(updateSettings('d', flags('--replication-is-replica=false', '--replication-sync-acks', '1'), replica).replication).toEqual({ ...clearedReplicaSettings, replica: false, syncAcks: 1 });
    expect(updateSettings('d', flags('--replication-is-replica=false', '--replication-sync-enabled=false'), replica).replication).toEqual({ ...clearedReplicaSettings, replica: false, syncReplication: false });
  });

  it('an existing replica may change replica settings without restating its primary', () => {
    expect(updateSettings('d', flags('--replication-allow-tx-discarding=false'), replica).replication).toEqual({ allowTxDiscarding: false });
  });

  it('demotion needs the primary details and zeroes the acks', () => {
    expect(() => updateSettings('d', flags('--replication-is-replica'), primary)).toThrow(/needs --replication-primary-host/);
    expect(updateSettings('d', flags('--replication-primary', 'n', ...creds), primary).replication).toMatchObject({ replica: true, primaryPort: 3322, primaryDatabase: 'd', syncAcks: 0 });
  });

  it('a primary keeps its sync rules across partial updates', () => {
    expect(updateSettings('d', flags('--replication-sync-acks', '1'), primary).replication).toEqual({ syncAcks: 1 });
    expect(() => updateSettings('d', flags('--replication-sync-acks', '0'), primary)).toThrow(/--replication-sync-acks N/);
    expect(() => updateSettings('d', flags('--replication-prefetch-tx-buffer-size', '5'), primary)).toThrow(/d is a primary/);
  });
});
