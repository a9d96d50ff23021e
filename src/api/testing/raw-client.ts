// TEST SUPPORT ONLY: a raw grpc-js client for ImmuService speaking our proto with the server's own
// protobufjs codecs, plus metadata helpers, so integration tests see exactly what an immudb client sends
// and receives (Long for 64-bit fields, Buffers for bytes, grpc ServiceErrors on failure).
import { Client, credentials, Metadata, type MethodDefinition, type ServiceError } from '@grpc/grpc-js';
import { loadProtos } from '../proto-loader.js';

export interface RawClient {
  call<Res>(method: string, req: object, md?: Metadata): Promise<Res>;
  close(): void;
}

export function rawClient(port: number, options: Record<string, number> = {}): RawClient {
  const protos = loadProtos();
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), options);
  return {
    call<Res>(method: string, req: object, md = new Metadata()): Promise<Res> {
      const def = protos.immuService[method] as unknown as MethodDefinition<object, Res> | undefined;
      if (def === undefined) throw new Error(`no method ${method}`);
      return new Promise((resolve, reject) => {
        client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, req, md, {}, (err: ServiceError | null, res?: Res) =>
          err === null ? resolve(res as Res) : reject(err),
        );
      });
    },
    close: () => client.close(),
  };
}

export function header(name: string, value: string): Metadata {
  const md = new Metadata();
  md.set(name, value);
  return md;
}

export function bearer(token: string): Metadata {
  return header('authorization', `Bearer ${token}`);
}

/** The error a call failed with; throws if it succeeded. */
export async function rejection(p: Promise<unknown>): Promise<ServiceError> {
  try {
    await p;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error('expected the call to fail');
}
