// The server's HTTP/2 windows as a plain http2 client sees them on a real loopback connection: the
// per-stream initial window in the server's SETTINGS and the connection window after its WINDOW_UPDATE.
// Fails when a grpc-js upgrade hides the listeners http2-sessions.ts configures.
import { connect, type ClientHttp2Session } from 'node:http2';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../common/log.js';
import { bindGrpcServer, createGrpcServer, type RunningGrpcServer } from './grpc-server.js';
import { serverHttp2Windows, watchHttp2Sessions } from './http2-sessions.js';

async function remoteWindows(port: number): Promise<{ stream: number | undefined; connection: number | undefined }> {
  const session: ClientHttp2Session = connect(`http://127.0.0.1:${port}`);
  try {
    await once(session, 'remoteSettings');
    // the server sends its new SETTINGS and the WINDOW_UPDATE once its own settings are acknowledged
    for (let i = 0; i < 100; i++) {
      if (session.remoteSettings.initialWindowSize === serverHttp2Windows.streamBytes && (session.state.remoteWindowSize ?? 0) > 65_535) break;
      await sleep(10);
    }
    return { stream: session.remoteSettings.initialWindowSize, connection: session.state.remoteWindowSize };
  } finally {
    session.close();
  }
}

describe('HTTP/2 flow-control windows', () => {
  let running: RunningGrpcServer;

  beforeAll(async () => {
    running = await bindGrpcServer(createGrpcServer({}), { address: '127.0.0.1', port: 0, logger: silentLogger() });
  });

  afterAll(async () => {
    await running.shutdown(1000);
  });

  it('every connection gets the configured stream and connection windows, not the 64 KiB default', async () => {
    for (let i = 0; i < 2; i++) {
      const w = await remoteWindows(running.port);
      expect(w.stream).toBe(serverHttp2Windows.streamBytes);
      expect(w.connection).toBe(serverHttp2Windows.connectionBytes);
    }
  });

  it('reports 0 listeners (and keeps the defaults) on a server that was never bound', () => {
    expect(watchHttp2Sessions(createGrpcServer({}), serverHttp2Windows, silentLogger()).listeners).toBe(0);
  });
});
