// What every ImmuService handler shares: typing a handler by its RPC name (request and reply types come
// from the generated ImmuServiceMethods), turning call metadata into the node's CallAuth, authorizing
// through the node, and requiring the selected database. No business logic: the node decides who may do
// what, the Database does the work.
import type { UntypedHandleCall } from '@grpc/grpc-js';
import { ImmuError } from '../../common/errors.js';
import type { Database } from '../../database/database.js';
import type { CallAuth, CallContext as NodeCallContext, NodeApi } from '../../server/node-api.js';
import { unary, type CallContext as RpcContext, type HandlerEnv } from '../handler.js';
import { readAuth } from '../metadata.js';
import type { ImmuServiceMethods } from '../proto-types.js';

export type { NodeCallContext, RpcContext };

type Methods = ImmuServiceMethods;

/** The unary RPCs of ImmuService, by proto method name. */
export type UnaryRpc = { [K in keyof Methods]: Methods[K]['kind'] extends 'unary' ? K : never }[keyof Methods];

export type UnaryHandlerFn<K extends UnaryRpc> = (req: Methods[K]['request'], rpc: RpcContext) => Promise<Methods[K]['response']>;

/** A map of handlers as grpc-js takes them (`server.addService(def, handlers)`). */
export type HandlerMap = Record<string, UntypedHandleCall>;

/** Registers a typed unary handler under its RPC name. */
export function defineUnary<K extends UnaryRpc>(env: HandlerEnv, out: HandlerMap, name: K, fn: UnaryHandlerFn<K>): void {
  out[name] = unary(env, name, fn) as UntypedHandleCall;
}

/** The call's credentials as the node sees them: a session id wins over a bearer token. */
export function callAuth(rpc: RpcContext): CallAuth {
  const creds = readAuth(rpc.metadata);
  return { ...creds, peer: rpc.peer };
}

/** Authorizes `rpc` for its method with the credentials the client sent. */
export function authorize(node: NodeApi, rpc: RpcContext): Promise<NodeCallContext> {
  return node.authorize(rpc.rpc, callAuth(rpc));
}

/**
 * Authorizes a method callable without logging in (Login, OpenSession, Health, ServerInfo) without
 * its credentials: immudb-node 1.1.1 sends its bearer token on every call, stale ones included (after
 * Logout or a restart), and Login and Health must still succeed (sdk spec 2, 9).
 */
export function authorizePublic(node: NodeApi, rpc: RpcContext): Promise<NodeCallContext> {
  return node.authorize(rpc.rpc, { kind: 'none', peer: rpc.peer });
}

export interface SelectedDatabase {
  readonly db: Database;
  /** The name clients know it by (ImmutableState.db, signatures). */
  readonly name: string;
}

/** The database the node selected for this call; NO_DATABASE_SELECTED when there is none. */
export function selectedDatabase(ctx: NodeCallContext): SelectedDatabase {
  if (ctx.database === undefined) throw new ImmuError('NO_DATABASE_SELECTED', 'no database is selected; call UseDatabase or OpenSession first');
  return { db: ctx.database, name: ctx.databaseName ?? ctx.database.name };
}

/** authorize + selectedDatabase, the prologue of every data-plane handler. */
export async function authorizeDatabase(node: NodeApi, rpc: RpcContext): Promise<SelectedDatabase & { readonly ctx: NodeCallContext }> {
  const ctx = await authorize(node, rpc);
  return { ctx, ...selectedDatabase(ctx) };
}
