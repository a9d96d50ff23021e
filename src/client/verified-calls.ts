// The verified calls and the consistency check, with the trusted-state bookkeeping around verify.ts:
// find the trusted state for (server UUID, database) (trust on first use: the server's CurrentState,
// signature-checked, kept in memory only until a proof succeeds), send proveSinceTx, verify the reply,
// check the signature of the new state, and only then persist it. Any failure leaves the saved state as
// it was. One lock serialises these calls per client so two proofs never race on one saved state.
import type { KeyObject } from 'node:crypto';
import type { VerifiableTxMsg } from '../api/proto-types.js';
import { ImmuError, type ErrorCode } from '../common/errors.js';
import { Mutex } from '../common/mutex.js';
import type { ClientCore } from './client-core.js';
import type { CallResult } from './connection.js';
import { immutableStateFromMsg, verifiableEntryFromMsg, verifiableTxFromMsg } from './decode.js';
import { keyRequest, referenceRequest, setRequest, txIdArg, zAddRequest } from './encode.js';
import { encodePlainValue, encodeReferenceValue, encodeKey, encodeZAddKey } from '../proof/kv-encoding.js';
import type { StateStore } from './state-store.js';
import type { ConsistencyResult, Entry, GetOptions, ImmuState, StateSignature, Tx, TxHeader, TrustedState } from './types.js';
import { checkStateSignature, verifyConsistency, verifyGet, verifyTx, verifyWrite, type ExpectedEntry, type ProvenState } from './verify.js';

/** Runs a decode or verify step; anything it throws becomes `code` (the cause kept in details). */
function asFailure<T>(code: ErrorCode, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ImmuError && err.code === code) throw err;
    const cause = err instanceof ImmuError ? err.code : 'EXCEPTION';
    throw new ImmuError(code, `${what}: ${(err as Error).message}`, { cause, ...(err instanceof ImmuError ? err.details : {}) });
  }
}

interface Trusted {
  readonly state: TrustedState;
  /** True when the state came from CurrentState just now and is not saved yet. */
  readonly firstUse: boolean;
}

export class VerifiedCalls {
  readonly #core: ClientCore;
  readonly #store: StateStore;
  readonly #publicKey: KeyObject | undefined;
  readonly #lock = new Mutex();

  constructor(core: ClientCore, store: StateStore, publicKey: KeyObject | undefined) {
    this.#core = core;
    this.#store = store;
    this.#publicKey = publicKey;
  }

