// Offline verification of a backup's transactions, one record at a time, without any server: parse
// the exported bytes as untrusted input, recompute Eh from the entries, check the tx id, that prevAlh
// is the previous record's Alh (or the given anchor), that BlRoot is the root of an ahtree of the Alhs
// replayed so far, and that the recomputed Alh is the one the record carries. BlRoot can only be
// checked when the chain starts at tx 1 (an ahtree needs every earlier Alh); a chain that starts later
// is checked for BlRoot by the server that replays it. Pure: no I/O, no clock.
import { ZERO32 } from '../../common/bytes.js';
import { EMPTY_HASH, MemoryAhtree, txAlh, type TxHeader } from '../../proof/index.js';
import { parseExportTx, recomputeEh } from '../../proof/export-payload.js';

export type ChainFailure = 'malformed' | 'tx-id' | 'eh' | 'prev-alh' | 'bl-root' | 'alh';

export type ChainStep =
  | { readonly kind: 'ok'; readonly header: TxHeader; readonly alh: Buffer }
  | { readonly kind: 'failed'; readonly txId: number; readonly failure: ChainFailure; readonly reason: string };

export interface ChainStart {
  /** Id of the first tx expected; 1 when absent. */
  readonly firstTxId?: number;
  /** The Alh the first tx must chain onto; EMPTY_HASH for tx 1, unchecked (taken from the tx) otherwise when absent. */
  readonly prevAlh?: Buffer;
}

export interface ChainRecord {
  readonly txId: number;
  /** The Alh a stored record carries; absent when the caller is about to store the computed one. */
  readonly alh?: Buffer;
  readonly payload: Buffer;
}

export class ChainVerifier {
  #nextTxId: number;
  #prevAlh: Buffer | undefined;
  /** Present only when the chain starts at tx 1. */
  readonly #tree: MemoryAhtree | undefined;
  #failed = false;

  constructor(start: ChainStart = {}) {
    this.#nextTxId = start.firstTxId ?? 1;
    this.#prevAlh = start.prevAlh ?? (this.#nextTxId === 1 ? EMPTY_HASH : undefined);
    this.#tree = this.#nextTxId === 1 ? new MemoryAhtree() : undefined;
  }

  /** The tx the next record must hold. */
  get nextTxId(): number {
    return this.#nextTxId;
  }

  /** The last verified Alh (the anchor before the first record). */
  get lastAlh(): Buffer | undefined {
    return this.#prevAlh;
  }

  /** True when BlRoot is being checked (the chain started at tx 1). */
  get checksBlRoot(): boolean {
    return this.#tree !== undefined;
  }

  /** Verifies one record and, when it passes, advances. After a failure every later step fails too. */
  check(record: ChainRecord): ChainStep {
    const txId = this.#nextTxId;
    const fail = (failure: ChainFailure, reason: string): ChainStep => {
      this.#failed = true;
      return { kind: 'failed', txId, failure, reason };
    };
    if (this.#failed) return fail('tx-id', 'an earlier transaction failed verification');
    if (record.txId !== txId) return fail('tx-id', `record holds tx ${record.txId}, expected tx ${txId}`);
    const parsed = parseExportTx(record.payload);
    if (parsed.kind === 'malformed') return fail('malformed', `exported tx does not parse: ${parsed.message}`);
    const { header } = parsed.tx;
    if (header.id !== txId) return fail('tx-id', `exported header is tx ${header.id}, expected tx ${txId}`);
    if (!recomputeEh(parsed.tx).equals(header.eh)) return fail('eh', 'the entries hash (Eh) recomputed from the entries differs from the header');
    if (this.#prevAlh !== undefined && !header.prevAlh.equals(this.#prevAlh)) return fail('prev-alh', `prevAlh is not the Alh of tx ${txId - 1}`);
    const blFailure = this.#checkBlRoot(header);
    if (blFailure !== undefined) return fail('bl-root', blFailure);
    let alh: Buffer;
    try {
      alh = txAlh(header);
    } catch (err) {
      return fail('malformed', `header does not hash: ${(err as Error).message}`);
    }
    if (record.alh !== undefined && !alh.equals(record.alh)) return fail('alh', 'the Alh recomputed from the header differs from the one the record carries');
    this.#tree?.append(alh);
    this.#prevAlh = alh;
    this.#nextTxId = txId + 1;
    return { kind: 'ok', header, alh };
  }

  #checkBlRoot(h: TxHeader): string | undefined {
    const tree = this.#tree;
    if (tree === undefined) return undefined;
    if (h.blTxId >= h.id || h.blTxId > tree.size) return `blTxId ${h.blTxId} is beyond the ${tree.size} transactions before it`;
    const root = h.blTxId === 0 ? ZERO32 : tree.root(h.blTxId);
    return root.equals(h.blRoot) ? undefined : `blRoot is not the ahtree root at tx ${h.blTxId}`;
  }
}
