/** One walked flow, as the closing table shows it. */
export interface StepResult {
  readonly step: string;
  readonly ok: boolean;
  /** Not run because an earlier step failed (`ok` is false too: the flow was not shown to work). */
  readonly skipped?: boolean;
  readonly detail: string;
  readonly ms: number;
}

export function summaryTable(results: readonly StepResult[]): string {
  const rows = results.map((r) => [r.step, r.ok ? 'ok' : r.skipped ? 'skipped' : 'FAILED', `${r.ms} ms`, r.detail]);
  const header = ['step', 'result', 'time', 'detail'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The line under the table: a skipped step is counted as skipped, not as one more failure. */
export function summaryVerdict(results: readonly StepResult[], transport: string): string {
  if (results.every((r) => r.ok)) return `all ${results.length} steps succeeded (${transport})`;
  const failed = results.filter((r) => !r.ok && !r.skipped).length;
  const skipped = results.filter((r) => r.skipped).length;
  return `${failed} of ${results.length} steps failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;
}