  #uuidOf(result: CallResult<unknown>): string {
    return result.serverUuid ?? this.#core.serverUuid ?? `endpoint-${result.endpoint}`;
  }

  /** CurrentState, signature-checked when a server key is configured (PROOF_FAILED otherwise). */
  async currentState(): Promise<{ state: ImmuState; serverUuid: string }> {
    const db = this.#core.requireDatabase();
    const result = await this.#core.call('CurrentState', {});
    const state = asFailure('PROOF_FAILED', 'malformed CurrentState reply', () => immutableStateFromMsg(result.response));
    checkStateSignature(this.#publicKey, state.db === '' ? db : state.db, state, state.signature);
    return { state, serverUuid: this.#uuidOf(result) };
  }

  /** The saved state of the current database on the server last seen, if any. */
  async savedState(): Promise<TrustedState | undefined> {
    const db = this.#core.requireDatabase();
    let uuid = this.#core.serverUuid;
    if (uuid === undefined) uuid = (await this.currentState()).serverUuid;
    return this.#store.get(uuid, db);
  }

  async #trusted(db: string): Promise<Trusted> {
    const known = this.#core.serverUuid;
    if (known !== undefined) {
      const saved = await this.#store.get(known, db);
      if (saved !== undefined) return { state: saved, firstUse: false };
    }
    const { state, serverUuid } = await this.currentState();
    const saved = await this.#store.get(serverUuid, db);
    if (saved !== undefined) return { state: saved, firstUse: false };
    return { state: { serverUuid, db, txId: state.txId, txHash: state.txHash, signature: state.signature }, firstUse: true };
  }

  /** Persists `next` when it moves the trusted state forward (or is the first one). */
  async #advance(trusted: Trusted, serverUuid: string, next: ProvenState, signature: StateSignature | undefined): Promise<void> {
    const prev = trusted.state;
    if (!trusted.firstUse && next.txId === prev.txId && next.txHash.equals(prev.txHash)) return;
    if (!trusted.firstUse && next.txId < prev.txId) return;
    await this.#store.set({ serverUuid, db: prev.db, txId: next.txId, txHash: next.txHash, signature });
  }

  #sameServer(trusted: Trusted, serverUuid: string): void {
    if (trusted.state.serverUuid !== serverUuid) {
      throw new ImmuError('PROOF_FAILED', 'the reply came from another server than the trusted state', {
        trustedServerUuid: trusted.state.serverUuid,
        serverUuid,
      });
    }
  }

  async #write(
    db: string,
    send: (proveSinceTx: number) => Promise<CallResult<VerifiableTxMsg>>,
    expected: ExpectedEntry,
  ): Promise<TxHeader> {
    const trusted = await this.#trusted(db);
    const result = await send(trusted.state.txId);
    const serverUuid = this.#uuidOf(result);
    this.#sameServer(trusted, serverUuid);
    const vtx = asFailure('PROOF_FAILED', 'malformed verifiable tx', () => verifiableTxFromMsg(result.response));
    const next = asFailure('PROOF_FAILED', 'verified write', () => verifyWrite(trusted.state, vtx, expected));
    checkStateSignature(this.#publicKey, db, next, vtx.signature);
    await this.#advance(trusted, serverUuid, next, vtx.signature);
    return vtx.tx.header;
  }

  verifiedSet(key: Buffer, value: Buffer): Promise<TxHeader> {
    return this.#lock.run(() => {
      const db = this.#core.requireDatabase();
      const setReq = setRequest([{ key, value }]);
      return this.#write(db, (proveSinceTx) => this.#core.call('VerifiableSet', { setRequest: setReq, proveSinceTx }), {
        key: encodeKey(key),
        metadata: undefined,
        value: encodePlainValue(value),
      });
    });
  }

  verifiedSetReference(key: Buffer, referencedKey: Buffer, atTx = 0): Promise<TxHeader> {
    return this.#lock.run(() => {
      const db = this.#core.requireDatabase();
      const referenceReq = referenceRequest(key, referencedKey, { atTx });
      return this.#write(db, (proveSinceTx) => this.#core.call('VerifiableSetReference', { referenceRequest: referenceReq, proveSinceTx }), {
        key: encodeKey(key),
        metadata: undefined,
        value: encodeReferenceValue(referencedKey, txIdArg(atTx, 'atTx')),
      });
    });
  }

  verifiedZAdd(set: Buffer, score: number, key: Buffer, atTx = 0): Promise<TxHeader> {
    return this.#lock.run(() => {
      const db = this.#core.requireDatabase();
      const zAddReq = zAddRequest(set, score, key, { atTx });
      return this.#write(db, (proveSinceTx) => this.#core.call('VerifiableZAdd', { zAddRequest: zAddReq, proveSinceTx }), {
        key: encodeZAddKey(set, score, key, txIdArg(atTx, 'atTx')),
        metadata: undefined,
        value: Buffer.alloc(0),
      });
    });
  }

  verifiedGet(key: Buffer, options: GetOptions = {}): Promise<Entry> {
    return this.#lock.run(async () => {
      const db = this.#core.requireDatabase();
      const keyReq = keyRequest(key, options);
      const trusted = await this.#trusted(db);
      const result = await this.#core.call('VerifiableGet', { keyRequest: keyReq, proveSinceTx: trusted.state.txId });
      const serverUuid = this.#uuidOf(result);
      this.#sameServer(trusted, serverUuid);
      const ve = asFailure('PROOF_FAILED', 'malformed verifiable entry', () => verifiableEntryFromMsg(result.response));
      const next = asFailure('PROOF_FAILED', 'verified get', () => verifyGet(trusted.state, key, options.atTx ?? 0, ve));
      checkStateSignature(this.#publicKey, db, next, ve.verifiableTx.signature);
      await this.#advance(trusted, serverUuid, next, ve.verifiableTx.signature);
      return ve.entry;
    });
  }

  verifiedTxById(txId: number): Promise<Tx> {
    return this.#lock.run(async () => {
      const db = this.#core.requireDatabase();
      const tx = txIdArg(txId, 'tx');
      const trusted = await this.#trusted(db);
      const result = await this.#core.call('VerifiableTxById', { tx, proveSinceTx: trusted.state.txId });
      const serverUuid = this.#uuidOf(result);
      this.#sameServer(trusted, serverUuid);
      const vtx = asFailure('PROOF_FAILED', 'malformed verifiable tx', () => verifiableTxFromMsg(result.response));
      const next = asFailure('PROOF_FAILED', 'verified tx', () => verifyTx(trusted.state, tx, vtx));
      checkStateSignature(this.#publicKey, db, next, vtx.signature);
      await this.#advance(trusted, serverUuid, next, vtx.signature);
      return vtx.tx;
    });
  }

  /**
   * Proves the server's current state consistent with the saved one (STATE_INCONSISTENT when it cannot
   * be), then saves it. With no saved state, the current one is trusted on first use and saved.
   */
  verifyState(): Promise<ConsistencyResult> {
    return this.#lock.run(async () => {
      const db = this.#core.requireDatabase();
      const { state, serverUuid } = await this.currentState();
      const current: TrustedState = { serverUuid, db, txId: state.txId, txHash: state.txHash, signature: state.signature };
      const saved = await this.#store.get(serverUuid, db);
      if (saved === undefined) {
        await this.#store.set(current);
        return { kind: 'firstUse', current };
      }
      const details = { db, serverUuid, savedTxId: saved.txId, currentTxId: current.txId };
      if (current.txId < saved.txId) throw new ImmuError('STATE_INCONSISTENT', 'the server state is older than the saved state', details);
      if (current.txId === saved.txId) {
        if (!current.txHash.equals(saved.txHash)) throw new ImmuError('STATE_INCONSISTENT', 'the server state differs from the saved state at the same tx', details);
        return { kind: 'unchanged', current: saved };
      }
      const result = await this.#core.call('VerifiableTxById', { tx: current.txId, proveSinceTx: saved.txId });
      if (this.#uuidOf(result) !== serverUuid) throw new ImmuError('STATE_INCONSISTENT', 'the proof came from another server', details);
      const vtx = asFailure('STATE_INCONSISTENT', 'malformed consistency proof', () => verifiableTxFromMsg(result.response));
      asFailure('STATE_INCONSISTENT', 'consistency proof', () => verifyConsistency(saved, current, vtx));
      await this.#store.set(current);
      return { kind: 'advanced', previous: saved, current };
    });
  }
}
