/** Where a command writes; injectable so tests read what a user would see. */
export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

export const processOutput: CliOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * Exit codes: 0 success, 1 a flow failed, 2 bad usage or bad configuration, 75 (EX_TEMPFAIL)
 * stopped to be started again (a configuration from the hub needs a restart, or was rolled back).
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, restart: 75 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
