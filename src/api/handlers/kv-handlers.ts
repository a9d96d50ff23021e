// The data-plane RPCs of ImmuService: KV writes and reads, sorted sets, references, tx reads, the
// verifiable forms and CurrentState. Each handler authorizes through the node (which selects the
// database), decodes, calls the Database, encodes. Verifiable replies are signed over the dual proof's
// target (db, id, Alh), CurrentState over the committed state (core spec 4.6, 5), when the node has a
// signing key. Writes carry the node's tx extra (request-metadata logging) where the Database takes one.
import type { Database } from '../../database/database.js';
import type { VerifiableTx } from '../../database/types.js';
import { txAlh } from '../../proof/tx-header.js';
import type { NodeApi, StateSignature } from '../../server/node-api.js';
import { toBuffer, toTxId } from '../convert.js';
import type { HandlerEnv } from '../handler.js';
import { entryToProto, zEntryToProto } from './convert-entries.js';
import {
  deleteRequestFromProto,
  execAllRequestFromProto,
  historyRequestFromProto,
  keyListFromProto,
  keyRequestFromProto,
  referenceRequestFromProto,
  requiredMessage,
  scanRequestFromProto,
  setRequestFromProto,
  txRequestFromProto,
  txScanRequestFromProto,
  verifiableTxRequestFromProto,
  zAddRequestFromProto,
  zScanRequestFromProto,
} from './convert-requests.js';
import {
  immutableStateToProto,
  txHeaderToProto,
  txToProto,
  verifiableEntryToProto,
  verifiableTxToProto,
} from './convert-tx.js';
import { authorizeDatabase, defineUnary, type HandlerMap, type RpcContext } from './handler-support.js';

/** The state a client adopts after verifying `vtx`: the dual proof's target. */
function signTarget(node: NodeApi, dbName: string, vtx: VerifiableTx): StateSignature | undefined {
  const target = vtx.dualProof.targetTxHeader;
  return node.signState(dbName, target.id, txAlh(target));
}

function registerWrites(node: NodeApi, env: HandlerEnv, out: HandlerMap): void {
  defineUnary(env, out, 'Set', async (req, rpc) => {
    const { ctx, db } = await authorizeDatabase(node, rpc);
    return txHeaderToProto(await db.set(setRequestFromProto(req, node.txExtraFor(ctx))));
  });
  defineUnary(env, out, 'Delete', async (req, rpc) => {
    const { db } = await authorizeDatabase(node, rpc);
    return txHeaderToProto(await db.delete(deleteRequestFromProto(req)));
  });
  defineUnary(env, out, 'ExecAll', async (req, rpc) => {
    const { ctx, db } = await authorizeDatabase(node, rpc);
    return txHeaderToProto(await db.execAll(execAllRequestFromProto(req, node.txExtraFor(ctx))));
  });
  defineUnary(env, out, 'SetReference', async (req, rpc) => {
    const { ctx, db } = await authorizeDatabase(node, rpc);
    return txHeaderToProto(await db.setReference(referenceRequestFromProto(req, node.txExtraFor(ctx))));
  });
  // The Database's zAdd takes no tx extra (immudb's ZAdd does not carry request metadata either).
  defineUnary(env, out, 'ZAdd', async (req, rpc) => {
    const { db } = await authorizeDatabase(node, rpc);
    return txHeaderToProto(await db.zAdd(zAddRequestFromProto(req)));
  });
}

