// TEST SUPPORT ONLY: starts a real grpc-js server on a loopback port with the ImmuService and ImmudbTs
// handlers over a given NodeApi, and a raw grpc-js client that speaks the same proto (protobufjs
// codecs from proto-loader), so tests see exactly the bytes an immudb client would.
import { Client, credentials, Metadata, type MethodDefinition, type ServiceError } from '@grpc/grpc-js';
import { silentLogger } from '../../../common/log.js';
import type { NodeApi } from '../../../server/node-api.js';
import { bindGrpcServer, createGrpcServer, type RunningGrpcServer } from '../../grpc-server.js';
import type { HandlerEnv } from '../../handler.js';
import { loadProtos } from '../../proto-loader.js';
import { withColumnarSetDecoder } from '../../set-request-decoder.js';
import { createImmuServiceHandlers } from '../immu-service.js';
import { createImmudbTsHandlers } from '../immudbts-service.js';

export interface HandlerTestServer {
  readonly port: number;
  readonly client: Client;
  /** A unary ImmuService call; resolves the decoded reply or rejects with the grpc-js ServiceError. */
  call<Res>(method: string, req: object, md?: Metadata): Promise<Res>;
  /** Like call, for the ImmudbTs service. */
  callTs<Res>(method: string, req: object, md?: Metadata): Promise<Res>;
  close(): Promise<void>;
}

function unaryCall<Res>(client: Client, def: MethodDefinition<object, Res>, req: object, md: Metadata): Promise<Res> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, req, md, {}, (err: ServiceError | null, res?: Res) => {
      if (err !== null) reject(err);
      else resolve(res as Res);
    });
  });
}

export async function startHandlerTestServer(node: NodeApi, env?: Partial<HandlerEnv>): Promise<HandlerTestServer> {
  const protos = loadProtos();
  const fullEnv: HandlerEnv = { logger: silentLogger(), serverUuid: node.serverUuid, ...env };
  const server = createGrpcServer({});
  server.addService(withColumnarSetDecoder(protos.immuService), createImmuServiceHandlers(node, fullEnv));
  server.addService(protos.immudbTsService, createImmudbTsHandlers(node, fullEnv));
  const running: RunningGrpcServer = await bindGrpcServer(server, { address: '127.0.0.1', port: 0 });
  const client = new Client(`127.0.0.1:${running.port}`, credentials.createInsecure());
  const method = <Res>(svc: typeof protos.immuService, name: string): MethodDefinition<object, Res> => {
    const def = svc[name];
    if (def === undefined) throw new Error(`no method ${name}`);
    return def as unknown as MethodDefinition<object, Res>;
  };
  return {
    port: running.port,
    client,
    call: <Res>(name: string, req: object, md = new Metadata()) => unaryCall<Res>(client, method<Res>(protos.immuService, name), req, md),
    callTs: <Res>(name: string, req: object, md = new Metadata()) => unaryCall<Res>(client, method<Res>(protos.immudbTsService, name), req, md),
    close: async () => {
      client.close();
      await running.shutdown(1000);
    },
  };
}
