// What every database module receives: the store seam, the clock for expiry and the logger. One object
// so helpers stay plain functions (testable alone) instead of methods of one large class.
import type { Logger } from '../common/log.js';
import type { DatabaseStore } from './store-api.js';

export interface DbContext {
  readonly name: string;
  readonly store: DatabaseStore;
  readonly logger: Logger;
  /** Unix seconds; decides expiry (expiresAt <= now is expired). */
  readonly nowSeconds: () => number;
}
