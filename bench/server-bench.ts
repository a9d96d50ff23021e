// `npm run bench:server`: the server's request rates against a floor measured in the same run. First a
// trivial grpc-js echo server (bench/grpc-echo.ts, in a child process); then this server, also a child
// process (dist/src/cli/immudb.js on a fresh data dir), driven over loopback with: Set (1 KV per tx)
// at 64 calls in flight, VerifiableSet at 64 in flight, and Set with 1000 KV per tx. Prints each rate
// and its ratio to the echo floor, and the server process's CPU per op (all threads, from /proc: the
// figure other jobs on the machine do not inflate). Not a test; nothing here asserts. Flags: --seconds N
// (per phase).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createServer } from 'node:net';
import { Client, credentials, Metadata, type MethodDefinition, type ServiceError } from '@grpc/grpc-js';
import { loadProtos } from '../src/api/proto-loader.js';
import { measureEchoFloor } from './grpc-echo.js';

const inFlightSmall = 64;
const inFlightLarge = 16;
const kvsPerLargeTx = 1000;
const keyBytes = 32;
const valueBytes = 128;

function argSeconds(): number {
  const i = process.argv.indexOf('--seconds');
  const v = i === -1 ? undefined : Number(process.argv[i + 1]);
  return v !== undefined && Number.isFinite(v) && v > 0 ? v : 5;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

interface Rpc {
  call<Res>(method: string, req: object): Promise<Res>;
  setToken(token: string): void;
  close(): void;
}

function rpc(port: number): Rpc {
  const protos = loadProtos();
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), { 'grpc.max_send_message_length': 64 << 20, 'grpc.max_receive_message_length': 64 << 20 });
  let md = new Metadata();
  return {
    call<Res>(method: string, req: object): Promise<Res> {
      const def = protos.immuService[method] as unknown as MethodDefinition<object, Res>;
      return new Promise((resolve, reject) => {
        client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, req, md, {}, (err: ServiceError | null, res?: Res) =>
          err === null ? resolve(res as Res) : reject(err),
        );
      });
    },
    setToken(token: string) {
      md = new Metadata();
      md.set('authorization', `Bearer ${token}`);
    },
    close: () => client.close(),
  };
}

