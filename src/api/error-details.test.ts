// The details trailer codec: plain JSON only, secrets dropped, ASCII on the wire, bounded both ways, and
// malformed input from a server read as no details (never a throw).
import { describe, expect, it } from 'vitest';
import { decodeErrorDetails, encodeErrorDetails, errorDetailsBytesMax } from './error-details.js';

describe('error details trailer', () => {
  it('round-trips plain details and drops what is not plain or looks secret', () => {
    const text = encodeErrorDetails({ acks: 1, acksRequired: 2, ackedBy: ['r1'], ok: true, none: null, nan: Number.NaN, err: new Error('x'), buf: Buffer.from('x'), primaryPassword: 'p', nested: { token: 't', field: 'f' } });
    expect(text).toBeDefined();
    expect(decodeErrorDetails(text ?? '')).toEqual({ acks: 1, acksRequired: 2, ackedBy: ['r1'], ok: true, none: null, nested: { field: 'f' } });
  });

  it('is printable ASCII, and nothing is sent for empty or oversized details', () => {
    const text = encodeErrorDetails({ field: 'clé ✓' }) ?? '';
    expect(/^[\x20-\x7e]*$/.test(text)).toBe(true);
    expect(decodeErrorDetails(text)).toEqual({ field: 'clé ✓' });
    expect(encodeErrorDetails(undefined)).toBeUndefined();
    expect(encodeErrorDetails({ err: new Error('only this') })).toBeUndefined();
    expect(encodeErrorDetails({ big: 'x'.repeat(errorDetailsBytesMax) })).toBeUndefined();
  });

  it('reads malformed or oversized input as no details', () => {
    for (const bad of ['', 'not json', '[1,2]', '"s"', '42', 'null', `{"a":"${'x'.repeat(errorDetailsBytesMax)}"}`]) expect(decodeErrorDetails(bad), bad).toBeUndefined();
  });
});
