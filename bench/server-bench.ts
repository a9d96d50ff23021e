// `npm run bench:server`: the server's request rates against a floor measured in the same run. A
// trivial grpc-js echo server (bench/grpc-echo.ts) and this server (dist/src/cli/immudb.js on a fresh
// data dir) run as child processes, driven over loopback from here: the echo floor, Set (1 KV per tx)
// and VerifiableSet, each at 64 calls in flight, take turns in short slices (--rounds of them), so
// load from outside the run moves the floor and the server alike; each ratio is a server slice over
// the echo slice before it, and the median is reported. Then Set with 1000 KV per tx, 16 in flight.
// Requests are encoded by bench/set-request-wire.ts (protobufjs's bytes, checked at start, without its
// per-message objects), as the echo driver does no codec work either. Also printed: the CPU per op of
// the server process (all threads, from /proc) and of this driver, which show which side of the two
// cores a change moved. Not a test; nothing here asserts. Flags: --seconds N (per phase, default 5),
// --rounds N (default 5), --only set|vset|big, --no-echo (the last two to profile one phase).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createServer } from 'node:net';
import { Client, credentials, Metadata, type MethodDefinition, type ServiceError } from '@grpc/grpc-js';
import { loadProtos } from '../src/api/proto-loader.js';
import { openEchoFloor } from './grpc-echo.js';
import { checkAgainstProtobufjs, encodeSetRequest, encodeVerifiableSetRequest, setRequestTemplate } from './set-request-wire.js';

const inFlightSmall = 64;
const inFlightLarge = 16;
const warmupSeconds = 2;
const kvsPerLargeTx = 1000;
const keyBytes = 32;
const valueBytes = 128;

/** --only set|vset|big: run just that server phase (to profile one workload). */
function argOnly(): string | undefined {
  const i = process.argv.indexOf('--only');
  return i === -1 ? undefined : process.argv[i + 1];
}

/** --rounds N: slices the small phases are split into, interleaved with the echo floor (default 5). */
function argRounds(): number {
  const i = process.argv.indexOf('--rounds');
  const v = i === -1 ? undefined : Number(process.argv[i + 1]);
  return v !== undefined && Number.isInteger(v) && v > 0 ? v : 5;
}

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
  callRaw(method: string, req: Buffer): Promise<Buffer>;
  setToken(token: string): void;
  close(): void;
}

