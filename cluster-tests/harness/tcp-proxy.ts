// A TCP fault proxy for one link (vortex-style): it listens on a loopback addr:port and forwards every
// connection to a target, so a replica pointed at the proxy instead of its primary can be really cut
// off, slowed down or one-way partitioned. Modes: pass, cut (close every connection, refuse new ones),
// delay (per direction, order kept), block one direction (reading from that side pauses and bytes are
// held, as a real partition holds them in TCP buffers; heal releases them). It counts bytes and
// connections. It does not parse the traffic (no gRPC awareness) and never connects off loopback.
import { createServer, connect, type Server, type Socket } from 'node:net';

/** `up`: client -> target (requests); `down`: target -> client (responses). */
export type Direction = 'up' | 'down';

export type ProxyMode =
  | { readonly kind: 'pass' }
  | { readonly kind: 'cut' }
  | { readonly kind: 'delay'; readonly upMs: number; readonly downMs: number }
  | { readonly kind: 'block'; readonly direction: Direction };

export interface ProxyCounters {
  readonly connectionsAccepted: number;
  readonly connectionsRefused: number;
  readonly connectionsActive: number;
  readonly bytesUp: number;
  readonly bytesDown: number;
  /** Bytes read but not yet written on (held by a block or a delay). */
  readonly bytesHeld: number;
}

export interface TcpProxyOptions {
  readonly name: string;
  readonly listenHost: string;
  /** 0 (default): any free port. */
  readonly listenPort?: number;
  readonly targetHost: string;
  readonly targetPort: number;
}

const loopback = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** One direction of one connection: reads from `from`, writes to `to`, honouring the proxy's mode. */
class Pipe {
  readonly #from: Socket;
  readonly #to: Socket;
  readonly #direction: Direction;
  readonly #proxy: TcpProxy;
  readonly #held: Buffer[] = [];
  #releaseAtMs = 0;
  #timers = new Set<NodeJS.Timeout>();
  #ended = false;

