// The control-plane RPCs of ImmuService: login and sessions, users, database lifecycle and settings,
// Health and ServerInfo. Each decodes, authorizes through the node, calls the node, encodes; the rules
// (who may create a database, what a password change ends) are the node's. Login, OpenSession, Health
// and ServerInfo are authorized without the caller's credentials (see authorizePublic).
import { assert } from '../../common/assert.js';
import { ImmuError } from '../../common/errors.js';
import type { NodeApi } from '../../server/node-api.js';
import { toBuffer, toUint32, toUtf8 } from '../convert.js';
import type { HandlerEnv } from '../handler.js';
import {
  databaseListToProto,
  databaseListV2ToProto,
  healthToProto,
  permissionActionFromProto,
  serverInfoToProto,
  userListToProto,
  userNameFromProto,
} from './convert-server.js';
import { legacySettingsFromProto, legacySettingsToProto, settingsToProto, settingsUpdateFromProto } from './convert-settings.js';
import { authorize, authorizePublic, callAuth, defineUnary, selectedDatabase, type HandlerMap } from './handler-support.js';

function requireName(name: string, field: string): string {
  if (name === '') throw new ImmuError('INVALID_ARGUMENT', `${field}: is empty`, { field });
  return name;
}

function registerAuth(node: NodeApi, env: HandlerEnv, out: HandlerMap): void {
  defineUnary(env, out, 'Login', async (req, rpc) => {
    await authorizePublic(node, rpc);
    const res = await node.login(toUtf8(req.user, 'user'), toBuffer(req.password, 'password'), rpc.peer);
    return { token: res.token, warning: Buffer.from(res.warning, 'utf8') };
  });
  defineUnary(env, out, 'Logout', async (_req, rpc) => {
    await authorize(node, rpc);
    await node.logout(callAuth(rpc));
    return {};
  });
  defineUnary(env, out, 'OpenSession', async (req, rpc) => {
    await authorizePublic(node, rpc);
    const res = await node.openSession(toUtf8(req.username, 'username'), toBuffer(req.password, 'password'), req.databaseName, rpc.peer);
    return { sessionID: res.sessionId, serverUUID: res.serverUuid };
  });
  defineUnary(env, out, 'KeepAlive', async (_req, rpc) => {
    await authorize(node, rpc);
    await node.keepAlive(callAuth(rpc));
    return {};
  });
  defineUnary(env, out, 'CloseSession', async (_req, rpc) => {
    await authorize(node, rpc);
    await node.closeSession(callAuth(rpc));
    return {};
  });
  defineUnary(env, out, 'UseDatabase', async (req, rpc) => {
    await authorize(node, rpc);
    const { token } = await node.useDatabase(callAuth(rpc), requireName(req.databaseName, 'databaseName'));
    // immudb-node 1.1.1 sends `Bearer ` + this from now on; an empty token would lock it out (sdk spec 2).
    assert(token !== '', 'UseDatabase must return a non-empty token');
    return { token };
  });
}

function registerUsers(node: NodeApi, env: HandlerEnv, out: HandlerMap): void {
  defineUnary(env, out, 'ListUsers', async (_req, rpc) => userListToProto(await node.listUsers(await authorize(node, rpc))));
  defineUnary(env, out, 'CreateUser', async (req, rpc) => {
    const ctx = await authorize(node, rpc);
    const user = userNameFromProto(req.user, 'user');
    await node.createUser(ctx, { user, password: toBuffer(req.password, 'password'), permission: toUint32(req.permission, 'permission'), database: req.database });
    return {};
  });
  defineUnary(env, out, 'ChangePassword', async (req, rpc) => {
    const ctx = await authorize(node, rpc);
    const user = userNameFromProto(req.user, 'user');
    await node.changePassword(ctx, { user, oldPassword: toBuffer(req.oldPassword, 'oldPassword'), newPassword: toBuffer(req.newPassword, 'newPassword') });
    return {};
  });
  defineUnary(env, out, 'ChangePermission', async (req, rpc) => {
    const ctx = await authorize(node, rpc);
    const action = permissionActionFromProto(req);
    await node.changePermission(ctx, { action, username: req.username, database: req.database, permission: toUint32(req.permission, 'permission') });
    return {};
  });
  defineUnary(env, out, 'SetActiveUser', async (req, rpc) => {
    const ctx = await authorize(node, rpc);
    await node.setActiveUser(ctx, { username: req.username, active: req.active });
    return {};
  });
  // Deprecated in immudb, which answers "operation not supported" to everyone allowed to ask.
  for (const name of ['UpdateAuthConfig', 'UpdateMTLSConfig'] as const) {
    defineUnary(env, out, name, async (_req, rpc) => {
      await authorize(node, rpc);
      throw new ImmuError('UNIMPLEMENTED', 'operation not supported');
    });
  }
}