const identity = (b: Buffer): Buffer => b;

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
    callRaw(method: string, req: Buffer): Promise<Buffer> {
      const def = protos.immuService[method] as unknown as MethodDefinition<object, unknown>;
      return new Promise((resolve, reject) => {
        client.makeUnaryRequest(def.path, identity, identity, req, md, {}, (err: ServiceError | null, res?: Buffer) =>
          err === null ? resolve(res as Buffer) : reject(err),
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

/**
 * Runs one phase and reports the server's CPU per op (us, all its threads) and the driver's: steadier
 * than rates on a loaded machine, and they show which side of the 2 cores a change moved.
 */
interface PhaseResult {
  readonly rate: number;
  /** CPU of the server process (all threads) per op, us. */
  readonly serverCpuUsPerOp: number | undefined;
  /** CPU of this (driving) process per op, us, and the share of one core it used. */
  readonly driverCpuUsPerOp: number;
  readonly driverCoreShare: number;
}

async function phase(server: ChildProcess, run: () => Promise<number>, opsPerUnit = 1): Promise<PhaseResult> {
  const before = processCpuSeconds(server.pid);
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  const rate = await run();
  const seconds = (performance.now() - started) / 1000;
  const after = processCpuSeconds(server.pid);
  const clientCpu = process.cpuUsage(clientBefore);
  const cpu = before === undefined || after === undefined ? undefined : ((after - before) * 1e6) / (rate * seconds * opsPerUnit);
  const driverUs = clientCpu.user + clientCpu.system;
  return { rate, serverCpuUsPerOp: cpu, driverCpuUsPerOp: driverUs / (rate * seconds * opsPerUnit), driverCoreShare: driverUs / 1e6 / seconds };
}

const fmtCpu = (p: PhaseResult, unit = 'op'): string =>
  `${p.serverCpuUsPerOp === undefined ? '' : `, server CPU ${p.serverCpuUsPerOp.toFixed(1)} us/${unit}`}, driver CPU ${p.driverCpuUsPerOp.toFixed(1)} us/${unit} (${Math.round(p.driverCoreShare * 100)}% of a core)`;

function key(i: number): Buffer {
  const b = Buffer.alloc(keyBytes, 0x61);
  b.write(String(i).padStart(12, '0'), keyBytes - 12);
  return b;
}

/** The tx id in a VerifiableTx's bytes (tx = 1 → header = 1 → id = 1): all the driver needs of it. */
function verifiableTxId(bytes: Buffer): number {
  const r = protobufReader(bytes);
  const tx = r.field(1);
  const header = tx === undefined ? undefined : protobufReader(tx).field(1);
  const id = header === undefined ? undefined : protobufReader(header).varint(1);
  if (id === undefined) throw new Error('VerifiableTx without a tx id');
  return id;
}

/** Just enough protobuf reading for verifiableTxId: the first length-delimited / varint field of a number. */
function protobufReader(b: Buffer): { field(n: number): Buffer | undefined; varint(n: number): number | undefined } {
  const readVarint = (at: number): [number, number] => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const byte = b[at++] as number;
      v += (byte & 0x7f) * mul;
      if (byte < 0x80) return [v, at];
      mul *= 128;
    }
  };
  const find = (n: number, wantType: number): [number, number] | undefined => {
    let at = 0;
    while (at < b.length) {
      const [tag, next] = readVarint(at);
      at = next;
      const type = tag & 7;
      if (type === 0) {
        const [v, after] = readVarint(at);
        if (tag >>> 3 === n && wantType === 0) return [v, after];
        at = after;
      } else if (type === 2) {
        const [len, start] = readVarint(at);
        if (tag >>> 3 === n && wantType === 2) return [start, start + len];
        at = start + len;
      } else if (type === 1) at += 8;
      else if (type === 5) at += 4;
      else throw new Error(`unexpected wire type ${type}`);
    }
    return undefined;
  };
  return {
    field: (n) => {
      const f = find(n, 2);
      return f === undefined ? undefined : b.subarray(f[0], f[1]);
    },
    varint: (n) => find(n, 0)?.[0],
  };
}

const median = (xs: readonly number[]): number => {
  const a = [...xs].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length === 0 ? 0 : a.length % 2 === 1 ? (a[m] as number) : ((a[m - 1] as number) + (a[m] as number)) / 2;
};
const mean = (xs: readonly number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

/** Slices of one phase folded into one result (rates and CPU per op averaged over the slices). */
function fold(slices: readonly PhaseResult[]): PhaseResult {
  const cpus = slices.map((p) => p.serverCpuUsPerOp).filter((c): c is number => c !== undefined);
  return {
    rate: mean(slices.map((p) => p.rate)),
    serverCpuUsPerOp: cpus.length === 0 ? undefined : mean(cpus),
    driverCpuUsPerOp: mean(slices.map((p) => p.driverCpuUsPerOp)),
    driverCoreShare: mean(slices.map((p) => p.driverCoreShare)),
  };
}

async function main(): Promise<void> {
  const seconds = argSeconds();
  const rounds = argRounds();
  const slice = seconds / rounds;
  const value = Buffer.alloc(valueBytes, 0x76);
  console.log(`server benchmark: ${seconds}s per phase in ${rounds} interleaved slices, node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  // --no-echo skips the floor (ratios then read against 1 call/s): for profiling the server phases alone
  const echo = process.argv.includes('--no-echo') ? undefined : await openEchoFloor({ inFlight: inFlightSmall, payloadBytes: keyBytes + valueBytes + 8 });
  const dir = mkdtempSync(join(tmpdir(), 'immudb-bench-'));
  const port = await freePort();
  const child = await startChildServer(join(dir, 'data'), port);
  const c = rpc(port);
  try {
    const login = await c.call<{ token: string }>('Login', { user: Buffer.from('immudb'), password: Buffer.from('immudb') });
    c.setToken(login.token);
    const use = await c.call<{ token: string }>('UseDatabase', { databaseName: 'defaultdb' });
    c.setToken(use.token);

    const only = argOnly();
    const runs = (name: string): boolean => only === undefined || only === name;
    const protos = loadProtos();
    checkAgainstProtobufjs(protos.messageType('immudb.schema.SetRequest'), protos.messageType('immudb.schema.VerifiableSetRequest'), [
      { key: key(1), value },
      { key: Buffer.alloc(300, 1), value: Buffer.alloc(70_000, 2) },
    ]);

    // The echo floor, Set and VerifiableSet take turns in short slices, so a change in machine load
    // (other VMs, other jobs) hits the floor and the phases alike; each ratio is a slice of the server
    // over the echo slice just before it, and the median of those is reported.
    let nextKey = 0;
    let known = 0;
    const echoSlices: number[] = [];
    const echoCpu: number[] = [];
    const setSlices: PhaseResult[] = [];
    const vsetSlices: PhaseResult[] = [];
    // one unmeasured round first: JIT warm-up of both drivers and servers (the echo floor's first
    // second ran at half its later rate without it)
    for (let r = -1; r < rounds; r++) {
      if (r === -1) {
        await echo?.measure(warmupSeconds);
        if (runs('set')) await drive(warmupSeconds, inFlightSmall, () => c.callRaw('Set', encodeSetRequest([{ key: key(nextKey++), value }])));
        if (runs('vset')) await drive(warmupSeconds, inFlightSmall, () => c.callRaw('VerifiableSet', encodeVerifiableSetRequest([{ key: key(nextKey++), value }], 0)));
        continue;
      }
      const e = echo === undefined ? undefined : await echo.measure(slice);
      echoSlices.push(e?.callsPerSecond ?? 1);
      if (e !== undefined) echoCpu.push(e.driverCpuUsPerCall);
      if (runs('set')) setSlices.push(await phase(child, () => drive(slice, inFlightSmall, () => c.callRaw('Set', encodeSetRequest([{ key: key(nextKey++), value }])))));
      if (runs('vset')) {
        vsetSlices.push(
          await phase(child, () =>
            drive(slice, inFlightSmall, async () => {
              const res = await c.callRaw('VerifiableSet', encodeVerifiableSetRequest([{ key: key(nextKey++), value }], known));
              known = Math.max(known, verifiableTxId(res));
            }),
          ),
        );
      }
    }
    const echoRate = mean(echoSlices);
    const ratios = (slices: readonly PhaseResult[]): number[] => slices.map((p, i) => p.rate / (echoSlices[i] as number));
    const report = (name: string, slices: readonly PhaseResult[]): { rate: number; ratio: number; ratios: number[]; folded: PhaseResult } | undefined => {
      if (slices.length === 0) return undefined;
      const folded = fold(slices);
      const rs = ratios(slices);
      const ratio = median(rs);
      console.log(`${name}: ${Math.round(folded.rate)} tx/s, ${ratio.toFixed(2)} of echo (median; slices ${rs.map((x) => x.toFixed(2)).join(' ')})${fmtCpu(folded)}`);
      return { rate: folded.rate, ratio, ratios: rs, folded };
    };
    if (echo !== undefined) console.log(`echo floor (grpc-js, ${inFlightSmall} in flight): ${Math.round(echoRate)} calls/s (slices ${echoSlices.map((x) => Math.round(x)).join(' ')}; driver CPU ${mean(echoCpu).toFixed(1)} us/call)`);
    const set = report(`Set, 1 KV/tx, ${inFlightSmall} in flight`, setSlices);
    const vset = report(`VerifiableSet, ${inFlightSmall} in flight`, vsetSlices);

    const batch = setRequestTemplate(kvsPerLargeTx, keyBytes, value);
    if (!batch(5).equals(encodeSetRequest(Array.from({ length: kvsPerLargeTx }, (_, j) => ({ key: key(5 + j), value }))))) throw new Error('setRequestTemplate differs from encodeSetRequest');
    if (runs('big')) await drive(warmupSeconds, inFlightLarge, (i) => c.callRaw('Set', batch(5_000_000_000 + i * kvsPerLargeTx)));
    const big = !runs('big') ? undefined : await phase(child, () => drive(seconds, inFlightLarge, (i) => c.callRaw('Set', batch(10_000_000 + i * kvsPerLargeTx))), kvsPerLargeTx);
    const kvRate = (big?.rate ?? 0) * kvsPerLargeTx;
    if (big !== undefined) console.log(`Set, ${kvsPerLargeTx} KV/tx, ${inFlightLarge} in flight: ${Math.round(kvRate)} KV/s (${Math.round(big.rate)} tx/s; immudb publishes 341,778 KV/s${fmtCpu(big, 'KV')})`);
    console.log(
      JSON.stringify({
        echoCallsPerSecond: Math.round(echoRate),
        setTxPerSecond: Math.round(set?.rate ?? 0),
        setRatio: +(set?.ratio ?? 0).toFixed(3),
        setRatioSlices: set?.ratios.map((x) => +x.toFixed(3)),
        verifiableSetTxPerSecond: Math.round(vset?.rate ?? 0),
        verifiableSetRatio: +(vset?.ratio ?? 0).toFixed(3),
        bigTxKvPerSecond: Math.round(kvRate),
        serverCpuUs: { set: set?.folded.serverCpuUsPerOp, verifiableSet: vset?.folded.serverCpuUsPerOp, perKvBigTx: big?.serverCpuUsPerOp },
        driverCpuUs: { echo: mean(echoCpu), set: set?.folded.driverCpuUsPerOp, verifiableSet: vset?.folded.driverCpuUsPerOp, perKvBigTx: big?.driverCpuUsPerOp },
        loadAverage1m: loadavg()[0],
      }),
    );
  } finally {
    c.close();
    echo?.close();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
