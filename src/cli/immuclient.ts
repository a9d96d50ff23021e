#!/usr/bin/env node
// `immuclient`: immudb's data client on the TypeScript client library. This file is only the command
// table and the entry point; commands live in src/cli/immuclient/, the shared dispatcher, token file and
// exit codes in src/cli/tool-common/. Exit codes: 0 ok, 1 usage, 2 server/auth, 3 verification.
import { main, type ToolSpec } from './tool-common/command.js';
import { auditCommand } from './immuclient/audit-mode.js';
import { dataCommands } from './immuclient/data-commands.js';
import { immuclientGlobalFlags } from './immuclient/flags.js';
import { sessionCommands } from './immuclient/session-commands.js';
import { verifiedCommands } from './immuclient/verified-commands.js';

export const immuclientSpec: ToolSpec = {
  name: 'immuclient',
  envPrefix: 'IMMUCLIENT',
  description: 'immuclient (immudb-ts): read, write and verify data on an immudb server\n\nUsage: immuclient [flags] <command> [args]',
  globalFlags: immuclientGlobalFlags,
  commands: [...sessionCommands, ...dataCommands, ...verifiedCommands, auditCommand],
  helpFooter: [
    'Values print as text when printable UTF-8, else as hex; --output json prints one JSON document.',
    'Exit codes: 0 ok, 1 bad usage or input, 2 server/auth/connection error, 3 verification failed (proof or state inconsistency).',
    'Docs: docs/cli.md',
  ].join('\n'),
};

main(immuclientSpec);
