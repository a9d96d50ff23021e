// Turns immuadmin's global flags into an authenticated ToolClient for one command. immuadmin selects no
// database (admin calls do not need one); `database settings` selects one for its own call only.
import type { CommandContext } from '../tool-common/command.js';
import { endpointOf, timeoutMsOf } from '../tool-common/global-flags.js';
import { authenticate } from '../tool-common/login-flow.js';
import { ToolClient } from '../tool-common/tool-client.js';

export const immuadminName = 'immuadmin';

export function newClient(ctx: CommandContext): ToolClient {
  return new ToolClient({ endpoint: endpointOf(ctx.flags), timeoutMs: timeoutMsOf(ctx.flags) });
}

export async function withAdmin<T>(ctx: CommandContext, fn: (client: ToolClient) => Promise<T>): Promise<T> {
  const client = newClient(ctx);
  try {
    await authenticate({ tool: immuadminName, flags: ctx.flags, io: ctx.io }, client, undefined);
    return await fn(client);
  } finally {
    client.close();
  }
}

export async function withoutLogin<T>(ctx: CommandContext, fn: (client: ToolClient) => Promise<T>): Promise<T> {
  const client = newClient(ctx);
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}