function registerDatabaseLifecycle(node: NodeApi, env: HandlerEnv, out: HandlerMap): void {
  defineUnary(env, out, 'CreateDatabase', async (req, rpc) => {
    const ctx = await authorize(node, rpc);
    // No settings: the node applies its defaults, incl. --write-tx-header-version (issue 3).
    await node.createDatabase(ctx, { name: requireName(req.databaseName, 'databaseName'), settings: {}, ifNotExists: false });
    return {};
  });
  defineUnary(env, out, 'CreateDatabaseWith', async (req, rpc) => {
    const ctx = await authorize(node, rpc);
    const { name, settings } = legacySettingsFromProto(req);
    await node.createDatabase(ctx, { name, settings, ifNotExists: false });
    return {};
  });
  defineUnary(env, out, 'CreateDatabaseV2', async (req, rpc) => {
    const ctx = await authorize(node, rpc);
    const name = requireName(req.name, 'name');
    const res = await node.createDatabase(ctx, { name, settings: settingsUpdateFromProto(req.settings), ifNotExists: req.ifNotExists });
    return { name: res.name, settings: settingsToProto(res.settings), alreadyExisted: res.alreadyExisted };
  });
  defineUnary(env, out, 'LoadDatabase', async (req, rpc) => {
    const ctx = await authorize(node, rpc);
    const name = requireName(req.database, 'database');
    await node.loadDatabase(ctx, name);
    return { database: name };
  });
  defineUnary(env, out, 'UnloadDatabase', async (req, rpc) => {
    const ctx = await authorize(node, rpc);
    const name = requireName(req.database, 'database');
    await node.unloadDatabase(ctx, name);
    return { database: name };
  });
  defineUnary(env, out, 'DeleteDatabase', async (req, rpc) => {
    const ctx = await authorize(node, rpc);
    const name = requireName(req.database, 'database');
    await node.deleteDatabase(ctx, name);
    return { database: name };
  });
}

function registerDatabaseSettings(node: NodeApi, env: HandlerEnv, out: HandlerMap): void {
  defineUnary(env, out, 'UpdateDatabase', async (req, rpc) => {
    const ctx = await authorize(node, rpc);
    await node.updateDatabase(ctx, legacySettingsFromProto(req));
    return {};
  });
  defineUnary(env, out, 'UpdateDatabaseV2', async (req, rpc) => {
    const ctx = await authorize(node, rpc);
    const name = requireName(req.database, 'database');
    const res = await node.updateDatabase(ctx, { name, settings: settingsUpdateFromProto(req.settings) });
    return { database: res.name, settings: settingsToProto(res.settings) };
  });
  defineUnary(env, out, 'GetDatabaseSettings', async (_req, rpc) => {
    const res = await node.databaseSettings(await authorize(node, rpc));
    return legacySettingsToProto(res.name, res.settings);
  });
  defineUnary(env, out, 'GetDatabaseSettingsV2', async (_req, rpc) => {
    const res = await node.databaseSettings(await authorize(node, rpc));
    return { database: res.name, settings: settingsToProto(res.settings) };
  });
  defineUnary(env, out, 'DatabaseList', async (_req, rpc) => databaseListToProto(await node.listDatabases(await authorize(node, rpc))));
  defineUnary(env, out, 'DatabaseListV2', async (_req, rpc) => databaseListV2ToProto(await node.listDatabases(await authorize(node, rpc))));
  // The Database has no index flush or compaction to call (its index is maintained on commit).
  for (const name of ['FlushIndex', 'CompactIndex'] as const) {
    defineUnary(env, out, name, async (_req, rpc) => {
      selectedDatabase(await authorize(node, rpc));
      throw new ImmuError('UNIMPLEMENTED', `${name} is not supported by immudb-ts`);
    });
  }
}

function registerServer(node: NodeApi, env: HandlerEnv, out: HandlerMap): void {
  defineUnary(env, out, 'Health', async (_req, rpc) => {
    await authorizePublic(node, rpc);
    return healthToProto(node.version);
  });
  defineUnary(env, out, 'ServerInfo', async (_req, rpc) => {
    await authorizePublic(node, rpc);
    return serverInfoToProto(await node.serverInfo());
  });
}

/** Every control-plane handler, keyed by RPC name. */
export function controlHandlers(node: NodeApi, env: HandlerEnv): HandlerMap {
  const out: HandlerMap = {};
  registerAuth(node, env, out);
  registerUsers(node, env, out);
  registerDatabaseLifecycle(node, env, out);
  registerDatabaseSettings(node, env, out);
  registerServer(node, env, out);
  return out;
}
