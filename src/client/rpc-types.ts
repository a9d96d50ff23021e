// The request/response types the client side of each unary RPC sees: what it gives to encode (`*Init`)
// and what it gets back decoded (`*Msg`, 64-bit fields as Long, bytes as Buffer). The server-side map in
// src/api/proto-types.ts is the mirror image (request decoded, response encoded). Types only.
import type * as P from '../api/proto-types.js';

interface Rpc<Req, Res> {
  readonly request: Req;
  readonly response: Res;
}

/** immudb.schema.ImmuService, unary methods the client calls. */
export interface ImmuRpcs {
  readonly ListUsers: Rpc<P.EmptyInit, P.UserListMsg>;
  readonly CreateUser: Rpc<P.CreateUserRequestInit, P.EmptyMsg>;
  readonly ChangePassword: Rpc<P.ChangePasswordRequestInit, P.EmptyMsg>;
  readonly ChangePermission: Rpc<P.ChangePermissionRequestInit, P.EmptyMsg>;
  readonly SetActiveUser: Rpc<P.SetActiveUserRequestInit, P.EmptyMsg>;
  readonly UpdateAuthConfig: Rpc<P.AuthConfigInit, P.EmptyMsg>;
  readonly UpdateMTLSConfig: Rpc<P.MTLSConfigInit, P.EmptyMsg>;
  readonly OpenSession: Rpc<P.OpenSessionRequestInit, P.OpenSessionResponseMsg>;
  readonly CloseSession: Rpc<P.EmptyInit, P.EmptyMsg>;
  readonly KeepAlive: Rpc<P.EmptyInit, P.EmptyMsg>;
  readonly Login: Rpc<P.LoginRequestInit, P.LoginResponseMsg>;
  readonly Logout: Rpc<P.EmptyInit, P.EmptyMsg>;
  readonly Set: Rpc<P.SetRequestInit, P.TxHeaderMsg>;
  readonly VerifiableSet: Rpc<P.VerifiableSetRequestInit, P.VerifiableTxMsg>;
  readonly Get: Rpc<P.KeyRequestInit, P.EntryMsg>;
  readonly VerifiableGet: Rpc<P.VerifiableGetRequestInit, P.VerifiableEntryMsg>;
  readonly Delete: Rpc<P.DeleteKeysRequestInit, P.TxHeaderMsg>;
  readonly GetAll: Rpc<P.KeyListRequestInit, P.EntriesMsg>;
  readonly ExecAll: Rpc<P.ExecAllRequestInit, P.TxHeaderMsg>;
  readonly Scan: Rpc<P.ScanRequestInit, P.EntriesMsg>;
  readonly Count: Rpc<P.KeyPrefixInit, P.EntryCountMsg>;
  readonly CountAll: Rpc<P.EmptyInit, P.EntryCountMsg>;
  readonly TxById: Rpc<P.TxRequestInit, P.TxMsg>;
  readonly VerifiableTxById: Rpc<P.VerifiableTxRequestInit, P.VerifiableTxMsg>;
  readonly TxScan: Rpc<P.TxScanRequestInit, P.TxListMsg>;
  readonly History: Rpc<P.HistoryRequestInit, P.EntriesMsg>;
  readonly CurrentState: Rpc<P.EmptyInit, P.ImmutableStateMsg>;
  readonly SetReference: Rpc<P.ReferenceRequestInit, P.TxHeaderMsg>;
  readonly VerifiableSetReference: Rpc<P.VerifiableReferenceRequestInit, P.VerifiableTxMsg>;
  readonly ZAdd: Rpc<P.ZAddRequestInit, P.TxHeaderMsg>;
  readonly VerifiableZAdd: Rpc<P.VerifiableZAddRequestInit, P.VerifiableTxMsg>;
  readonly ZScan: Rpc<P.ZScanRequestInit, P.ZEntriesMsg>;
  readonly Health: Rpc<P.EmptyInit, P.HealthResponseMsg>;
  readonly ServerInfo: Rpc<P.ServerInfoRequestInit, P.ServerInfoResponseMsg>;
  readonly CreateDatabase: Rpc<P.DatabaseInit, P.EmptyMsg>;
  readonly CreateDatabaseWith: Rpc<P.DatabaseSettingsInit, P.EmptyMsg>;
  readonly CreateDatabaseV2: Rpc<P.CreateDatabaseRequestInit, P.CreateDatabaseResponseMsg>;
  readonly LoadDatabase: Rpc<P.LoadDatabaseRequestInit, P.LoadDatabaseResponseMsg>;
  readonly UnloadDatabase: Rpc<P.UnloadDatabaseRequestInit, P.UnloadDatabaseResponseMsg>;
  readonly DeleteDatabase: Rpc<P.DeleteDatabaseRequestInit, P.DeleteDatabaseResponseMsg>;
  readonly DatabaseList: Rpc<P.EmptyInit, P.DatabaseListResponseMsg>;
  readonly DatabaseListV2: Rpc<P.DatabaseListRequestV2Init, P.DatabaseListResponseV2Msg>;
  readonly UseDatabase: Rpc<P.DatabaseInit, P.UseDatabaseReplyMsg>;
  readonly UpdateDatabase: Rpc<P.DatabaseSettingsInit, P.EmptyMsg>;
  readonly UpdateDatabaseV2: Rpc<P.UpdateDatabaseRequestInit, P.UpdateDatabaseResponseMsg>;
  readonly GetDatabaseSettings: Rpc<P.EmptyInit, P.DatabaseSettingsMsg>;
  readonly GetDatabaseSettingsV2: Rpc<P.DatabaseSettingsRequestInit, P.DatabaseSettingsResponseMsg>;
  readonly FlushIndex: Rpc<P.FlushIndexRequestInit, P.FlushIndexResponseMsg>;
  readonly CompactIndex: Rpc<P.EmptyInit, P.EmptyMsg>;
}

/** immudbts.v1.ImmudbTs, our additions. */
export interface ImmudbTsRpcs {
  readonly ReplicationStatus: Rpc<P.ReplicationStatusRequestInit, P.ReplicationStatusResponseMsg>;
}
