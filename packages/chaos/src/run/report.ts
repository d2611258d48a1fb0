import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScenarioResult } from './run-scenario.js';

/** bench/results/chaos.json at the repository root. */
export const DEFAULT_RESULTS_FILE = fileURLToPath(new URL('../../../../../bench/results/chaos.json', import.meta.url));

const seconds = (ms: number | undefined): string => (ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`);

/** One line per scenario: the verdict and the reading ledger. */
export function summaryLine(r: ScenarioResult): string {
  const verdict = { pass: 'PASS', fail: 'FAIL', 'known-failing': 'KNOWN', skipped: 'SKIP' }[r.verdict];
  if (r.verdict === 'skipped') return `${verdict.padEnd(5)} ${r.name.padEnd(26)} ${r.skipped ?? ''}`;
  const n = r.readings;
  const ledger = n
    ? `produced ${n.produced} delivered ${n.delivered} lost ${n.lost} duplicated ${n.duplicated} reordered ${n.reordered} recover ${seconds(n.recoverMs)} (latency p50 ${n.latencyMs.p50} ms p99 ${n.latencyMs.p99} ms, longest gap ${seconds(n.longestGapMs)})`
    : '';
  return `${verdict.padEnd(5)} ${r.name.padEnd(26)} ${ledger} [${seconds(r.durationMs)}]`;
}

/** The checks that did not hold (and known ones that did), indented under the summary line. */
export function detailLines(r: ScenarioResult): string[] {
  const lines: string[] = [];
  for (const c of r.checks) {
    if (c.ok && !c.known) continue;
    if (c.ok && !r.nowPassing.includes(c.name)) continue;
    if (c.ok) lines.push(`      now passes: ${c.name} (listed in KNOWN_FAILING: ${c.known}): remove it from the list`);
    else lines.push(`      ${c.known ? 'known' : 'FAILED'} ${c.name}: ${c.detail}${c.known ? ` — ${c.known}` : ''}`);
  }
  return lines;
}

export interface ChaosReport {
  readonly profile: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly machine: { readonly node: string; readonly cpus: number; readonly platform: string };
  readonly totals: { readonly pass: number; readonly fail: number; readonly knownFailing: number; readonly skipped: number };
  readonly scenarios: readonly ScenarioResult[];
}

export function writeReport(file: string, report: ChaosReport): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}
