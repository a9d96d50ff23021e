// References: a plain key whose value names another plain key (optionally bound to the version written
// in tx atTx). Builds the store entry (core spec 1.7) and checks the target: it must exist (and be live)
// and must not itself be a reference, because reads resolve only one level.
import { ImmuError, isImmuError } from '../common/errors.js';
import type { EntryInput } from '../store/types.js';
import type { DbContext } from './context.js';
import { encodeKey, encodeReferenceValue } from '../proof/kv-encoding.js';
import { readDecoded, versionAtTx } from './entries.js';
import { latestVersion } from './index-reads.js';
import { isExpired, nonNegativeInt, requireKey } from './validation.js';

/** What a planned tx already writes to a plain key: lets execAll reference keys it sets itself. */
export type SameTxWrites = ReadonlyMap<string, 'kv' | 'ref'>;

export interface NormalisedRef {
  readonly key: Buffer;
  readonly referencedKey: Buffer;
  readonly atTx: number;
}

/** boundRef and atTx must agree (immudb: bound needs atTx > 0, unbound needs atTx = 0). */
export function checkBinding(atTx: number, boundRef: boolean | undefined): void {
  if ((boundRef === true) !== atTx > 0) {
    throw new ImmuError('ILLEGAL_ARGUMENTS', `boundRef=${String(boundRef === true)} does not agree with atTx=${atTx}`);
  }
}

export function normaliseRef(req: { key: Buffer; referencedKey: Buffer; atTx?: number; boundRef?: boolean }): NormalisedRef {
  const key = requireKey(req.key, 'reference key');
  const referencedKey = requireKey(req.referencedKey, 'referenced key');
  const atTx = nonNegativeInt(req.atTx, 'atTx');
  checkBinding(atTx, req.boundRef);
  if (key.equals(referencedKey)) throw new ImmuError('REFERENCE_INVALID', 'a key cannot reference itself');
  return { key, referencedKey, atTx };
}

export function referenceEntry(ref: NormalisedRef): EntryInput {
  return { key: encodeKey(ref.key), value: encodeReferenceValue(ref.referencedKey, ref.atTx) };
}

function invalid(ref: NormalisedRef, why: string): ImmuError {
  return new ImmuError('REFERENCE_INVALID', `reference to ${ref.referencedKey.toString('hex')}: ${why}`);
}

/** The target must be live and plain, in the index (latest) or in tx atTx; or a plain key set in the same tx. */
export async function checkReferenceTarget(ctx: DbContext, ref: NormalisedRef, sameTx: SameTxWrites): Promise<void> {
  const targetKey = encodeKey(ref.referencedKey);
  const inTx = sameTx.get(targetKey.toString('hex'));
  if (inTx === 'ref') throw invalid(ref, 'the target is a reference set in the same transaction');
  if (inTx === 'kv' && ref.atTx === 0) return;
  let target;
  try {
    target = ref.atTx > 0 ? await versionAtTx(ctx, targetKey, ref.atTx) : await latestVersion(ctx, targetKey);
  } catch (err) {
    if (isImmuError(err, 'KEY_NOT_FOUND')) throw invalid(ref, err.message);
    throw err;
  }
  if (target === undefined) throw invalid(ref, 'the target does not exist');
  if (target.metadata?.deleted === true) throw invalid(ref, 'the target is deleted');
  if (isExpired(target.metadata, ctx.nowSeconds())) throw invalid(ref, 'the target has expired');
  if ((await readDecoded(ctx, target)).kind === 'reference') throw invalid(ref, 'the target is itself a reference');
}
