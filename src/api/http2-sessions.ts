// HTTP/2 flow-control windows for the gRPC server. grpc-js leaves both at the protocol default of
// 64 KiB, so a client sending a 1000-KV Set (~170 KB) stops three times per call until the server's
// WINDOW_UPDATE frames come back, and with several such calls in flight both sides sit idle between
// round trips (measured in docs/benchmarks.md: ~15% of 1000-KV Set throughput). grpc-js exposes no
// server option for the windows, so this module reaches the http2 servers grpc-js keeps after bindAsync
// and sets them on every new session: its per-stream initial window (a SETTINGS frame) and its
// connection window (WINDOW_UPDATE on stream 0). If a grpc-js upgrade moves that field, nothing breaks:
// the windows stay at the default and `grpc.flow_control_defaults` is logged; http2-sessions.test.ts
// fails so the upgrade is noticed. The same hook tracks live sessions for a forced shutdown.
import type { Http2Server, Http2Session } from 'node:http2';
import type { Server } from '@grpc/grpc-js';
import { http2ConnectionWindowBytes, http2StreamWindowBytes } from '../common/limits.js';
import type { Logger } from '../common/log.js';

export interface Http2Windows {
  readonly streamBytes: number;
  readonly connectionBytes: number;
}

export const serverHttp2Windows: Http2Windows = { streamBytes: http2StreamWindowBytes, connectionBytes: http2ConnectionWindowBytes };

function isHttp2Server(x: unknown): x is Http2Server {
  return typeof x === 'object' && x !== null && typeof (x as Http2Server).on === 'function' && typeof (x as Http2Server).listen === 'function';
}

function widen(session: Http2Session, windows: Http2Windows): void {
  const apply = (): void => {
    if (session.destroyed || session.closed) return;
    session.settings({ initialWindowSize: windows.streamBytes });
    session.setLocalWindowSize(windows.connectionBytes);
  };
  // setLocalWindowSize needs the session's own settings to be in place first
  if (session.pendingSettingsAck === false && session.localSettings !== undefined) apply();
  else session.once('localSettings', apply);
}

/** The live HTTP/2 sessions of a server's listeners, for a forced shutdown. */
export interface Http2Sessions {
  /** Destroys every session still open (in-flight calls end as cancelled). */
  destroyAll(): void;
}

/**
 * Call after bindAsync: every session of the server's listeners opens with the given windows, and is
 * tracked until it closes. The tracking is what forceShutdown needs with channelz disabled: grpc-js
 * then keeps no session list of its own, so its forceShutdown would leave in-flight calls running.
 * When grpc-js no longer exposes its listeners, that is logged and nothing is tracked.
 */
export function watchHttp2Sessions(server: Server, windows: Http2Windows, logger: Logger | undefined): Http2Sessions & { readonly listeners: number } {
  const listeners = (server as unknown as { http2Servers?: unknown }).http2Servers;
  const servers = listeners instanceof Map ? [...listeners.keys()].filter(isHttp2Server) : [];
  const live = new Set<Http2Session>();
  if (servers.length === 0) {
    logger?.warn({ event: 'grpc.flow_control_defaults' }, 'cannot reach the http2 listeners of grpc-js; flow-control windows stay at 64 KiB');
  }
  for (const s of servers) {
    s.on('session', (session: Http2Session) => {
      live.add(session);
      session.once('close', () => live.delete(session));
      widen(session, windows);
    });
  }
  return {
    listeners: servers.length,
    destroyAll(): void {
      for (const session of live) session.destroy();
      live.clear();
    },
  };
}
