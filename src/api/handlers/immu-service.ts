// The ImmuService (immudb.schema) handler map the composition root registers with
// `server.addService(loadProtos().immuService, createImmuServiceHandlers(node, env))`. It joins the
// data-plane, control-plane and replication handlers (replication-handlers.ts, when the node runs
// replication), and answers UNIMPLEMENTED, with a message saying so, for the replication RPCs of a node
// without replication and for any RPC of the proto that has no handler yet, so no method falls through to grpc-js's
// generic reply. SQL and the other RPCs absent from proto/schema.proto get grpc-js's UNIMPLEMENTED.
import type { MethodDefinition, UntypedHandleCall } from '@grpc/grpc-js';
import { ImmuError } from '../../common/errors.js';
import type { NodeApi } from '../../server/node-api.js';
import { bidiStream, clientStream, serverStream, unary, type HandlerEnv } from '../handler.js';
import { loadProtos } from '../proto-loader.js';
import { controlHandlers } from './control-handlers.js';
import type { HandlerMap } from './handler-support.js';
import { kvHandlers } from './kv-handlers.js';
import { replicationHandlers } from './replication-handlers.js';

/** Served by replication-handlers.ts when the node runs replication. */
export const REPLICATION_RPCS: readonly string[] = ['exportTx', 'streamExportTx', 'replicateTx'];

function unimplemented(rpc: string): ImmuError {
  const why = REPLICATION_RPCS.includes(rpc) ? 'replication is not available on this server yet' : 'not implemented by immudb-ts';
  return new ImmuError('UNIMPLEMENTED', `${rpc}: ${why}`);
}

/** A handler of the right streaming kind that fails every call with UNIMPLEMENTED. */
export function unimplementedHandler(env: HandlerEnv, rpc: string, def: MethodDefinition<object, object>): UntypedHandleCall {
  const fail = (): Promise<never> => Promise.reject(unimplemented(rpc));
  if (def.requestStream && def.responseStream) return bidiStream(env, rpc, fail) as UntypedHandleCall;
  if (def.requestStream) return clientStream(env, rpc, fail) as UntypedHandleCall;
  if (def.responseStream) return serverStream(env, rpc, fail) as UntypedHandleCall;
  return unary(env, rpc, fail) as UntypedHandleCall;
}

/** Every RPC of immudb.schema.ImmuService, each with a handler. */
export function createImmuServiceHandlers(node: NodeApi, env: HandlerEnv): HandlerMap {
  const handlers: HandlerMap = { ...kvHandlers(node, env), ...controlHandlers(node, env), ...replicationHandlers(node, env) };
  for (const [rpc, def] of Object.entries(loadProtos().immuService)) {
    if (handlers[rpc] === undefined) handlers[rpc] = unimplementedHandler(env, rpc, def as MethodDefinition<object, object>);
  }
  return handlers;
}
