// The one deliberately unsafe switch: a sync primary that commits (and answers the client) before any
// replica has precommitted the tx. It exists only so the cluster tests can prove their lost-write checker
// fails when it should (issue 5, scenario 8). It cannot be enabled by accident: the value can only be made
// by the factory below, which demands a consent sentence; no setting, flag or proto field maps to it, and
// a primary running with it logs `replication.unsafe_canary_enabled` and shows it in its status.
import { assert } from '../../src/common/assert.js';

export const UNSAFE_CANARY_CONSENT = 'I accept that acknowledged writes can be lost' as const;

declare const canaryBrand: unique symbol;

export interface UnsafeAckBeforeReplicaPrecommit {
  readonly kind: 'unsafe-ack-before-replica-precommit';
  /** A type-only brand: object literals cannot satisfy this type; use the factory. */
  readonly [canaryBrand]: true;
}

/** For cluster-test canaries only. Never call this from configuration parsing. */
export function unsafeAckBeforeReplicaPrecommitForCanaryTestsOnly(consent: typeof UNSAFE_CANARY_CONSENT): UnsafeAckBeforeReplicaPrecommit {
  assert(consent === UNSAFE_CANARY_CONSENT, 'the unsafe canary needs its consent sentence');
  return Object.freeze({ kind: 'unsafe-ack-before-replica-precommit' }) as unknown as UnsafeAckBeforeReplicaPrecommit;
}
