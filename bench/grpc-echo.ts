// The floor every server benchmark is compared with: a trivial grpc-js echo server (identity codec, no
// protobuf, no handler work) called over loopback with a fixed number of unary calls in flight. By
// default the echo server runs in a child process, as the real server does in the server benchmark, so
// client and server do not share one JS thread. The server benchmark opens it with openEchoFloor() and
// measures it in slices interleaved with its own phases, reporting its rates as ratios to it.
// `npm run bench:echo` prints it. Not a test; nothing here asserts.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Client, credentials, Metadata, Server, ServerCredentials, type ServiceDefinition } from '@grpc/grpc-js';

export interface EchoFloorOptions {
  readonly durationSeconds: number;
  readonly inFlight?: number;
  readonly payloadBytes?: number;
  /** 'child' (default): server in a forked child process; 'same': server in this process. */
  readonly serverIn?: 'child' | 'same';
}

export interface EchoFloorResult {
  readonly callsPerSecond: number;
  readonly calls: number;
  readonly durationSeconds: number;
  readonly inFlight: number;
  readonly payloadBytes: number;
  /** CPU the calling (driver) process spent per call, in microseconds. */
  readonly driverCpuUsPerCall: number;
}

const echoPath = '/immudbts.bench.Echo/Echo';
const identity = (b: Buffer): Buffer => b;

const echoService: ServiceDefinition = {
  Echo: {
    path: echoPath,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

function startEchoServer(): Promise<{ server: Server; port: number }> {
  const server = new Server();
  server.addService(echoService, {
    Echo: (call: { request: Buffer }, callback: (err: null, res: Buffer) => void) => callback(null, call.request),
  });
  return new Promise((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) =>
      err === null ? resolve({ server, port }) : reject(err),
    );
  });
}

function echoOnce(client: Client, payload: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(echoPath, identity, identity, payload, new Metadata(), {}, (err) =>
      err === null ? resolve() : reject(err),
    );
  });
}

interface EchoServerHandle {
  readonly port: number;
  stop(): void;
}

async function startEchoServerIn(where: 'child' | 'same'): Promise<EchoServerHandle> {
  if (where === 'same') {
    const { server, port } = await startEchoServer();
    return { port, stop: () => server.forceShutdown() };
  }
  const child = fork(fileURLToPath(import.meta.url), [serveFlag], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [message] = (await once(child, 'message')) as [{ port: number }];
  return { port: message.port, stop: () => child.kill('SIGTERM') };
}

/** An echo server with a connected client, measured as often as needed (the server bench interleaves it). */
export interface EchoFloor {
  measure(durationSeconds: number): Promise<EchoFloorResult>;
  close(): void;
}

export async function openEchoFloor(options: Omit<EchoFloorOptions, 'durationSeconds'>): Promise<EchoFloor> {
  const inFlight = options.inFlight ?? 64;
  const payloadBytes = options.payloadBytes ?? 64;
  const echo = await startEchoServerIn(options.serverIn ?? 'child');
  const client = new Client(`127.0.0.1:${echo.port}`, credentials.createInsecure());
  const payload = Buffer.alloc(payloadBytes, 7);
  try {
    for (let i = 0; i < 200; i++) await echoOnce(client, payload); // warm-up
  } catch (err) {
    client.close();
    echo.stop();
    throw err;
  }
  return {
    async measure(durationSeconds: number): Promise<EchoFloorResult> {
      const endMs = performance.now() + durationSeconds * 1000;
      let calls = 0;
      const cpuBefore = process.cpuUsage();
      const startMs = performance.now();
      const worker = async (): Promise<void> => {
        while (performance.now() < endMs) {
          await echoOnce(client, payload);
          calls++;
        }
      };
      await Promise.all(Array.from({ length: inFlight }, worker));
      const seconds = (performance.now() - startMs) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      return { driverCpuUsPerCall: (cpu.user + cpu.system) / calls, callsPerSecond: calls / seconds, calls, durationSeconds: seconds, inFlight, payloadBytes };
    },
    close(): void {
      client.close();
      echo.stop();
    },
  };
}

/** Unary echo calls per second over loopback with `inFlight` calls outstanding (default 64). */
export async function measureEchoFloor(options: EchoFloorOptions): Promise<EchoFloorResult> {
  const floor = await openEchoFloor(options);
  try {
    return await floor.measure(options.durationSeconds);
  } finally {
    floor.close();
  }
}

const serveFlag = '--serve-echo';

/** Child-process mode: serve until killed, report the port to the parent. */
async function serveEcho(): Promise<void> {
  const { port } = await startEchoServer();
  process.send?.({ port });
}

async function main(): Promise<void> {
  if (process.argv.includes(serveFlag)) return serveEcho();
  const seconds = Number(process.argv[2] ?? '5');
  const result = await measureEchoFloor({ durationSeconds: seconds });
  console.log(
    `grpc-js echo floor: ${Math.round(result.callsPerSecond)} calls/s ` +
      `(${result.calls} calls in ${result.durationSeconds.toFixed(2)} s, ${result.inFlight} in flight, ` +
      `${result.payloadBytes} B payload, loopback)`,
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
