// Moved to src/proof/export-payload.ts (pure, and the client's backup reader needs it too; the client may
// not import replication). This re-export keeps replication/core's imports and tests unchanged.
export * from '../../src/proof/export-payload.js';
