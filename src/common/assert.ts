// Invariant assertions that stay on in production: a broken invariant crashes with a clear message
// instead of serving wrong data. Not for validating user input (that is ImmuError with a code).

export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) {
    throw new InvariantViolation(`invariant violated: ${message}`);
  }
}

export function unreachable(value: never, message = 'unreachable'): never {
  throw new InvariantViolation(`${message}: ${String(value)}`);
}
