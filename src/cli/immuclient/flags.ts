// immuclient's flag declarations: the shared connection flags plus immuclient's own globals
// (--database, --dir, --server-signing-pub-key, --revision-separator, --value-only) and the flags of
// individual commands. Environment variables are IMMUCLIENT_<FLAG>. Declarations only.
import { defaultStateDir } from '../../client/index.js';
import type { FlagSpec } from '../flags.js';
import { connectionFlagSpecs } from '../tool-common/global-flags.js';

export const immuclientGlobalFlags: readonly FlagSpec[] = [
  ...connectionFlagSpecs('immuclient'),
  { name: 'database', type: 'string', description: 'database to use for this command (default: the one selected at login/use, else defaultdb)' },
  { name: 'dir', type: 'string', defaultValue: defaultStateDir(), description: 'directory of the trusted-state files' },
  { name: 'server-signing-pub-key', type: 'string', description: 'PEM public key file: every server state must be signed by it' },
  { name: 'revision-separator', type: 'string', defaultValue: '@', description: 'separator of get key@revision (empty disables)' },
  { name: 'value-only', type: 'bool', defaultValue: 'false', description: 'get/safeget print only the value' },
  {
    name: 'read-preference',
    type: 'string',
    defaultValue: 'primary',
    description: 'with several addresses (-a host1:3322,host2:3322): where reads go: primary, replica (replicas first) or any',
  },
];

export const atTxFlag: FlagSpec = { name: 'at-tx', type: 'int', description: 'read the key as of this transaction' };
export const limitFlag: FlagSpec = { name: 'limit', type: 'int', description: 'maximum entries returned (0 = server default)' };
export const offsetFlag: FlagSpec = { name: 'offset', type: 'int', description: 'entries to skip' };
export const descFlag: FlagSpec = { name: 'desc', type: 'bool', description: 'newest / highest first' };

export const auditFlags: readonly FlagSpec[] = [
  { name: 'audit-interval', type: 'duration', defaultValue: '5m', description: 'time between audit rounds (e.g. 1s, 30s, 5m)' },
  { name: 'audit-databases', type: 'string', description: 'comma-separated databases to audit (default: every database the user can list)' },
  { name: 'audit-username', type: 'string', description: 'auditor user (default: --username, else the token file)' },
  { name: 'audit-password', type: 'string', description: 'auditor password (default: --password)' },
  { name: 'audit-monitoring-host', type: 'string', defaultValue: '0.0.0.0', description: 'bind address of the metrics endpoint' },
  { name: 'audit-monitoring-port', type: 'int', defaultValue: '9477', description: 'port of /metrics, /health, /version (0 picks a free port)' },
  { name: 'audit-exit-on-failure', type: 'bool', defaultValue: 'true', description: 'exit with code 3 on the first inconsistency (false: log the alert and keep auditing)' },
  { name: 'audit-rounds', type: 'int', defaultValue: '0', description: 'stop after this many rounds (0 = run until stopped)' },
];
