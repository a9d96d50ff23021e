// Makes sure no immudb child outlives the test process that started it. Two layers:
// 1. in process: every live child is registered; on exit, SIGINT, SIGTERM, SIGHUP and uncaught errors
//    the registry SIGKILLs them all (synchronously, so it works inside an 'exit' handler);
// 2. in the child: `orphanGuardImport` is a `node --import` preload that SIGKILLs the child itself as
//    soon as its parent changes (the harness was SIGKILLed and the child re-parented), so even a
//    harness killed with -9 leaves nothing running for long.
// It does not decide when a test's nodes stop: fixtures do that in afterEach/afterAll.
import type { ChildProcess } from 'node:child_process';
import { orphanGuardPeriodMs } from './limits.js';

const live = new Set<ChildProcess>();
let hooked = false;

function killAll(): void {
  for (const child of live) {
    try {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid, 'SIGCONT'); // a stopped child still dies on SIGKILL, but be explicit
        process.kill(child.pid, 'SIGKILL');
      }
    } catch {
      // already gone
    }
  }
  live.clear();
}

function hookOnce(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      process.kill(process.pid, signal); // default action now that our listener is gone
    });
  }
}

/** Tracks a child until it exits. */
export function registerChild(child: ChildProcess): void {
  hookOnce();
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/** How many registered children are still alive (for tests of the harness). */
export function liveChildCount(): number {
  return live.size;
}

/** SIGKILLs every registered child now. */
export function killAllChildren(): void {
  killAll();
}

/** Environment variable naming the pid the guarded child must stay a child of. */
export const guardParentEnv = 'CLUSTER_GUARD_PARENT_PID';

// The expected parent comes from the environment, not from process.ppid at preload time: a parent
// that died before the preload ran would otherwise be missed.
const guardSource = [
  `const parent = Number(process.env.${guardParentEnv} || process.ppid);`,
  'const check = () => { if (process.ppid !== parent) process.kill(process.pid, "SIGKILL"); };',
  'check();',
  `setInterval(check, ${orphanGuardPeriodMs}).unref();`,
].join('\n');

/** `node` arguments that install the orphan guard in a child; put them before the script path. */
export const orphanGuardImport: readonly string[] = ['--import', `data:text/javascript,${encodeURIComponent(guardSource)}`];

/** Environment entries a guarded child spawned directly by this process needs. */
export function guardEnv(): Record<string, string> {
  return { [guardParentEnv]: String(process.pid) };
}
