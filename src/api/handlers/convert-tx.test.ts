// Round trips of the tx and proof conversions through the real wire codec (TS -> proto -> bytes ->
// proto -> TS), plus the wire rules clients depend on: TxHeader.metadata always present, TxEntry field 4
// never sent for version-0 txs, DualProof.linearAdvanceProof always present, 64-bit values beyond
// 2^53 - 1 refused with INVALID_ARGUMENT, bytes defaults decoded as empty Buffers.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ImmuError } from '../../common/errors.js';
import type { DatabaseState, Tx, TxEntry, VerifiableEntry, VerifiableTx } from '../../database/types.js';
import type { DualProof } from '../../proof/dual-proof.js';
import type { TxHeader } from '../../proof/tx-header.js';
import type {
  DualProofMsg,
  ImmutableStateMsg,
  InclusionProofMsg,
  TxEntryMsg,
  TxHeaderMsg,
  TxMsg,
  VerifiableEntryMsg,
  VerifiableTxMsg,
} from '../proto-types.js';
import {
  dualProofFromProto,
  dualProofToProto,
  immutableStateFromProto,
  immutableStateToProto,
  inclusionProofFromProto,
  inclusionProofToProto,
  txEntryFromProto,
  txEntryToProto,
  txFromProto,
  txHeaderFromProto,
  txHeaderToProto,
  txToProto,
  verifiableEntryFromProto,
  verifiableEntryToProto,
  verifiableTxFromProto,
  verifiableTxToProto,
} from './convert-tx.js';
import { encoded, fieldNumbers, long, throughWire } from './testing/wire.js';

const h32 = (): Buffer => randomBytes(32);
const beyondSafe = long(9007199254740993n);

function header(overrides: Partial<TxHeader> = {}): TxHeader {
  return { id: 7, ts: 1_700_000_000, blTxId: 6, blRoot: h32(), prevAlh: h32(), version: 1, metadata: undefined, nEntries: 2, eh: h32(), ...overrides };
}

function expectInvalid(f: () => unknown): void {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ImmuError);
    expect((err as ImmuError).code).toBe('INVALID_ARGUMENT');
    return;
  }
  throw new Error('expected INVALID_ARGUMENT');
}

const entryV1: TxEntry = { key: Buffer.from('\x00k'), hValue: h32(), vLen: 3, metadata: { expiresAt: 1_800_000_000, nonIndexable: true } };
const entryPlain: TxEntry = { key: Buffer.from('\x00p'), hValue: h32(), vLen: 2, metadata: undefined };

function dualProof(withLap: boolean): DualProof {
  return {
    sourceTxHeader: header({ id: 3, blTxId: 2 }),
    targetTxHeader: header({ id: 9, blTxId: 8, metadata: { extra: Buffer.from('x') } }),
    inclusionProof: [h32(), h32()],
    consistencyProof: [h32()],
    targetBlTxAlh: h32(),
    lastInclusionProof: [h32(), h32(), h32()],
    linearProof: { sourceTxId: 8, targetTxId: 9, terms: [h32(), h32()] },
    linearAdvanceProof: withLap ? { linearProofTerms: [h32(), h32(), h32()], inclusionProofs: [[h32()], [h32(), h32()]] } : undefined,
  };
}

describe('TxHeader', () => {
  it('round-trips versions 0 and 1, with and without tx metadata', () => {
    const cases = [
      header({ version: 0 }),
      header(),
      header({ metadata: { extra: Buffer.from('hello') } }),
      header({ metadata: { truncatedUptoTx: 5, extra: Buffer.from('e') } }),
      header({ ts: -5 }),
    ];
    for (const h of cases) expect(txHeaderFromProto(throughWire<TxHeaderMsg>('immudb.schema.TxHeader', txHeaderToProto(h)))).toEqual(h);
  });

  it('always sends TxMetadata (field 9), empty when there is none, as immudb does', () => {
    const bytes = encoded('immudb.schema.TxHeader', txHeaderToProto(header({ version: 0 })));
    expect(fieldNumbers(bytes)).toContain(9);
    const decoded = throughWire<TxHeaderMsg>('immudb.schema.TxHeader', txHeaderToProto(header({ version: 0 })));
    expect(decoded.metadata).not.toBeNull();
  });

  it('refuses 64-bit values beyond 2^53 - 1, unknown versions and a missing header', () => {
    const init = { ...txHeaderToProto(header()), id: beyondSafe };
    expectInvalid(() => txHeaderFromProto(throughWire<TxHeaderMsg>('immudb.schema.TxHeader', init)));
    const badTs = { ...txHeaderToProto(header()), ts: long(-9007199254740993n, false) };
    expectInvalid(() => txHeaderFromProto(throughWire<TxHeaderMsg>('immudb.schema.TxHeader', badTs)));
    expectInvalid(() => txHeaderFromProto(throughWire<TxHeaderMsg>('immudb.schema.TxHeader', { ...txHeaderToProto(header()), version: 2 })));
    expectInvalid(() => txHeaderFromProto(null));
  });

  it('refuses a defined truncatedUptoTx of 0 (immudb treats 0 as absent, so the Alh would differ)', () => {
    expect(() => txHeaderToProto(header({ metadata: { truncatedUptoTx: 0 } }))).toThrow(/truncatedUptoTx/);
  });
});