  constructor(from: Socket, to: Socket, direction: Direction, proxy: TcpProxy) {
    this.#from = from;
    this.#to = to;
    this.#direction = direction;
    this.#proxy = proxy;
    from.on('data', (chunk: Buffer) => this.#onData(chunk));
    from.on('end', () => {
      this.#ended = true;
      this.#maybeEnd();
    });
  }

  /** Half-closes the other side once everything read before the FIN has been written on. */
  #maybeEnd(): void {
    if (this.#ended && this.#held.length === 0 && this.#timers.size === 0 && !this.#to.destroyed) this.#to.end();
  }

  #onData(chunk: Buffer): void {
    const mode = this.#proxy.mode;
    if (mode.kind === 'cut') return;
    if (mode.kind === 'block' && mode.direction === this.#direction) {
      this.#held.push(chunk);
      this.#proxy.noteHeld(chunk.length);
      this.#from.pause();
      return;
    }
    if (mode.kind === 'delay') {
      const delayMs = this.#direction === 'up' ? mode.upMs : mode.downMs;
      // Never reorder: a chunk leaves no earlier than the one before it.
      this.#releaseAtMs = Math.max(Date.now() + delayMs, this.#releaseAtMs);
      this.#proxy.noteHeld(chunk.length);
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.#proxy.noteHeld(-chunk.length);
        this.#forward(chunk);
        this.#maybeEnd();
      }, this.#releaseAtMs - Date.now());
      this.#timers.add(timer);
      return;
    }
    this.#forward(chunk);
  }

  #forward(chunk: Buffer): void {
    if (this.#to.destroyed) return;
    this.#proxy.noteForwarded(this.#direction, chunk.length);
    this.#to.write(chunk);
  }

  /** Called when the mode changes: releases held bytes if this direction may flow again. */
  onModeChange(): void {
    const mode = this.#proxy.mode;
    if (mode.kind === 'block' && mode.direction === this.#direction) return;
    if (mode.kind === 'cut') return;
    for (const chunk of this.#held.splice(0)) {
      this.#proxy.noteHeld(-chunk.length);
      this.#forward(chunk);
    }
    this.#maybeEnd();
    this.#from.resume();
  }

  dispose(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    let held = 0;
    for (const chunk of this.#held.splice(0)) held += chunk.length;
    if (held > 0) this.#proxy.noteHeld(-held);
  }
}

interface Link {
  readonly client: Socket;
  readonly target: Socket;
  readonly pipes: readonly Pipe[];
}

export class TcpProxy {
  readonly options: TcpProxyOptions;
  #server: Server | undefined;
  #port = 0;
  #mode: ProxyMode = { kind: 'pass' };
  readonly #links = new Set<Link>();
  #accepted = 0;
  #refused = 0;
  #bytesUp = 0;
  #bytesDown = 0;
  #bytesHeld = 0;

  constructor(options: TcpProxyOptions) {
    if (!loopback.test(options.listenHost) || !loopback.test(options.targetHost)) {
      throw new Error(`proxy ${options.name}: only loopback addresses are allowed`);
    }
    this.options = options;
  }

  /** Starts listening; resolves with the port. */
  async start(): Promise<number> {
    const server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (socket) => this.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.listenPort ?? 0, this.options.listenHost, () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy: no port');
    this.#port = address.port;
    this.#server = server;
    return this.#port;
  }

  get name(): string {
    return this.options.name;
  }
  get host(): string {
    return this.options.listenHost;
  }
  get port(): number {
    return this.#port;
  }
  get address(): string {
    return `${this.options.listenHost}:${this.#port}`;
  }
  get mode(): ProxyMode {
    return this.#mode;
  }

  counters(): ProxyCounters {
    return {
      connectionsAccepted: this.#accepted,
      connectionsRefused: this.#refused,
      connectionsActive: this.#links.size,
      bytesUp: this.#bytesUp,
      bytesDown: this.#bytesDown,
      bytesHeld: this.#bytesHeld,
    };
  }

  noteForwarded(direction: Direction, bytes: number): void {
    if (direction === 'up') this.#bytesUp += bytes;
    else this.#bytesDown += bytes;
  }

  noteHeld(bytes: number): void {
    this.#bytesHeld += bytes;
  }

  #accept(client: Socket): void {
    if (this.#mode.kind === 'cut') {
      this.#refused += 1;
      client.resetAndDestroy();
      return;
    }
    this.#accepted += 1;
    const target = connect({ host: this.options.targetHost, port: this.options.targetPort, allowHalfOpen: true });
    const pipes = [new Pipe(client, target, 'up', this), new Pipe(target, client, 'down', this)];
    const link: Link = { client, target, pipes };
    this.#links.add(link);
    const close = (): void => {
      if (!this.#links.delete(link)) return;
      for (const p of pipes) p.dispose();
      client.destroy();
      target.destroy();
    };
    client.on('error', close);
    target.on('error', close);
    client.on('close', close);
    target.on('close', close);
    // Start reading only once the target accepted, so nothing is forwarded to a socket still connecting.
    target.once('connect', () => {
      if (this.#mode.kind === 'block' && this.#mode.direction === 'up') return; // resumed on heal
      client.resume();
    });
  }

  /** Applies a mode to existing and future connections. */
  setMode(mode: ProxyMode): void {
    this.#mode = mode;
    if (mode.kind === 'cut') {
      for (const link of [...this.#links]) {
        link.client.resetAndDestroy();
        link.target.destroy();
      }
      return;
    }
    for (const link of this.#links) for (const p of link.pipes) p.onModeChange();
  }

  pass(): void {
    this.setMode({ kind: 'pass' });
  }
  /** Closes every connection and refuses new ones until heal(). */
  cut(): void {
    this.setMode({ kind: 'cut' });
  }
  delay(upMs: number, downMs: number = upMs): void {
    this.setMode({ kind: 'delay', upMs, downMs });
  }
  /** Stops forwarding one direction (bytes are held, the sender sees backpressure) while the other flows. */
  block(direction: Direction): void {
    this.setMode({ kind: 'block', direction });
  }
  /** Back to pass; held bytes are delivered. */
  heal(): void {
    this.pass();
  }

  async close(): Promise<void> {
    for (const link of [...this.#links]) {
      link.client.destroy();
      link.target.destroy();
    }
    const server = this.#server;
    this.#server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
