// The seam through which the cluster fixture creates and reconfigures databases: `cliAdmin` runs the
// real `immuadmin` (`database create|update <db> --replication-* ...`) as a bounded child process, the
// way an operator would; `clientAdmin` calls CreateDatabaseV2/UpdateDatabaseV2 through the client
// library (used when the CLI is not built, and to tell a CLI bug from a server bug). Passwords go to
// the CLI through its environment variables, never argv. Nothing else in the harness knows how
// databases are administered.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { ReplicationSettings } from '../../src/client/index.js';
import { guardEnv, orphanGuardImport } from './child-registry.js';
import { cliTimeoutMs } from './limits.js';
import { adminUser, type NodeProcess } from './node-process.js';
import { immuadminBinPath } from './paths.js';

export interface DatabaseAdmin {
  readonly kind: 'cli' | 'client-library';
  createDatabase(node: NodeProcess, db: string, replication: ReplicationSettings): Promise<void>;
  updateDatabase(node: NodeProcess, db: string, replication: ReplicationSettings): Promise<void>;
}

export const clientAdmin: DatabaseAdmin = {
  kind: 'client-library',
  async createDatabase(node, db, replication) {
    const client = await node.client();
    try {
      await client.createDatabaseV2(db, { replication });
    } finally {
      client.close();
    }
  },
  async updateDatabase(node, db, replication) {
    const client = await node.client();
    try {
      await client.updateDatabase(db, { replication });
    } finally {
      client.close();
    }
  },
};

/** immuadmin flags for replication settings; the primary password goes in `env`. */
export function replicationFlags(r: ReplicationSettings): { readonly args: string[]; readonly env: Record<string, string> } {
  const args: string[] = [];
  const env: Record<string, string> = {};
  if (r.replica === true) {
    args.push('--replication-is-replica');
    if (r.primaryHost !== undefined) args.push('--replication-primary-host', r.primaryHost);
    if (r.primaryPort !== undefined) args.push('--replication-primary-port', String(r.primaryPort));
    if (r.primaryDatabase !== undefined) args.push('--replication-primary-database', r.primaryDatabase);
    if (r.primaryUsername !== undefined) args.push('--replication-primary-username', r.primaryUsername);
    if (r.primaryPassword !== undefined) env['IMMUADMIN_REPLICATION_PRIMARY_PASSWORD'] = r.primaryPassword;
    if (r.syncReplication === true) args.push('--replication-sync-enabled');
    if (r.allowTxDiscarding === true) args.push('--replication-allow-tx-discarding');
  } else {
    if (r.replica === false) args.push('--replication-is-replica=false');
    if (r.syncReplication === true) args.push('--replication-sync-enabled');
    if (r.syncAcks !== undefined && r.syncAcks > 0) args.push('--replication-sync-acks', String(r.syncAcks));
  }
  return { args, env };
}

export interface CliResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs immuadmin against `node` as the admin user; rejects with its stderr on a non-zero exit. */
export function runImmuadmin(node: NodeProcess, command: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<CliResult> {
  const args = [
    ...orphanGuardImport,
    immuadminBinPath(),
    '--immudb-address', node.host,
    '--immudb-port', String(node.port),
    '--username', adminUser,
    '--tokenfile', `${node.spec.nodeDir}/immuadmin.token`,
    ...command,
  ];
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { timeout: cliTimeoutMs, killSignal: 'SIGKILL', env: { ...process.env, ...env, ...guardEnv(), IMMUADMIN_PASSWORD: node.adminPassword } },
      (err, stdout, stderr) => {
        if (err !== null) reject(new Error(`immuadmin ${command.join(' ')} failed on ${node.name}: ${stderr.trim() || err.message}`));
        else resolve({ stdout, stderr });
      },
    );
  });
}

export const cliAdmin: DatabaseAdmin = {
  kind: 'cli',
  async createDatabase(node, db, replication) {
    const { args, env } = replicationFlags(replication);
    await runImmuadmin(node, ['database', 'create', db, ...args], env);
  },
  async updateDatabase(node, db, replication) {
    const { args, env } = replicationFlags(replication);
    await runImmuadmin(node, ['database', 'update', db, ...args], env);
  },
};

/** The CLI when it is built, else the client library. */
export function defaultAdmin(): DatabaseAdmin {
  return existsSync(immuadminBinPath()) ? cliAdmin : clientAdmin;
}