describe('TxEntry and Tx', () => {
  it('never sends entry metadata (field 4) in a version-0 tx; sends it in version 1', () => {
    expect(fieldNumbers(encoded('immudb.schema.TxEntry', txEntryToProto(entryV1, 0)))).not.toContain(4);
    expect(fieldNumbers(encoded('immudb.schema.TxEntry', txEntryToProto(entryV1, 1)))).toContain(4);
    expect(fieldNumbers(encoded('immudb.schema.TxEntry', txEntryToProto(entryPlain, 1)))).not.toContain(4);
  });

  it('round-trips entries, with a raw value when present', () => {
    for (const e of [entryV1, entryPlain, { ...entryPlain, value: Buffer.from('\x00vv') }]) {
      expect(txEntryFromProto(throughWire<TxEntryMsg>('immudb.schema.TxEntry', txEntryToProto(e, 1)))).toEqual(e);
    }
  });

  it('round-trips a Tx with raw entries, kv entries and sorted-set entries', () => {
    const tx: Tx = {
      header: header(),
      entries: [entryV1, entryPlain],
      kvEntries: [{ tx: 7, key: Buffer.from('k'), value: Buffer.from('v'), metadata: undefined, expired: false, revision: 2 }],
      zEntries: [{ set: Buffer.from('s'), key: Buffer.from('k'), entry: undefined, score: 1.25, atTx: 0 }],
    };
    expect(txFromProto(throughWire<TxMsg>('immudb.schema.Tx', txToProto(tx)))).toEqual(tx);
  });

  it('a version-0 Tx loses no information: its entries carry no metadata', () => {
    const tx: Tx = { header: header({ version: 0 }), entries: [entryPlain], kvEntries: [], zEntries: [] };
    expect(txFromProto(throughWire<TxMsg>('immudb.schema.Tx', txToProto(tx)))).toEqual(tx);
  });
});

describe('proofs', () => {
  it('InclusionProof round-trips; negative leaf is refused', () => {
    const p = { leaf: 3, width: 5, terms: [h32(), h32(), h32()] };
    expect(inclusionProofFromProto(throughWire<InclusionProofMsg>('immudb.schema.InclusionProof', inclusionProofToProto(p)))).toEqual(p);
    expectInvalid(() => inclusionProofFromProto(throughWire<InclusionProofMsg>('immudb.schema.InclusionProof', { leaf: -1, width: 2 })));
  });

  it('DualProof round-trips with and without a LinearAdvanceProof', () => {
    for (const withLap of [true, false]) {
      const p = dualProof(withLap);
      expect(dualProofFromProto(throughWire<DualProofMsg>('immudb.schema.DualProof', dualProofToProto(p)))).toEqual(p);
    }
  });

  it('always sends field 8 (LinearAdvanceProof), empty when there is nothing to prove', () => {
    const bytes = encoded('immudb.schema.DualProof', dualProofToProto(dualProof(false)));
    expect(fieldNumbers(bytes)).toContain(8);
    expect(fieldNumbers(bytes)).toContain(7);
  });

  it('a DualProof without a linear proof or headers is refused', () => {
    const init = { ...dualProofToProto(dualProof(false)), linearProof: null };
    expectInvalid(() => dualProofFromProto(throughWire<DualProofMsg>('immudb.schema.DualProof', init)));
    const noHeader = { ...dualProofToProto(dualProof(false)), sourceTxHeader: null };
    expectInvalid(() => dualProofFromProto(throughWire<DualProofMsg>('immudb.schema.DualProof', noHeader)));
  });
});

describe('signed replies', () => {
  const sig = { publicKey: randomBytes(65), signature: randomBytes(70) };
  const vtx: VerifiableTx = { tx: { header: header(), entries: [entryPlain], kvEntries: [], zEntries: [] }, dualProof: dualProof(true) };

  it('VerifiableTx round-trips, signed and unsigned', () => {
    for (const s of [sig, undefined]) {
      const back = verifiableTxFromProto(throughWire<VerifiableTxMsg>('immudb.schema.VerifiableTx', verifiableTxToProto(vtx, s)));
      expect(back).toEqual({ verifiableTx: vtx, signature: s });
    }
  });

  it('VerifiableEntry round-trips, including a reference', () => {
    const ve: VerifiableEntry = {
      entry: {
        tx: 4,
        key: Buffer.from('target'),
        value: Buffer.from('v'),
        referencedBy: { tx: 7, key: Buffer.from('ref'), atTx: 0, metadata: undefined, revision: 1 },
        metadata: undefined,
        expired: false,
        revision: 3,
      },
      verifiableTx: vtx,
      inclusionProof: { leaf: 0, width: 1, terms: [] },
    };
    const back = verifiableEntryFromProto(throughWire<VerifiableEntryMsg>('immudb.schema.VerifiableEntry', verifiableEntryToProto(ve, sig)));
    expect(back).toEqual({ verifiableEntry: ve, signature: sig });
  });

  it('ImmutableState round-trips, and its txId must be a safe integer', () => {
    const s: DatabaseState = { db: 'defaultdb', txId: 12, txHash: h32(), precommittedTxId: 13, precommittedTxHash: h32() };
    expect(immutableStateFromProto(throughWire<ImmutableStateMsg>('immudb.schema.ImmutableState', immutableStateToProto(s, sig)))).toEqual({ state: s, signature: sig });
    const huge = { ...immutableStateToProto(s, undefined), txId: beyondSafe };
    expectInvalid(() => immutableStateFromProto(throughWire<ImmutableStateMsg>('immudb.schema.ImmutableState', huge)));
  });

  it('bytes fields absent on the wire decode as empty Buffers', () => {
    const m = throughWire<ImmutableStateMsg>('immudb.schema.ImmutableState', {});
    expect(Buffer.isBuffer(m.txHash)).toBe(true);
    expect(m.txHash.length).toBe(0);
    expect(immutableStateFromProto(m).state.txHash.length).toBe(0);
  });
});
