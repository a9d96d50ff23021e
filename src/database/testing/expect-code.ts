// TEST SUPPORT ONLY: asserts that a promise rejects with an ImmuError of one code (never a message match).
import { expect } from 'vitest';
import { ImmuError, type ErrorCode } from '../../common/errors.js';

export async function expectCode(p: Promise<unknown> | (() => Promise<unknown>), code: ErrorCode): Promise<void> {
  let caught: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected ImmuError ${code}`).toBeInstanceOf(ImmuError);
  expect((caught as ImmuError).code).toBe(code);
}
