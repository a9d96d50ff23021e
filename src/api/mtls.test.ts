// Mutual TLS over real gRPC (immudb's --mtls --pkey --certificate --clientcas): a client with a
// certificate signed by the configured CA is served; a client without one, or with one from another CA,
// is refused at the handshake. Certificates are made per run with the system's openssl.
import { Client, credentials, Metadata, type MethodDefinition, type ServiceError } from '@grpc/grpc-js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../common/log.js';
import { loadProtos } from './proto-loader.js';
import { startServer, type RunningServer } from './server-main.js';

let dir: string;
let server: RunningServer;

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/** A self-signed CA. */
function makeCa(name: string): void {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`);
}

/** A key + certificate signed by `ca`, with the extensions in `<name>.ext`. */
function makeLeaf(name: string, ca: string): void {
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
}

function health(creds: ReturnType<typeof credentials.createSsl>): Promise<unknown> {
  const def = loadProtos().immuService['Health'] as unknown as MethodDefinition<object, unknown>;
  const client = new Client(`localhost:${server.port}`, creds);
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, {}, new Metadata(), { deadline: Date.now() + 5000 }, (err: ServiceError | null, res?: unknown) => {
      client.close();
      if (err === null) resolve(res);
      else reject(err);
    });
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'immudb-mtls-'));
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  writeFileSync(join(dir, 'stranger.ext'), 'extendedKeyUsage=clientAuth\n');
  makeCa('ca');
  makeCa('otherca');
  makeLeaf('server', 'ca');
  makeLeaf('client', 'ca');
  makeLeaf('stranger', 'otherca');
  server = await startServer({
    dir: join(dir, 'data'),
    address: '127.0.0.1',
    port: 0,
    logger: silentLogger(),
    adminPassword: 'immudb',
    metricsServer: false,
    hashWorkers: 0,
    mtls: { keyPath: join(dir, 'server.key'), certPath: join(dir, 'server.crt'), clientCasPath: join(dir, 'ca.crt') },
  });
});

afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('--mtls', () => {
  const pem = (f: string): Buffer => readFileSync(join(dir, f));

  it('serves a client whose certificate the configured CA signed', async () => {
    const res = (await health(credentials.createSsl(pem('ca.crt'), pem('client.key'), pem('client.crt')))) as { status: boolean };
    expect(res.status).toBe(true);
  });

  it('refuses a client without a certificate', async () => {
    await expect(health(credentials.createSsl(pem('ca.crt')))).rejects.toMatchObject({ code: 14 });
  });

  it('refuses a client whose certificate another CA signed', async () => {
    await expect(health(credentials.createSsl(pem('ca.crt'), pem('stranger.key'), pem('stranger.crt')))).rejects.toMatchObject({ code: 14 });
  });
});
