// Verification of received txs with real hashing: honest txs pass; each kind of tampering is classified.
import { describe, expect, it } from 'vitest';
import { EMPTY_HASH, sha256 } from '../../src/proof/index.js';
import { checkExportedTx, parseExportTx } from './export-payload.js';
import { encodeExport, forgedPayload, TestHistory } from './testing/history.js';

const h = new TestHistory('p').append(5, 'p');

describe('checkExportedTx', () => {
  it('accepts every tx of an honest history and computes its Alh', () => {
    for (let id = 1; id <= 5; id++) {
      const c = checkExportedTx(h.payload(id), { txId: id, prevAlh: h.alhAt(id - 1) });
      expect(c.kind).toBe('ok');
      if (c.kind === 'ok') expect(c.alh.equals(h.alhAt(id))).toBe(true);
    }
    expect(h.alhAt(0).equals(EMPTY_HASH)).toBe(true);
  });

  it('classifies tampering', () => {
    const expect3 = { txId: 3, prevAlh: h.alhAt(2) };
    const failure = (payload: Buffer, e = expect3): string => {
      const c = checkExportedTx(payload, e);
      return c.kind === 'ok' ? 'ok' : c.failure;
    };
    expect(failure(forgedPayload(h.tx(3), 'value'))).toBe('eh-mismatch');
    expect(failure(forgedPayload(h.tx(3), 'truncate'))).toBe('malformed');
    expect(failure(h.payload(4))).toBe('unexpected-tx-id');
    expect(failure(h.payload(2))).toBe('unexpected-tx-id');
    expect(failure(h.payload(3), { txId: 3, prevAlh: h.alhAt(1) })).toBe('prev-alh-mismatch');
    // Consistent header rewrites pass local checks; only the Alh differs (the attestation catches it).
    for (const f of ['ts', 'eh'] as const) {
      const c = checkExportedTx(forgedPayload(h.tx(3), f), expect3);
      expect(c.kind).toBe('ok');
      if (c.kind === 'ok') expect(c.alh.equals(h.alhAt(3))).toBe(false);
    }
  });

  it('parses exports without the trailer and rejects leftovers and bad flags', () => {
    const full = h.payload(1);
    expect(parseExportTx(full.subarray(0, full.length - 3)).kind).toBe('ok');
    expect(parseExportTx(Buffer.concat([full, Buffer.from([0])])).kind).toBe('malformed');
    const badFlag = Buffer.from(full);
    badFlag[badFlag.length - 1] = 2;
    expect(parseExportTx(badFlag).kind).toBe('malformed');
    expect(parseExportTx(Buffer.alloc(0)).kind).toBe('malformed');
  });

  it('verifies digest-only (truncated value) exports against the same Eh', () => {
    const tx = h.tx(2);
    const digestOnly = encodeExport(
      tx.header,
      tx.entries.map((e) => ({ key: e.key, value: sha256(e.value) })),
    );
    digestOnly[digestOnly.length - 1] = 1;
    const c = checkExportedTx(digestOnly, { txId: 2, prevAlh: h.alhAt(1) });
    expect(c.kind).toBe('ok');
  });
});

