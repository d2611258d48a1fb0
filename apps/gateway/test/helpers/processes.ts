import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Calls `pick` for every live process; collects the pids it accepts. A process that exits while we look is skipped. */
function pidsWhere(pick: (pid: string) => boolean): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (pick(entry)) pids.push(Number(entry));
    } catch {
      // exited while we looked, or not ours to read
    }
  }
  return pids;
}

/** Pids of live processes whose command line mentions `text` (e.g. a run's private temp dir). */
export function processesMentioning(text: string): number[] {
  // A zombie has an empty command line: it is gone, only not yet reaped.
  return pidsWhere((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text));
}

export interface Spawned {
  readonly child: ChildProcess;
  /** stdout and stderr interleaved, as a user would see them. */
  output(): string;
  /** Resolves once the output matches, or rejects if the process exits first. */
  waitForOutput(pattern: RegExp): Promise<void>;
  /** The exit code and signal (with all it printed read), or 'timeout' if it did not exit within `ms` (then it is killed). */
  exitWithin(ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | 'timeout'>;
  /** When the process exited (performance.now()), before its last output was read; undefined while it runs. */
  exitedAt(): number | undefined;
  /** SIGKILL to the child's process group (spawned with `group`): the child and all it started. */
  killGroup(): void;
}

/** `group`: the child leads its own process group, so `killGroup` ends whatever it started too. */
export function spawnCli(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; group?: boolean } = {}): Spawned {
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.group ? { detached: true } : {}),
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: string): void => {
    out += d;
    for (const l of listeners) l();
  };
  child.stdout?.setEncoding('utf8').on('data', onData);
  child.stderr?.setEncoding('utf8').on('data', onData);
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  // 'exit' can come before the parent has read the child's last lines from the pipes; 'close' comes
  // once it has, unless something the child started still holds them: then 2 s at most.
  let exitedAt: number | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      exitedAt = performance.now();
      let grace: NodeJS.Timeout | undefined;
      void Promise.race([closed, new Promise<void>((r) => (grace = setTimeout(r, 2_000)))]).then(() => {
        clearTimeout(grace);
        resolve({ code, signal });
      });
    }),
  );
  return {
    child,
    output: () => out,
    waitForOutput: (pattern) =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (!pattern.test(out)) return;
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
        check();
        // Only to reject a waiter whose text never came; the exit itself is awaited elsewhere.
        void exited.then(() => {
          if (listeners.delete(check)) reject(new Error(`exited before printing ${String(pattern)}:\n${out}`));
        });
      }),
    exitWithin: async (ms) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
      const result = await Promise.race([exited, late]);
      clearTimeout(timer);
      if (result === 'timeout') child.kill('SIGKILL');
      return result;
    },
    exitedAt: () => exitedAt,
    killGroup: () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is already gone
      }
    },
  };
}

/** Pids of live processes started in `dir` (working directory under it) or naming it on their command line. */
export function processesIn(dir: string): number[] {
  const pids = new Set([...processesMentioning(dir), ...pidsWhere((pid) => readlinkSync(`/proc/${pid}/cwd`).startsWith(dir))]);
  pids.delete(process.pid);
  return [...pids];
}

/** A temp dir for one test; at teardown whatever still runs in or names it is killed, then it is removed. */
export async function privateDir(t: { teardown(fn: () => Promise<void>): void }, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.teardown(async () => {
    for (const pid of processesIn(dir)) process.kill(pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Pids of live processes in process group `pgid`. */
export function processGroupMembers(pgid: number): number[] {
  return pidsWhere((pid) => {
    // /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[2]) === pgid && fields[0] !== 'Z';
  });
}
