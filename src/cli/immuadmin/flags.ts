// immuadmin's global flags (the shared connection flags) and the flags of its user and stats commands.
// Environment variables are IMMUADMIN_<FLAG>. Declarations only; database flags are in database-flags.ts.
import type { FlagSpec } from '../flags.js';
import { connectionFlagSpecs } from '../tool-common/global-flags.js';

export const immuadminGlobalFlags: readonly FlagSpec[] = connectionFlagSpecs('immuadmin');

export const newPasswordFlag: FlagSpec = { name: 'new-password', type: 'string', description: 'the new password (prompted twice when stdin is a terminal)' };
export const oldPasswordFlag: FlagSpec = { name: 'old-password', type: 'string', description: 'the current password (prompted when stdin is a terminal)' };
export const weakPasswordFlag: FlagSpec = {
  name: 'allow-weak-password',
  type: 'bool',
  description: 'accept a password that fails the strong-password rule without asking',
};

export const statsFlags: readonly FlagSpec[] = [
  { name: 'metrics-url', type: 'string', description: 'metrics endpoint (default http://<immudb-address>:9497/metrics)' },
  { name: 'raw', short: 'r', type: 'bool', description: 'print the raw Prometheus text' },
];

export const deleteFlags: readonly FlagSpec[] = [
  { name: 'yes-i-know-what-i-am-doing', type: 'bool', description: 'required: confirms the database is deleted' },
];
