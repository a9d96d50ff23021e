// The interpreter behind testdata/*.txt: histories built with real hashing, at most one replica state
// machine and one primary state machine per file, and the failover decision. Each command feeds one event
// (or builds data) and renders the resulting actions and a one-line state summary, so a scenario reads as
// "event in, decisions out". See testdata/README.md for the command list.
import { assert } from '../../../src/common/assert.js';
import { decideFailover, failoverProbes, type FailoverCandidate } from '../failover.js';
import { startPrimary, stepPrimary } from '../primary-step.js';
import type { PrimaryAction, PrimaryConfig, PrimaryEvent, PrimaryState } from '../primary-types.js';
import { receivedTip } from '../replica-ops.js';
import { startReplica, stepReplica } from '../replica-step.js';
import type { ReplicaAction, ReplicaConfig, ReplicaEvent, ReplicaState, StreamFailure } from '../replica-types.js';
import { primaryStatus, replicaStatus, type ReplicationRole, type ReplicationStatus } from '../status.js';
import type { HaltKind, PrimaryEndpoint, TxRef } from '../types.js';
import { UNSAFE_CANARY_CONSENT, unsafeAckBeforeReplicaPrecommitForCanaryTestsOnly } from '../unsafe-canary.js';
import { parseArgs, type Directive } from './datadriven.js';
import { forgedPayload, TestHistory, type Forgery } from './history.js';

type Args = ReadonlyMap<string, string>;

function str(args: Args, key: string, dflt?: string): string {
  const v = args.get(key) ?? dflt;
  if (v === undefined) throw new Error(`missing argument ${key}`);
  return v;
}

function num(args: Args, key: string, dflt?: number): number {
  const v = args.get(key);
  if (v === undefined) {
    if (dflt === undefined) throw new Error(`missing argument ${key}`);
    return dflt;
  }
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`argument ${key}=${v} is not a number`);
  return n;
}

function bool(args: Args, key: string, dflt: boolean): boolean {
  const v = args.get(key);
  return v === undefined ? dflt : v === 'true';
}

function endpoint(name: string): PrimaryEndpoint {
  return { host: name, port: 3322, database: 'db' };
}

export class ScenarioWorld {
  readonly #histories = new Map<string, TestHistory>();
  #replica: ReplicaState | undefined;
  readonly #applies = new Map<number, Buffer>();
  #primary: PrimaryState | undefined;
  #primaryHistory: TestHistory | undefined;
  #now = 0;

  run(d: Directive): string {
    if (d.args.has('now')) this.#now = num(d.args, 'now');
    switch (d.command) {
      case 'history':
        return this.#history(d.args);
      case 'fork':
        return this.#fork(d.args);
      case 'append':
        return this.#append(d.args);
      case 'replica-start':
        return this.#replicaStart(d.args);
      case 'status':
        return renderStatus(replicaStatus(this.#r(), this.#now));
      case 'failover':
        return this.#failover(d.args, d.input);
      default:
        if (d.command.startsWith('p-') || d.command === 'primary-start') return this.#primaryCommand(d.command, d.args);
        return this.#replicaEvent(this.#replicaEventFor(d.command, d.args));
    }
  }

  // ---- histories -------------------------------------------------------------------------------

  #hist(name: string): TestHistory {
    const h = this.#histories.get(name);
    if (h === undefined) throw new Error(`no history ${name}`);
    return h;
  }

  /** `p:5` → tx 5 of history p. */
  #ref(label: string): TxRef {
    const [name = '', id = ''] = label.split(':');
    return this.#hist(name).ref(Number(id));
  }

