// Self-test of disk faults: a flipped byte changes exactly the byte the record names (on a synthetic
// file and on a real stopped node's tx log), a truncated tail removes exactly the bytes it says, and a
// running node's files are refused.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataFile, flipByte, flipByteInFile, truncateTail, truncateTailOfFile } from '../harness/disk-faults.js';
import { NodeProcess } from '../harness/node-process.js';
import { makeRunDir, type RunDir } from '../harness/paths.js';

function differingOffsets(a: Buffer, b: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) out.push(i);
  return out;
}

describe('disk faults', () => {
  let run: RunDir;
  let node: NodeProcess;

  beforeAll(async () => {
    run = makeRunDir('self-disk-faults');
    node = new NodeProcess({ name: 'victim', host: '127.0.0.3', nodeDir: join(run.path, 'victim') });
    await node.start();
    const c = await node.client('defaultdb');
    for (let i = 0; i < 5; i++) await c.set(Buffer.from(`k${i}`), Buffer.from(`value-${i}`));
    c.close();
  });

  afterAll(async () => {
    await node.stop();
    run.remove();
  });

  it('flipByteInFile changes exactly one byte, the one recorded', () => {
    const file = join(run.path, 'synthetic.bin');
    const original = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    writeFileSync(file, original);
    const fault = flipByteInFile(file, 100, 0x01);
    const after = readFileSync(file);
    expect(differingOffsets(original, after)).toEqual([100]);
    expect(fault).toEqual({ kind: 'flip-byte', file, offset: 100, before: 100, after: 101 });
    const fromEnd = flipByteInFile(file, -1);
    expect(fromEnd.offset).toBe(255);
    expect(readFileSync(file)[255]).toBe(0x00);
  });

  it('truncateTailOfFile removes exactly the tail it reports', () => {
    const file = join(run.path, 'tail.bin');
    writeFileSync(file, Buffer.from('0123456789'));
    const fault = truncateTailOfFile(file, 3);
    expect(readFileSync(file).toString()).toBe('0123456');
    expect(fault).toEqual({ kind: 'truncate-tail', file, sizeBefore: 10, sizeAfter: 7, removedHexPrefix: Buffer.from('789').toString('hex') });
  });

  it('refuses to touch a running node', () => {
    expect(() => flipByte(node, 'defaultdb', 'tx', 0)).toThrow(/running/);
  });

  it("changes exactly the recorded bytes of a stopped node's data files, by kind", async () => {
    await node.stop();
    for (const kind of ['tx', 'commit', 'val', 'ahtData', 'ahtTree', 'ahtCommit'] as const) {
      const file = dataFile(node.dataDir, 'defaultdb', kind);
      const copy = `${file}.orig`;
      copyFileSync(file, copy);
      const before = readFileSync(file);
      const fault = flipByte(node, 'defaultdb', kind, -1);
      const after = readFileSync(file);
      expect(fault.file).toBe(file);
      expect(differingOffsets(before, after)).toEqual([before.length - 1]);
      copyFileSync(copy, file); // restore for the next kind's check
    }
    const tx = dataFile(node.dataDir, 'defaultdb', 'tx');
    const before = readFileSync(tx);
    const cut = truncateTail(node, 'defaultdb', 'tx', 7);
    expect(cut.sizeAfter).toBe(before.length - 7);
    expect(readFileSync(tx).equals(before.subarray(0, before.length - 7))).toBe(true);
  });
});
