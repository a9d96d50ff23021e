import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IDENTIFIER_FILE, newXid, readOrCreateIdentifier, xidFromString, xidToString } from './identifier.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'immudb-ident-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('xid encoding', () => {
  it('matches the xid README example', () => {
    // time 0x4d88e15b, machine 60f486, pid e428, counter 412dc9
    const bytes = Buffer.from('4d88e15b60f486e428412dc9', 'hex');
    expect(xidToString(bytes)).toBe('9m4e2mr0ui3e8a215n4g');
    expect(xidFromString('9m4e2mr0ui3e8a215n4g')).toEqual(bytes);
  });

  it('round-trips random ids; 20 lowercase base32hex chars', () => {
    for (let i = 0; i < 200; i += 1) {
      const b = newXid();
      const s = xidToString(b);
      expect(s).toMatch(/^[0-9a-v]{20}$/);
      expect(xidFromString(s)).toEqual(b);
    }
  });

  it('puts the time first', () => {
    const b = newXid({ nowSeconds: () => 0x01020304 });
    expect(b.subarray(0, 4)).toEqual(Buffer.from('01020304', 'hex'));
  });

  it.each(['', '9m4e2mr0ui3e8a215n4', '9M4E2MR0UI3E8A215N4G', '9m4e2mr0ui3e8a215n4w', '9m4e2mr0ui3e8a215n4h'])('refuses %j', (s) => {
    expect(() => xidFromString(s)).toThrow();
  });
});

describe('immudb.identifier', () => {
  it('creates once (12 raw bytes), then reads the same id', async () => {
    const sub = path.join(dir, 'data');
    const first = await readOrCreateIdentifier(sub);
    const raw = await fs.readFile(path.join(sub, IDENTIFIER_FILE));
    expect(raw).toEqual(first.bytes);
    expect(raw).toHaveLength(12);
    expect(first.text).toBe(xidToString(raw));
    const second = await readOrCreateIdentifier(sub);
    expect(second).toEqual(first);
    expect((await fs.readdir(sub)).sort()).toEqual([IDENTIFIER_FILE]); // no tmp left behind
  });

  it('adopts the old location under defaultdb/', async () => {
    const old = Buffer.from('4d88e15b60f486e428412dc9', 'hex');
    await fs.mkdir(path.join(dir, 'defaultdb'));
    await fs.writeFile(path.join(dir, 'defaultdb', IDENTIFIER_FILE), old);
    const id = await readOrCreateIdentifier(dir);
    expect(id.text).toBe('9m4e2mr0ui3e8a215n4g');
    expect(await fs.readFile(path.join(dir, IDENTIFIER_FILE))).toEqual(old);
  });

  it('a file of the wrong size is CORRUPTED_DATA and is left alone', async () => {
    await fs.writeFile(path.join(dir, IDENTIFIER_FILE), Buffer.from('short'));
    await expect(readOrCreateIdentifier(dir)).rejects.toMatchObject({ code: 'CORRUPTED_DATA' });
    expect((await fs.readFile(path.join(dir, IDENTIFIER_FILE))).toString()).toBe('short');
  });
});
