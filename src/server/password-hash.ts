// Password hashing behind a small interface, so rules and tests need not pay bcrypt's cost. The real
// implementation is the native `bcrypt` package (see docs/dependencies.md): its hash and compare run
// on the libuv thread pool, so a login never blocks the event loop (bcryptjs, measured here, held the
// loop for ~280 ms per four concurrent compares). Hashes are $2b$ at cost 10 and immudb's Go $2a$
// hashes verify unchanged. Passwords over 72 bytes are refused rather than silently truncated.
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { bcryptCost, passwordBytesMax } from './limits.js';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** False for a wrong password or an unusable hash; never throws for bad input. */
  verify(password: string, hash: string): Promise<boolean>;
}

interface BcryptApi {
  hash(data: string, saltOrRounds: number): Promise<string>;
  compare(data: string, encrypted: string): Promise<boolean>;
}

const bcrypt = createRequire(import.meta.url)('bcrypt') as BcryptApi;

export class BcryptPasswordHasher implements PasswordHasher {
  readonly #cost: number;

  constructor(cost: number = bcryptCost) {
    this.#cost = cost;
  }

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.#cost);
  }

  async verify(password: string, hash: string): Promise<boolean> {
    if (Buffer.byteLength(password, 'utf8') > passwordBytesMax) {
      // Still spend the compare so the time does not tell long passwords apart.
      await bcrypt.compare('', hash).catch(() => false);
      return false;
    }
    return bcrypt.compare(password, hash).catch(() => false);
  }
}

/**
 * A hash of a random password at the same cost as real ones: unknown users are compared against it
 * so that "no such user" costs the same time as "wrong password".
 */
export function makeDummyHash(hasher: PasswordHasher): Promise<string> {
  return hasher.hash(randomBytes(18).toString('base64'));
}
