// The tools' copy of the strong-password rule must agree with the server module's original.
import { describe, expect, it } from 'vitest';
import { strongPasswordProblem as serverRule } from '../../server/names.js';
import { strongPasswordProblem } from './strong-password.js';

describe('strongPasswordProblem (tool copy)', () => {
  it('agrees with src/server/names.ts on strong, weak and odd passwords', () => {
    const samples = ['Secret1!', 'secret1!', 'SECRET!!', 'Secret11', 'S1!', 'Sécret1!x', 'Secret 1!', `A1!${'x'.repeat(29)}`, `A1!${'x'.repeat(30)}`, 'Pässwört9€', ''];
    for (const p of samples) expect({ p, problem: strongPasswordProblem(p) }).toEqual({ p, problem: serverRule(p) });
  });
});
