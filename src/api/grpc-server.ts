// Creates, binds and stops the grpc-js server: message size limits from options, insecure or mutual-TLS
// credentials from PEM files (immudb's --mtls --pkey --certificate --clientcas), and a graceful
// shutdown that lets in-flight calls finish until a deadline, then forces. Services are added by the
// caller (the composition root); this file registers none.
import { readFile } from 'node:fs/promises';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { ImmuError } from '../common/errors.js';
import { grpcRecvMessageBytesMaxDefault } from '../common/limits.js';
import type { Logger } from '../common/log.js';
import { serverHttp2Windows, watchHttp2Sessions, type Http2Sessions, type Http2Windows } from './http2-sessions.js';

export interface MtlsFiles {
  /** PEM private key of the server (--pkey). */
  readonly keyPath: string;
  /** PEM certificate chain of the server (--certificate). */
  readonly certPath: string;
  /** PEM CA bundle client certificates must chain to (--clientcas). */
  readonly clientCasPath: string;
}

export interface GrpcServerOptions {
  readonly address: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly recvMessageBytesMax?: number;
  readonly sendMessageBytesMax?: number;
  /** Mutual TLS when present; plaintext HTTP/2 otherwise. */
  readonly mtls?: MtlsFiles;
  /** HTTP/2 flow-control windows (default serverHttp2Windows). */
  readonly windows?: Http2Windows;
  /** Where a failure to set the windows is reported. */
  readonly logger?: Logger;
}

export interface RunningGrpcServer {
  readonly server: Server;
  /** The bound port (useful when options.port was 0). */
  readonly port: number;
  /**
   * Stops accepting calls, lets in-flight calls finish for up to `deadlineMs`, then cancels the rest.
   * Resolves 'graceful' or 'forced'.
   */
  shutdown(deadlineMs: number): Promise<'graceful' | 'forced'>;
}

/** A grpc-js server with immudb's size limits. Add services, then call `bindGrpcServer`. */
export function createGrpcServer(options: Pick<GrpcServerOptions, 'recvMessageBytesMax' | 'sendMessageBytesMax'>): Server {
  return new Server({
    'grpc.max_receive_message_length': options.recvMessageBytesMax ?? grpcRecvMessageBytesMaxDefault,
    'grpc.max_send_message_length': options.sendMessageBytesMax ?? -1,
    // channelz (grpc-js's per-call introspection bookkeeping) is not served by this server: tracking
    // every call for it cost ~1.5 KB of garbage and a share of CPU per RPC
    'grpc.enable_channelz': 0,
  });
}

async function readPem(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new ImmuError('IO_ERROR', `cannot read ${what} ${path}: ${(err as Error).message}`, { path });
  }
}

/** Insecure credentials, or mTLS credentials that require a client certificate signed by clientcas. */
export async function serverCredentials(mtls: MtlsFiles | undefined): Promise<ServerCredentials> {
  if (mtls === undefined) return ServerCredentials.createInsecure();
  const [key, cert, cas] = await Promise.all([
    readPem(mtls.keyPath, 'private key'),
    readPem(mtls.certPath, 'certificate'),
    readPem(mtls.clientCasPath, 'client CA bundle'),
  ]);
  return ServerCredentials.createSsl(cas, [{ private_key: key, cert_chain: cert }], true);
}

/** `host:port`, with brackets around an IPv6 literal. */
export function hostPort(address: string, port: number): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]:${port}` : `${address}:${port}`;
}

function shutdownWithDeadline(server: Server, sessions: Http2Sessions, deadlineMs: number): Promise<'graceful' | 'forced'> {
  return new Promise((resolve) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      server.forceShutdown();
      sessions.destroyAll(); // grpc-js tracks no sessions with channelz off
      resolve('forced');
    }, deadlineMs);
    server.tryShutdown(() => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve('graceful');
    });
  });
}

/** Binds `server` to address:port with the configured credentials. */
export async function bindGrpcServer(server: Server, options: GrpcServerOptions): Promise<RunningGrpcServer> {
  const credentials = await serverCredentials(options.mtls);
  const target = hostPort(options.address, options.port);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(target, credentials, (err, boundPort) => {
      if (err !== null) reject(new ImmuError('IO_ERROR', `cannot bind ${target}: ${err.message}`, { target }));
      else resolve(boundPort);
    });
  });
  const sessions = watchHttp2Sessions(server, options.windows ?? serverHttp2Windows, options.logger);
  return { server, port, shutdown: (deadlineMs) => shutdownWithDeadline(server, sessions, deadlineMs) };
}
