// `npm run cluster:local`: the developer's 3-node cluster without Docker. Runs docker-compose.cluster.yml
// through the compose runner (node1..3 on 127.0.0.1, .2, .3, ports as in the containers: 3322 gRPC,
// 9497 metrics), prints how to reach it, and stops everything on Ctrl-C. Data stays in the run
// directory between runs; `--fresh` starts from empty volumes. The init services run every time, as
// `docker compose up` runs them: `database create --if-not-exists` makes a second run a no-op.
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../harness/paths.js';
import { ComposeRunner } from './compose-runner.js';

const runDirDefault = join(tmpdir(), 'immudb-ts-cluster-local');

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const runDir = process.env['CLUSTER_LOCAL_DIR'] ?? runDirDefault;
  if (args.includes('--fresh')) rmSync(runDir, { recursive: true, force: true });
  const initialized = existsSync(join(runDir, 'volumes'));
  const load = ComposeRunner.load({ repoRoot, runDir });
  const nodes = load.model.services.filter((s) => !s.oneShot).map((s) => s.name);
  const log = (line: string): void => void process.stdout.write(`[cluster] ${line}\n`);
  const runner = await ComposeRunner.up({ repoRoot, runDir, log, killOnSignal: false });
  const addrs = nodes.map((n) => runner.address(n, 3322));
  process.stdout.write(
    [
      '',
      `3-node cluster up (data and logs in ${runDir}${initialized ? '; existing volumes kept' : ''})`,
      ...nodes.map((n, i) => `  ${n}: ${addrs[i] ?? ''} (metrics http://${runner.ip(n)}:9497/metrics)`),
      '',
      'Try:',
      `  IMMUCLIENT_PASSWORD='Immudb-Cluster-1!' npx immuclient -a ${addrs.join(',')} --username immudb --database app set hello world`,
      `  IMMUADMIN_PASSWORD='Immudb-Cluster-1!' npx immuadmin --username immudb database failover app --nodes ${addrs.join(',')}`,
      'Ctrl-C stops the nodes.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  log('stopping');
  await runner.down();
}

main().catch((err: unknown) => {
  process.stderr.write(`cluster:local: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
