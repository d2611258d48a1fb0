/** One walked flow, as the closing table shows it. */
export interface StepResult {
  readonly step: string;
  readonly ok: boolean;
  readonly detail: string;
  readonly ms: number;
}

export function summaryTable(results: readonly StepResult[]): string {
  const rows = results.map((r) => [r.step, r.ok ? 'ok' : 'FAILED', `${r.ms} ms`, r.detail]);
  const header = ['step', 'result', 'time', 'detail'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
