// Endpoint parsing and the transport failures a failover layer will branch on: a node that does not
// answer maps to a catalog code (with the gRPC status kept in details), and a closed client refuses.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { GrpcStatus, isImmuError } from '../common/errors.js';
import { Connection, normalizeEndpoint } from './connection.js';
import { ImmuClient } from './immu-client.js';
import { MemoryStateStore } from './state-store.js';

describe('normalizeEndpoint', () => {
  it('adds the default port and keeps explicit ones', () => {
    expect(normalizeEndpoint('localhost')).toBe('localhost:3322');
    expect(normalizeEndpoint(' 10.0.0.1:4000 ')).toBe('10.0.0.1:4000');
    expect(normalizeEndpoint('[::1]:5000')).toBe('[::1]:5000');
    expect(normalizeEndpoint('[::1]')).toBe('[::1]:3322');
  });

  it('refuses what is not host[:port]', () => {
    for (const bad of ['', 'a b', 'host:99999', 'host:0', 'http://x:1', 'h:p']) {
      expect(() => normalizeEndpoint(bad), bad).toThrow(/endpoint/);
    }
  });
});

describe('Connection', () => {
  it('keeps every endpoint and uses the first', () => {
    const c = new Connection({ endpoints: ['a:1', 'b'], timeoutMs: 1000 });
    expect(c.endpoints).toEqual(['a:1', 'b:3322']);
    expect(c.endpoint).toBe('a:1');
    c.close();
    expect(() => new Connection({ endpoints: [], timeoutMs: 1000 })).toThrow(/endpoint/);
  });

  it('an unreachable node is NODE_UNAVAILABLE with status UNAVAILABLE; a closed client refuses calls', async () => {
    const port = await freePort();
    const client = new ImmuClient({ address: `127.0.0.1:${port}`, timeoutMs: 2000, stateStore: new MemoryStateStore() });
    const err: unknown = await client.health().catch((e: unknown) => e);
    expect(isImmuError(err, 'NODE_UNAVAILABLE')).toBe(true);
    expect(isImmuError(err) ? err.details?.['grpcStatus'] : undefined).toBe(GrpcStatus.UNAVAILABLE);
    client.close();
    await expect(client.health()).rejects.toSatisfy((e) => isImmuError(e, 'STORE_CLOSED'));
  });

  it('a node that accepts but never answers is TIMEOUT after timeoutMs', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const address = silent.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const client = new ImmuClient({ address: `127.0.0.1:${address.port}`, timeoutMs: 300, stateStore: new MemoryStateStore() });
    const started = Date.now();
    const err: unknown = await client.health().catch((e: unknown) => e);
    expect(isImmuError(err, 'TIMEOUT')).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
    client.close();
    silent.close();
  });
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const address = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
