// Writes a scenario's verdict to `cluster-tests/reports/<scenario>/summary.json` (gitignored): write
// counts from the history checker, recovery time, each node's final (txId, Alh) and free-form notes,
// so a failed CI run can be read without rerunning it. It records; it does not judge.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckResult } from './history.js';
import { reportsDir } from './paths.js';

export interface NodeFinalState {
  readonly node: string;
  readonly txId: number | null;
  readonly alh: string | null;
  /** Why the state could not be read, when it could not. */
  readonly error?: string;
}

export interface ScenarioSummary {
  readonly scenario: string;
  readonly passed: boolean;
  readonly attempts: number;
  readonly acked: number;
  readonly lost: number;
  readonly uncertain: number;
  readonly uncertainCommitted: number;
  readonly uncertainNotCommitted: number;
  readonly failedDefinitely: number;
  readonly phantoms: number;
  readonly failedButVisible: number;
  readonly recoveryTimeMs: number | null;
  readonly durationMs: number;
  readonly nodes: readonly NodeFinalState[];
  readonly notes: readonly string[];
  /** The first lost writes, for diagnosis. */
  readonly lostSample: readonly { readonly key: string; readonly txId: number | null; readonly node: string }[];
}

export interface SummaryInput {
  readonly scenario: string;
  readonly check: CheckResult;
  readonly recoveryTimeMs: number | null;
  readonly durationMs: number;
  readonly nodes: readonly NodeFinalState[];
  readonly notes?: readonly string[];
  /** Defaults to check.ok. */
  readonly passed?: boolean;
}

const lostSampleMax = 20;

export function buildSummary(input: SummaryInput): ScenarioSummary {
  const c = input.check;
  return {
    scenario: input.scenario,
    passed: input.passed ?? c.ok,
    attempts: c.attempts,
    acked: c.acked,
    lost: c.lost,
    uncertain: c.uncertain,
    uncertainCommitted: c.uncertainCommitted,
    uncertainNotCommitted: c.uncertainNotCommitted,
    failedDefinitely: c.failedDefinitely,
    phantoms: c.phantoms.length,
    failedButVisible: c.failedButVisible.length,
    recoveryTimeMs: input.recoveryTimeMs,
    durationMs: input.durationMs,
    nodes: input.nodes,
    notes: input.notes ?? [],
    lostSample: c.lostWrites.slice(0, lostSampleMax).map((w) => ({
      key: w.key,
      txId: w.outcome.kind === 'acked' ? w.outcome.txId : null,
      node: w.node,
    })),
  };
}

/** Writes the summary; returns its path. `dir` overrides the reports directory (tests of the harness). */
export function writeSummary(summary: ScenarioSummary, dir: string = reportsDir()): string {
  const scenarioDir = join(dir, summary.scenario);
  mkdirSync(scenarioDir, { recursive: true });
  const path = join(scenarioDir, 'summary.json');
  writeFileSync(path, `${JSON.stringify(summary, null, 2)}\n`);
  return path;
}
