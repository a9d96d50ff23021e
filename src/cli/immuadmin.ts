#!/usr/bin/env node
// `immuadmin`: immudb's admin client on the TypeScript client library. This file is only the command
// table and the entry point; commands live in src/cli/immuadmin/, the shared dispatcher, token file and
// exit codes in src/cli/tool-common/. `database failover`, `hot-backup` and `hot-restore` (issue 6)
// join this table. Exit codes: 0 ok, 1 usage, 2 server/auth, 3 verification.
import { main, type ToolSpec } from './tool-common/command.js';
import { backupCommands } from './immuadmin/backup-commands.js';
import { databaseCommands } from './immuadmin/database-commands.js';
import { failoverCommand } from './immuadmin/failover-command.js';
import { immuadminGlobalFlags } from './immuadmin/flags.js';
import { serverCommands } from './immuadmin/server-commands.js';
import { userCommands } from './immuadmin/user-commands.js';

export const immuadminSpec: ToolSpec = {
  name: 'immuadmin',
  envPrefix: 'IMMUADMIN',
  description: 'immuadmin (immudb-ts): administer an immudb server: users, databases, replication\n\nUsage: immuadmin [flags] <command> [args]',
  globalFlags: immuadminGlobalFlags,
  commands: [...serverCommands, ...userCommands, ...databaseCommands, failoverCommand, ...backupCommands],
  helpFooter: [
    'Example: immuadmin database create orders --replication-primary node1:3322 --replication-primary-username repl --replication-primary-password ...',
    'Backup: immuadmin hot-backup orders -o orders.bak (again to append), immuadmin hot-restore orders -i orders.bak (docs/backup-format.md)',
    'Exit codes: 0 ok, 1 bad usage or input (refused before any change), 2 server/auth/connection error, 3 verification failed (database failover: refused as unsafe).',
    'Docs: docs/cli.md',
  ].join('\n'),
};

main(immuadminSpec);