  #history(args: Args): string {
    const h = new TestHistory(str(args, 'name')).append(num(args, 'txs'), str(args, 'name'));
    this.#histories.set(h.name, h);
    return `${h.name}: ${h.size} txs`;
  }

  #fork(args: Args): string {
    const h = this.#hist(str(args, 'from')).fork(str(args, 'name'), num(args, 'at'));
    h.append(num(args, 'txs'), h.name);
    this.#histories.set(h.name, h);
    return `${h.name}: ${h.size} txs (shares 1..${num(args, 'at')} with ${str(args, 'from')})`;
  }

  #append(args: Args): string {
    const h = this.#hist(str(args, 'name'));
    h.append(num(args, 'txs'), `${h.name}+${h.size}`);
    return `${h.name}: ${h.size} txs`;
  }

  /** A readable name for an Alh: the first history:tx that has it, else a short hex. */
  #label(alh: Buffer): string {
    for (const h of this.#histories.values()) {
      for (let id = 0; id <= h.size; id++) if (h.alhAt(id).equals(alh)) return `${h.name}:${id}`;
    }
    return `?${alh.toString('hex').slice(0, 8)}`;
  }

  // ---- replica ---------------------------------------------------------------------------------

  #r(): ReplicaState {
    assert(this.#replica !== undefined, 'replica-start first');
    return this.#replica;
  }

  #replicaStart(args: Args): string {
    const committed = this.#ref(str(args, 'committed', 'p:0'));
    const precommittedLabel = str(args, 'precommitted', `${str(args, 'committed', 'p:0')}`);
    const precommitted = this.#ref(precommittedLabel);
    const [pname = ''] = precommittedLabel.split(':');
    const uncommitted: TxRef[] = [];
    for (let id = committed.txId + 1; id <= precommitted.txId; id++) uncommitted.push(this.#hist(pname).ref(id));
    const primary = str(args, 'primary', 'p1');
    const config: ReplicaConfig = {
      database: 'db',
      primary: primary === 'none' ? undefined : endpoint(primary),
      syncReplication: bool(args, 'sync', false),
      allowTxDiscarding: bool(args, 'discard', false),
      prefetchTxsMax: num(args, 'prefetch', 100),
      responseTimeoutMs: num(args, 'timeout', 10_000),
      consistencyCheckIntervalMs: num(args, 'check', 60_000),
    };
    const step = startReplica(
      config,
      { committed, precommitted, uncommitted, epoch: num(args, 'epoch', 0), verifiedAtStart: bool(args, 'verified', true) },
      num(args, 'seed', 1),
      this.#now,
    );
    this.#replica = step.state;
    return this.#renderReplica(step.actions);
  }

  #replicaEventFor(command: string, args: Args): ReplicaEvent {
    const nowMs = this.#now;
    switch (command) {
      case 'configure':
        return { kind: 'configure', nowMs, config: this.#reconfigure(args) };
      case 'stop':
        return { kind: 'stop', nowMs };
      case 'connected':
        return { kind: 'connected', nowMs };
      case 'connect-failed':
        return { kind: 'connectFailed', nowMs, message: 'connection refused' };
      case 'signature-invalid':
        return { kind: 'primarySignatureInvalid', nowMs, message: "the primary's state carries a bad signature" };
      case 'recv':
        return this.#received(args);
      case 'stream-failed':
        return { kind: 'streamFailed', nowMs, failure: streamFailure(args) };
      case 'applied': {
        const txId = num(args, 'tx');
        const alh = this.#applies.get(txId);
        assert(alh !== undefined, `no applyTx ${txId} was emitted`);
        return { kind: 'applied', nowMs, txId, alh };
      }
      case 'apply-failed':
        return { kind: 'applyFailed', nowMs, txId: num(args, 'tx'), failure: str(args, 'failure') === 'chain' ? 'chain' : 'transient', message: str(args, 'message', 'refused') };
      case 'committed':
        return { kind: 'committed', nowMs, txId: num(args, 'tx') };
      case 'consistency': {
        const outcome = str(args, 'outcome');
        return {
          kind: 'consistencyChecked',
          nowMs,
          outcome:
            outcome === 'ok'
              ? { kind: 'ok', primaryTxId: num(args, 'primary', 0) }
              : outcome === 'mismatch'
                ? { kind: 'mismatch', message: 'dual proof failed' }
                : outcome === 'signature-invalid'
                  ? { kind: 'signature-invalid', message: "the primary's state carries a bad signature" }
                  : { kind: 'unavailable', message: 'primary unreachable' },
        };
      }
      case 'local-failure':
        return { kind: 'localFailure', nowMs, operation: str(args, 'op'), message: 'EIO' };
      case 'tick':
        return { kind: 'tick', nowMs };
      default:
        throw new Error(`unknown command ${command}`);
    }
  }

  #reconfigure(args: Args): ReplicaConfig {
    const c = this.#r().config;
    const primary = args.get('primary');
    return {
      ...c,
      primary: primary === undefined ? c.primary : primary === 'none' ? undefined : endpoint(primary),
      allowTxDiscarding: bool(args, 'discard', c.allowTxDiscarding),
      syncReplication: bool(args, 'sync', c.syncReplication),
    };
  }

  /** `recv from=p [send=p:N|none] [forge=...] committed=N [calh=false] [maycommit=p:N] [epoch=N|none]`. */
  #received(args: Args): ReplicaEvent {
    const phase = this.#r().phase;
    assert(phase.kind === 'streaming' && phase.requests[0] !== undefined, 'recv needs an outstanding request');
    const from = this.#hist(str(args, 'from'));
    const send = str(args, 'send', `${from.name}:${phase.requests[0].txId}`);
    let payload: Buffer = Buffer.alloc(0);
    if (send !== 'none') {
      const [name = '', id = ''] = send.split(':');
      const h = this.#hist(name);
      const forge = args.get('forge') as Forgery | undefined;
      payload = forge === undefined ? h.payload(Number(id)) : forgedPayload(h.tx(Number(id)), forge);
    }
    const committed = num(args, 'committed', from.size);
    const epoch = str(args, 'epoch', '1');
    const mayCommit = args.get('maycommit');
    return {
      kind: 'received',
      nowMs: this.#now,
      payload,
      primaryCommittedTxId: committed,
      primaryCommittedAlh: bool(args, 'calh', true) ? from.alhAt(committed) : undefined,
      mayCommitUpTo: mayCommit === undefined ? undefined : this.#ref(mayCommit),
      primaryEpoch: epoch === 'none' ? undefined : Number(epoch),
    };
  }

  #replicaEvent(ev: ReplicaEvent): string {
    const step = stepReplica(this.#r(), ev);
    this.#replica = step.state;
    return this.#renderReplica(step.actions);
  }

  #renderReplica(actions: readonly ReplicaAction[]): string {
    const lines = actions.map((a) => this.#renderReplicaAction(a));
    lines.push(this.#replicaSummary());
    return lines.join('\n');
  }

  #renderReplicaAction(a: ReplicaAction): string {
    switch (a.kind) {
      case 'persistEpoch':
        return `persistEpoch ${a.epoch}`;
      case 'connect':
        return `connect ${a.primary.host}`;
      case 'disconnect':
        return 'disconnect';
      case 'requestTx': {
        const st = a.replicaState === undefined ? '' : ` state=c${a.replicaState.committed.txId}/p${a.replicaState.precommitted.txId}`;
        return `requestTx ${a.txId} epoch=${a.epoch}${st}`;
      }
      case 'applyTx':
        this.#applies.set(a.txId, a.alh);
        return `applyTx ${a.txId} alh=${this.#label(a.alh)}`;
      case 'allowCommitUpTo':
        return `allowCommitUpTo ${a.txId} alh=${this.#label(a.alh)}`;
      case 'discardPrecommittedSince':
        return `discardPrecommittedSince ${a.txId}`;
      case 'halt':
        return `halt ${a.reason.kind} ${a.reason.code}${a.reason.txId === undefined ? '' : ` tx=${a.reason.txId}`}: ${a.reason.message}`;
      case 'wakeAt':
        return `wakeAt ${a.atMs}`;
      case 'checkConsistency':
        return `checkConsistency ${this.#label(a.committed.alh)}`;
    }
  }

  #replicaSummary(): string {
    const s = this.#r();
    const p = s.phase;
    const phase =
      p.kind === 'backoff' ? `backoff(until=${p.untilMs})` : p.kind === 'streaming' ? `streaming${p.requests.length === 0 ? '' : `(req=${p.requests.map((r) => r.txId).join(',')})`}` : p.kind === 'halted' ? `halted(${p.reason.kind})` : p.kind;
    return `> ${phase} committed=${s.committed.txId} precommitted=${s.precommittedTxId} received=${receivedTip(s)} allowed=${s.allowedTxId} epoch=${s.epoch}`;
  }

  // ---- primary ---------------------------------------------------------------------------------

  #p(): PrimaryState {
    assert(this.#primary !== undefined, 'primary-start first');
    return this.#primary;
  }

  #ph(): TestHistory {
    assert(this.#primaryHistory !== undefined, 'primary-start first');
    return this.#primaryHistory;
  }

  #primaryConfig(args: Args, base: PrimaryConfig | undefined): PrimaryConfig {
    return {
      syncAcks: num(args, 'acks', base?.syncAcks ?? 0),
      syncAckTimeoutMs: num(args, 'timeout', base?.syncAckTimeoutMs ?? 1000),
      unsafeCanary: bool(args, 'canary', false) ? unsafeAckBeforeReplicaPrecommitForCanaryTestsOnly(UNSAFE_CANARY_CONSENT) : base?.unsafeCanary,
    };
  }

  #primaryCommand(command: string, args: Args): string {
    const nowMs = this.#now;
    if (command === 'primary-start') {
      this.#primaryHistory = this.#hist(str(args, 'history'));
      const h = this.#primaryHistory;
      const step = startPrimary(
        { database: 'db', epoch: num(args, 'epoch'), config: this.#primaryConfig(args, undefined), committed: h.ref(num(args, 'committed')), precommitted: h.ref(num(args, 'precommitted', num(args, 'committed'))) },
        nowMs,
      );
      this.#primary = step.state;
      return this.#renderPrimary(step.actions);
    }
    if (command === 'p-status') return renderStatus(primaryStatus(this.#p(), nowMs));
    const h = this.#ph();
    let ev: PrimaryEvent;
    switch (command) {
      case 'p-precommit':
        ev = { kind: 'precommitted', nowMs, tx: h.ref(num(args, 'tx')) };
        break;
      case 'p-commit':
        ev = { kind: 'committed', nowMs, tx: h.ref(num(args, 'tx')) };
        break;
      case 'p-wait':
        ev = { kind: 'writeWaiting', nowMs, waitId: str(args, 'id'), txId: num(args, 'tx') };
        break;
      case 'p-request':
        ev = this.#primaryRequest(args);
        break;
      case 'p-configure':
        ev = { kind: 'configure', nowMs, config: this.#primaryConfig(args, this.#p().config) };
        break;
      case 'p-tick':
        ev = { kind: 'tick', nowMs };
        break;
      case 'p-close':
        ev = { kind: 'close', nowMs };
        break;
      default:
        throw new Error(`unknown command ${command}`);
    }
    const step = stepPrimary(this.#p(), ev);
    this.#primary = step.state;
    return this.#renderPrimary(step.actions);
  }

  #primaryRequest(args: Args): PrimaryEvent {
    const s = this.#p();
    const h = this.#ph();
    const ownAlh = (ref: TxRef): Buffer | undefined => (ref.txId <= s.precommitted.txId ? h.alhAt(ref.txId) : undefined);
    const stateArg = args.get('state');
    if (stateArg === 'none') {
      return { kind: 'replicaRequest', nowMs: this.#now, replicaId: str(args, 'replica'), epoch: num(args, 'epoch'), state: undefined, primaryAlhAtCommitted: undefined, primaryAlhAtPrecommitted: undefined };
    }
    const committed = this.#ref(str(args, 'committed'));
    const precommitted = this.#ref(str(args, 'precommitted', str(args, 'committed')));
    return {
      kind: 'replicaRequest',
      nowMs: this.#now,
      replicaId: str(args, 'replica'),
      epoch: num(args, 'epoch'),
      state: { committed, precommitted },
      primaryAlhAtCommitted: ownAlh(committed),
      primaryAlhAtPrecommitted: ownAlh(precommitted),
    };
  }

  #renderPrimary(actions: readonly PrimaryAction[]): string {
    const lines = actions.map((a): string => {
      switch (a.kind) {
        case 'allowCommitUpTo':
          return `allowCommitUpTo ${a.txId}`;
        case 'releaseWrite':
          return `releaseWrite ${a.waitId} tx=${a.txId}`;
        case 'failWrite':
          return `failWrite ${a.waitId} tx=${a.txId} ${a.error.code}: ${a.error.message}`;
        case 'answerReplica':
          return `answerReplica ${a.replicaId} epoch=${a.epoch}${a.mayCommitUpTo === undefined ? '' : ` mayCommit=${this.#label(a.mayCommitUpTo.alh)}`}`;
        case 'rejectReplica':
          return `rejectReplica ${a.replicaId} ${a.code} scope=${a.scope}: ${a.message}`;
        case 'fenced':
          return `fenced epoch=${a.epoch} by=${a.replicaId}`;
      }
    });
    const s = this.#p();
    const waiters = s.waiters.map((w) => `${w.waitId}:${w.txId}`).join(',');
    const reps = s.replicas.map((r) => `${r.replicaId}:${r.standing}@${r.precommitted.txId}`).join(',');
    lines.push(
      `> primary epoch=${s.epoch} acks=${s.config.syncAcks} committed=${s.committed.txId} precommitted=${s.precommitted.txId} allowed=${s.allowedTxId} waiters=[${waiters}] replicas=[${reps}]${s.fencedByEpoch === undefined ? '' : ` fencedBy=${s.fencedByEpoch}`}`,
    );
    return lines.join('\n');
  }

  // ---- failover --------------------------------------------------------------------------------

  #failover(args: Args, input: readonly string[]): string {
    const histories = new Map<string, TestHistory>();
    const candidates: FailoverCandidate[] = input.map((line) => {
      const a = parseArgs(line);
      const node = str(a, 'node');
      const reachable = bool(a, 'reachable', true);
      const pre = str(a, 'precommitted', str(a, 'committed', 'p:0'));
      histories.set(node, this.#hist(pre.split(':')[0] ?? ''));
      const halt = a.get('halt') as HaltKind | undefined;
      return {
        node,
        reachable,
        role: reachable ? (str(a, 'role', 'replica') as ReplicationRole) : undefined,
        epoch: num(a, 'epoch', 1),
        promotable: bool(a, 'promotable', halt === undefined),
        halt,
        committed: this.#ref(str(a, 'committed', 'p:0')),
        precommitted: this.#ref(pre),
      };
    });
    const probes = failoverProbes(candidates);
    const results = probes.map((p) => {
      const h = histories.get(p.node);
      const c = candidates.find((x) => x.node === p.node);
      const readable = h !== undefined && c !== undefined && p.txId <= c.precommitted.txId && !bool(args, 'probes-fail', false);
      return { ...p, alh: readable ? h.alhAt(p.txId) : undefined };
    });
    const d = decideFailover(candidates, results, { switchover: bool(args, 'switchover', false) });
    const lines = [`probes: ${probes.map((p) => `${p.node}@${p.txId}`).join(' ') || '-'}`];
    if (d.kind === 'refuse') {
      lines.push(`refuse ${d.reason}: ${d.message}`);
    } else {
      lines.push(`promote ${d.node} epoch=${d.newEpoch}`);
      for (const st of d.steps) lines.push(st.kind === 'promote' ? `  step promote ${st.node} epoch=${st.epoch}` : `  step ${st.kind} ${st.node} -> ${st.primaryNode}`);
    }
    for (const s of d.skipped) lines.push(`skipped ${s.node}: ${s.reason}`);
    return lines.join('\n');
  }
}

function streamFailure(args: Args): StreamFailure {
  const kind = str(args, 'kind');
  switch (kind) {
    case 'transient':
      return { kind, message: 'connection reset' };
    case 'no-new-tx':
      return { kind };
    case 'precommit-divergence':
    case 'commit-divergence':
      return { kind, message: 'reported by the primary', ...(args.has('epoch') ? { primaryEpoch: num(args, 'epoch') } : {}) };
    case 'incompatible':
      return { kind, message: 'reported by the primary' };
    case 'stale-epoch':
      return { kind, primaryEpoch: num(args, 'epoch'), message: 'reported by the primary' };
    default:
      throw new Error(`unknown stream failure ${kind}`);
  }
}

function renderStatus(st: ReplicationStatus): string {
  const lines = [
    `role=${st.role} state=${st.state} primary=${st.primary?.host ?? '-'} epoch=${st.epoch} sync=${st.syncReplication} acks=${st.syncAcks}`,
    `committed=${st.committedTxId} precommitted=${st.precommittedTxId} primaryCommitted=${st.primaryCommittedTxId} lagTxs=${st.lagTxs} lagMs=${st.lagMs}`,
    `promotable=${st.promotable} failures=${st.consecutiveFailures} unsafeCanary=${st.unsafeCanary}`,
  ];
  if (st.lastConsistencyCheckAtMs !== undefined) lines.push(`lastConsistencyCheckAtMs=${st.lastConsistencyCheckAtMs}`);
  if (st.halt !== undefined) lines.push(`halt=${st.halt.kind} code=${st.halt.code} at=${st.halt.atMs}: ${st.halt.message}`);
  for (const r of st.replicas) {
    lines.push(`replica ${r.replicaId} epoch=${r.epoch} c=${r.committedTxId} p=${r.precommittedTxId} ${r.standing} lagTxs=${r.lagTxs} seenAgoMs=${r.lastSeenAgoMs}${r.divergence === undefined ? '' : ` (${r.divergence})`}`);
  }
  return lines.join('\n');
}
