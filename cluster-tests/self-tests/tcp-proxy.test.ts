// Self-test of the TCP fault proxy against a real TCP server on loopback: it forwards and counts, cut
// closes live connections and refuses new ones until heal, delay adds latency per direction, and a
// one-way block stops exactly one direction (held bytes arrive on heal) while the other flows.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TcpProxy } from '../harness/tcp-proxy.js';

const waitMsMax = 3_000;
const pushIntervalMs = 20;

/** An echo server that also pushes "tick" to every client every pushIntervalMs when asked ("push"). */
interface TestServer {
  readonly server: Server;
  readonly port: number;
  received: string;
}

async function startServer(): Promise<TestServer> {
  const state = { received: '' };
  const server = createServer((socket) => {
    let timer: NodeJS.Timeout | undefined;
    socket.on('data', (chunk) => {
      const text = chunk.toString('utf8');
      state.received += text;
      if (text.includes('push') && timer === undefined) timer = setInterval(() => socket.write('tick'), pushIntervalMs);
      else socket.write(chunk);
    });
    socket.on('close', () => clearInterval(timer));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return Object.assign(state, { server, port: address.port });
}

interface TestClient {
  readonly socket: Socket;
  received: string;
  closed: boolean;
}

async function dial(port: number, host = '127.0.0.2'): Promise<TestClient> {
  const socket = connect({ host, port });
  const c: TestClient = { socket, received: '', closed: false };
  socket.on('data', (d) => (c.received += d.toString('utf8')));
  socket.on('close', () => (c.closed = true));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return c;
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + waitMsMax;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('TcpProxy', () => {
  let srv: TestServer;
  let proxy: TcpProxy;
  const clients: TestClient[] = [];

  beforeEach(async () => {
    srv = await startServer();
    proxy = new TcpProxy({ name: 'test', listenHost: '127.0.0.2', targetHost: '127.0.0.1', targetPort: srv.port });
    await proxy.start();
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.destroy();
    await proxy.close();
    await new Promise<void>((resolve) => srv.server.close(() => resolve()));
  });

  const open = async (): Promise<TestClient> => {
    const c = await dial(proxy.port);
    clients.push(c);
    return c;
  };

  it('forwards both ways and counts bytes and connections', async () => {
    const c = await open();
    c.socket.write('hello');
    await until(() => c.received === 'hello', 'echo');
    expect(srv.received).toBe('hello');
    const n = proxy.counters();
    expect(n).toMatchObject({ connectionsAccepted: 1, connectionsActive: 1, bytesUp: 5, bytesDown: 5, bytesHeld: 0 });
  });

  it('cut closes live connections and refuses new ones; heal lets them through again', async () => {
    const c = await open();
    c.socket.write('a');
    await until(() => c.received === 'a', 'first echo');
    proxy.cut();
    await until(() => c.closed, 'live connection closed');
    const refused = await dial(proxy.port).then(
      async (r) => {
        clients.push(r);
        await until(() => r.closed, 'new connection closed');
        r.socket.write('lost');
        return r;
      },
      () => undefined,
    );
    await sleep(50);
    expect(refused === undefined || refused.received === '').toBe(true);
    expect(srv.received).toBe('a');
    expect(proxy.counters().connectionsRefused).toBe(1);
    proxy.heal();
    const d = await open();
    d.socket.write('b');
    await until(() => d.received === 'b', 'echo after heal');
    expect(proxy.counters().connectionsAccepted).toBe(2);
  });

  it('delay adds latency per direction and keeps order', async () => {
    const c = await open();
    const upMs = 150;
    const downMs = 100;
    proxy.delay(upMs, downMs);
    const t0 = Date.now();
    c.socket.write('x');
    await until(() => srv.received === 'x', 'request through');
    const upSeen = Date.now() - t0;
    await until(() => c.received === 'x', 'reply through');
    const total = Date.now() - t0;
    expect(upSeen).toBeGreaterThanOrEqual(upMs - 5);
    expect(total).toBeGreaterThanOrEqual(upMs + downMs - 10);
    for (const ch of ['1', '2', '3', '4']) c.socket.write(ch);
    await until(() => c.received === 'x1234', 'ordered replies');
    proxy.pass();
  });

  it('a one-way block on requests holds them while responses still flow; heal delivers them', async () => {
    const c = await open();
    c.socket.write('push');
    await until(() => c.received.includes('tick'), 'server pushes');
    proxy.block('up');
    c.socket.write('held');
    const before = c.received.length;
    await sleep(150);
    expect(srv.received).toBe('push'); // the request did not pass
    expect(c.received.length).toBeGreaterThan(before); // ticks still arrive
    expect(proxy.counters().bytesHeld).toBe(4);
    proxy.heal();
    await until(() => srv.received === 'pushheld', 'held request delivered');
    expect(proxy.counters().bytesHeld).toBe(0);
  });

  it('a one-way block on responses lets requests through but holds the replies', async () => {
    const c = await open();
    proxy.block('down');
    c.socket.write('ping');
    await until(() => srv.received === 'ping', 'request through');
    await sleep(100);
    expect(c.received).toBe('');
    proxy.heal();
    await until(() => c.received === 'ping', 'held reply delivered');
  });
});
