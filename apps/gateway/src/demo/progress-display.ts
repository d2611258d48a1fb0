import cliProgress from 'cli-progress';
import type { CliOutput } from '../cli/output.js';

/** Shows a firmware job's progress: a live bar on a terminal, a line per 10% step otherwise. */
export interface ProgressDisplay {
  update(percent: number, phase: string): void;
  stop(): void;
}

export function progressDisplay(io: CliOutput, label: string, tty = process.stdout.isTTY === true): ProgressDisplay {
  if (tty) {
    const bar = new cliProgress.SingleBar(
      { format: `  ${label} [{bar}] {percentage}% {phase}`, stream: process.stdout, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(100, 0, { phase: 'pushed' });
    return { update: (percent, phase) => bar.update(percent, { phase }), stop: () => bar.stop() };
  }
  let last = '';
  return {
    update: (percent, phase) => {
      // Logs and CI get one line per phase change or 10% step, not a line per report.
      const step = `${phase} ${Math.floor(percent / 10) * 10}`;
      if (step === last) return;
      last = step;
      io.out(`  ${label} ${phase} ${percent}%`);
    },
    stop: () => {},
  };
}
