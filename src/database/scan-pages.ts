// Walks an index range page by page, so filters applied above the index (deleted, expired, score range)
// never shorten a result that has more matching keys behind it. The visitor returns false to stop.
import { scanResultsMax } from '../common/limits.js';
import type { IndexedValue, ScanOptions } from '../store/types.js';
import type { DbContext } from './context.js';

export const scanPageSize = scanResultsMax;

export async function scanIndexPages(
  ctx: DbContext,
  opts: Omit<ScanOptions, 'limit' | 'sinceTx'>,
  visit: (v: IndexedValue) => Promise<boolean>,
): Promise<void> {
  let page: ScanOptions = { ...opts, limit: scanPageSize };
  for (;;) {
    const values = await ctx.store.index.scan(page);
    for (const v of values) {
      if (!(await visit(v))) return;
    }
    const last = values.at(-1);
    if (last === undefined || values.length < scanPageSize) return;
    page = { ...page, seekKey: last.key, inclusiveSeek: false };
  }
}
