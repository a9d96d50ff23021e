// TEST SUPPORT ONLY: a real immudb-ts server in-process (src/api/server-main.ts) on a loopback port in
// a fresh temporary directory, optionally with a state-signing key, and clients pointed at it.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../api/server-main.js';
import { silentLogger } from '../../common/log.js';
import { ImmuClient, type ImmuClientOptions } from '../immu-client.js';

export const adminPassword = 'immudb';

export interface TestServer {
  readonly server: RunningServer;
  readonly address: string;
  readonly dir: string;
  /** A client with its own state directory under the test dir unless options say otherwise. */
  client(options?: Partial<ImmuClientOptions>): ImmuClient;
  stop(): Promise<void>;
}

export async function startTestServer(opts: { signingKey?: KeyObject } = {}): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'immu-client-e2e-'));
  const server = await startServer({
    dir: join(dir, 'data'),
    address: '127.0.0.1',
    port: 0,
    logger: silentLogger(),
    adminPassword,
    metricsServer: false,
    shutdownDrainMs: 1000,
    ...(opts.signingKey !== undefined ? { signingKey: opts.signingKey } : {}),
  });
  const address = `127.0.0.1:${server.port}`;
  const clients: ImmuClient[] = [];
  return {
    server,
    address,
    dir,
    client(options = {}) {
      const c = new ImmuClient({ address, stateDir: join(dir, 'client-state'), timeoutMs: 10_000, ...options });
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.close();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh P-256 key pair: the private key for the server, the public PEM for clients. */
export function p256KeyPair(): { privateKey: KeyObject; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}