async function startChildServer(dir: string, port: number): Promise<ChildProcess> {
  const here = dirname(fileURLToPath(import.meta.url));
  const entry = join(here, '..', 'src', 'cli', 'immudb.js');
  // IMMUDB_BENCH_SERVER_NODE_ARGS: extra node flags for the server child, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p"
  const nodeArgs = (process.env['IMMUDB_BENCH_SERVER_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
  const child = spawn(process.execPath, [...nodeArgs, entry, '--dir', dir, '--port', String(port), '--address', '127.0.0.1', '--metrics-server=false', '--log-level', 'warn'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = rpc(port);
    try {
      await r.call('Health', {});
      r.close();
      return child;
    } catch {
      r.close();
      if (Date.now() > deadline) throw new Error('server did not start');
      await new Promise((res) => setTimeout(res, 100));
    }
  }
}

/** Runs `op` with `inFlight` concurrent loops for `seconds`; returns completed ops/s. */
async function drive(seconds: number, inFlight: number, op: (seq: number) => Promise<unknown>): Promise<number> {
  let seq = 0;
  let done = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < end) {
        await op(seq++);
        done++;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

/** On-CPU seconds of a process (all threads) from Linux /proc/<pid>/stat; undefined elsewhere. */
function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100/s)
  } catch {
    return undefined;
  }
}

/** Runs one phase and reports the server's CPU per op (us, all its threads), which load does not inflate. */
async function phase(server: ChildProcess, run: () => Promise<number>, opsPerUnit = 1): Promise<{ rate: number; serverCpuUsPerOp: number | undefined }> {
  const before = processCpuSeconds(server.pid);
  const started = performance.now();
  const rate = await run();
  const seconds = (performance.now() - started) / 1000;
  const after = processCpuSeconds(server.pid);
  const cpu = before === undefined || after === undefined ? undefined : ((after - before) * 1e6) / (rate * seconds * opsPerUnit);
  return { rate, serverCpuUsPerOp: cpu };
}

const fmtCpu = (us: number | undefined): string => (us === undefined ? '' : `, server CPU ${us.toFixed(1)} us/op`);

function key(i: number): Buffer {
  const b = Buffer.alloc(keyBytes, 0x61);
  b.write(String(i).padStart(12, '0'), keyBytes - 12);
  return b;
}

async function main(): Promise<void> {
  const seconds = argSeconds();
  const value = Buffer.alloc(valueBytes, 0x76);
  console.log(`server benchmark: ${seconds}s per phase, node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  const echo = await measureEchoFloor({ durationSeconds: seconds, inFlight: inFlightSmall, payloadBytes: keyBytes + valueBytes + 8 });
  console.log(`echo floor (grpc-js, ${echo.inFlight} in flight): ${Math.round(echo.callsPerSecond)} calls/s`);

  const dir = mkdtempSync(join(tmpdir(), 'immudb-bench-'));
  const port = await freePort();
  const child = await startChildServer(join(dir, 'data'), port);
  const c = rpc(port);
  try {
    const login = await c.call<{ token: string }>('Login', { user: Buffer.from('immudb'), password: Buffer.from('immudb') });
    c.setToken(login.token);
    const use = await c.call<{ token: string }>('UseDatabase', { databaseName: 'defaultdb' });
    c.setToken(use.token);

    const set = await phase(child, () => drive(seconds, inFlightSmall, (i) => c.call('Set', { KVs: [{ key: key(i), value }] })));
    const setRate = set.rate;
    console.log(`Set, 1 KV/tx, ${inFlightSmall} in flight: ${Math.round(setRate)} tx/s (${(setRate / echo.callsPerSecond).toFixed(2)} of echo${fmtCpu(set.serverCpuUsPerOp)})`);

    let known = 0;
    const vset = await phase(child, () => drive(seconds, inFlightSmall, async (i) => {
      const r = await c.call<{ tx: { header: { id: { toNumber(): number } } } }>('VerifiableSet', {
        setRequest: { KVs: [{ key: key(1_000_000 + i), value }] },
        proveSinceTx: known,
      });
      known = Math.max(known, r.tx.header.id.toNumber());
    }));
    const vsetRate = vset.rate;
    console.log(`VerifiableSet, ${inFlightSmall} in flight: ${Math.round(vsetRate)} tx/s (${(vsetRate / echo.callsPerSecond).toFixed(2)} of echo${fmtCpu(vset.serverCpuUsPerOp)})`);

    const batch = (base: number): object => ({ KVs: Array.from({ length: kvsPerLargeTx }, (_, j) => ({ key: key(base + j), value })) });
    const big = await phase(child, () => drive(seconds, inFlightLarge, (i) => c.call('Set', batch(10_000_000 + i * kvsPerLargeTx))), kvsPerLargeTx);
    const bigRate = big.rate;
    const kvRate = bigRate * kvsPerLargeTx;
    console.log(`Set, ${kvsPerLargeTx} KV/tx, ${inFlightLarge} in flight: ${Math.round(kvRate)} KV/s (${Math.round(bigRate)} tx/s; immudb publishes 341,778 KV/s${fmtCpu(big.serverCpuUsPerOp)} per KV)`);
    console.log(
      JSON.stringify({ echoCallsPerSecond: Math.round(echo.callsPerSecond), setTxPerSecond: Math.round(setRate), setRatio: +(setRate / echo.callsPerSecond).toFixed(3), verifiableSetTxPerSecond: Math.round(vsetRate), verifiableSetRatio: +(vsetRate / echo.callsPerSecond).toFixed(3), bigTxKvPerSecond: Math.round(kvRate), serverCpuUs: { set: set.serverCpuUsPerOp, verifiableSet: vset.serverCpuUsPerOp, perKvBigTx: big.serverCpuUsPerOp }, loadAverage1m: loadavg()[0] }),
    );
  } finally {
    c.close();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