function registerVerifiableWrites(node: NodeApi, env: HandlerEnv, out: HandlerMap): void {
  defineUnary(env, out, 'VerifiableSet', async (req, rpc) => {
    const { ctx, db, name } = await authorizeDatabase(node, rpc);
    const set = setRequestFromProto(requiredMessage(req.setRequest, 'setRequest'), node.txExtraFor(ctx));
    const vtx = await db.verifiableSet(set, toTxId(req.proveSinceTx, 'proveSinceTx'));
    return verifiableTxToProto(vtx, signTarget(node, name, vtx));
  });
  defineUnary(env, out, 'VerifiableSetReference', async (req, rpc) => {
    const { ctx, db, name } = await authorizeDatabase(node, rpc);
    const ref = referenceRequestFromProto(requiredMessage(req.referenceRequest, 'referenceRequest'), node.txExtraFor(ctx));
    const vtx = await db.verifiableSetReference(ref, toTxId(req.proveSinceTx, 'proveSinceTx'));
    return verifiableTxToProto(vtx, signTarget(node, name, vtx));
  });
  defineUnary(env, out, 'VerifiableZAdd', async (req, rpc) => {
    const { db, name } = await authorizeDatabase(node, rpc);
    const z = zAddRequestFromProto(requiredMessage(req.zAddRequest, 'zAddRequest'));
    const vtx = await db.verifiableZAdd(z, toTxId(req.proveSinceTx, 'proveSinceTx'));
    return verifiableTxToProto(vtx, signTarget(node, name, vtx));
  });
}

function registerReads(node: NodeApi, env: HandlerEnv, out: HandlerMap): void {
  const dbOf = async (rpc: RpcContext): Promise<Database> => (await authorizeDatabase(node, rpc)).db;
  defineUnary(env, out, 'Get', async (req, rpc) => entryToProto(await (await dbOf(rpc)).get(keyRequestFromProto(req))));
  defineUnary(env, out, 'GetAll', async (req, rpc) => {
    const { keys, sinceTx } = keyListFromProto(req);
    return { entries: (await (await dbOf(rpc)).getAll(keys, sinceTx)).map(entryToProto) };
  });
  defineUnary(env, out, 'Scan', async (req, rpc) => ({ entries: (await (await dbOf(rpc)).scan(scanRequestFromProto(req))).map(entryToProto) }));
  defineUnary(env, out, 'History', async (req, rpc) => ({
    entries: (await (await dbOf(rpc)).history(historyRequestFromProto(req))).map(entryToProto),
  }));
  defineUnary(env, out, 'ZScan', async (req, rpc) => ({ entries: (await (await dbOf(rpc)).zScan(zScanRequestFromProto(req))).map(zEntryToProto) }));
  defineUnary(env, out, 'Count', async (req, rpc) => ({ count: await (await dbOf(rpc)).count(toBuffer(req.prefix, 'prefix')) }));
  defineUnary(env, out, 'CountAll', async (_req, rpc) => ({ count: await (await dbOf(rpc)).countAll() }));
  defineUnary(env, out, 'TxById', async (req, rpc) => txToProto(await (await dbOf(rpc)).txById(txRequestFromProto(req))));
  defineUnary(env, out, 'TxScan', async (req, rpc) => ({ txs: (await (await dbOf(rpc)).txScan(txScanRequestFromProto(req))).map(txToProto) }));
}

function registerVerifiableReads(node: NodeApi, env: HandlerEnv, out: HandlerMap): void {
  defineUnary(env, out, 'VerifiableGet', async (req, rpc) => {
    const { db, name } = await authorizeDatabase(node, rpc);
    const get = keyRequestFromProto(requiredMessage(req.keyRequest, 'keyRequest'));
    const ve = await db.verifiableGet(get, toTxId(req.proveSinceTx, 'proveSinceTx'));
    return verifiableEntryToProto(ve, signTarget(node, name, ve.verifiableTx));
  });
  defineUnary(env, out, 'VerifiableTxById', async (req, rpc) => {
    const { db, name } = await authorizeDatabase(node, rpc);
    const vtx = await db.verifiableTxById(verifiableTxRequestFromProto(req));
    return verifiableTxToProto(vtx, signTarget(node, name, vtx));
  });
  defineUnary(env, out, 'CurrentState', async (_req, rpc) => {
    const { db, name } = await authorizeDatabase(node, rpc);
    const state = { ...db.currentState(), db: name };
    return immutableStateToProto(state, node.signState(name, state.txId, state.txHash));
  });
}

/** Every data-plane handler, keyed by RPC name. */
export function kvHandlers(node: NodeApi, env: HandlerEnv): HandlerMap {
  const out: HandlerMap = {};
  registerWrites(node, env, out);
  registerVerifiableWrites(node, env, out);
  registerReads(node, env, out);
  registerVerifiableReads(node, env, out);
  return out;
}
