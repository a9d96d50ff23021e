// Server configuration: precedence (flag > env > file > default), immudb's flag forms, and refusal of
// contradictory or unsupported settings with a message naming the flag.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isImmuError } from '../common/errors.js';
import { parseDurationMs } from './flags.js';
import { resolveServerConfig } from './server-config.js';

describe('resolveServerConfig', () => {
  it('gives immudb defaults with no input', () => {
    const c = resolveServerConfig([], {});
    expect(c.dir).toBe('./data');
    expect(c.port).toBe(3322);
    expect(c.metricsPort).toBe(9497);
    expect(c.adminPassword).toBe('immudb');
    expect(c.writeTxHeaderVersion).toBe(1);
    expect(c.replication.primaryPort).toBe(3322);
    expect(c.sessionTimeoutMs).toBe(120_000);
  });

  it('applies flags over env over config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'immudb.toml');
    writeFileSync(file, 'dir = "/from/file"\nport = 1111\nmetrics_server_port = 2222\n');
    const c = resolveServerConfig(['--config', file, '--port=4444'], { IMMUDB_DIR: '/from/env', IMMUDB_PORT: '5555' });
    expect(c.port).toBe(4444);
    expect(c.dir).toBe('/from/env');
    expect(c.metricsPort).toBe(2222);
  });

  it('accepts short flags, --flag=false and enc: passwords', () => {
    const c = resolveServerConfig(['-p', '7000', '--auth=true', '--admin-password', `enc:${Buffer.from('s3cret!').toString('base64')}`], {});
    expect(c.port).toBe(7000);
    expect(c.adminPassword).toBe('s3cret!');
  });

  it('reads IMMUDB_WRITE_TX_HEADER_VERSION and rejects other versions', () => {
    expect(resolveServerConfig([], { IMMUDB_WRITE_TX_HEADER_VERSION: '0' }).writeTxHeaderVersion).toBe(0);
    expect(() => resolveServerConfig(['--write-tx-header-version', '2'], {})).toThrow(/must be 0 or 1/);
  });

  it.each([
    [['--port', '70000'], /out of range/],
    [['--bogus'], /unknown flag: --bogus/],
    [['--port'], /needs an argument/],
    [['--port', 'abc'], /expected int/],
    [['--maintenance'], /requires --auth=false/],
    [['--synced=false'], /not supported/],
    [['--replication-primary-host', 'h'], /needs --replication-is-replica/],
    [['--replication-is-replica', '--replication-primary-host', 'h'], /--replication-primary-username/],
    [['--replication-is-replica', '--replication-sync-acks', '1'], /applies to a primary/],
    [['--admin-password', ''], /must not be empty/],
  ])('refuses %j', (argv, message) => {
    let caught: unknown;
    try {
      resolveServerConfig(argv, {});
    } catch (err) {
      caught = err;
    }
    expect(isImmuError(caught, 'INVALID_ARGUMENT')).toBe(true);
    expect((caught as Error).message).toMatch(message);
  });
});

describe('parseDurationMs', () => {
  it.each([
    ['2m', 120_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['10', 10_000],
  ])('%s', (text, ms) => expect(parseDurationMs(text)).toBe(ms));
  it('rejects junk', () => expect(() => parseDurationMs('2x')).toThrow());
});
