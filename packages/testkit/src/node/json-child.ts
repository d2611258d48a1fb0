import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';

/**
 * A child Node process (a bench's counterpart) spoken to in JSON lines: `send` writes one to its
 * stdin, `next` waits for the next line it prints that matches. Its stderr goes to ours; a line
 * that is not JSON is shown there too. `close` ends its stdin (the child stops on its own), and
 * SIGKILLs it if it has not gone within `closeGraceMs`.
 */
export class JsonChild {
  readonly #child: ChildProcess;
  readonly #lines: unknown[] = [];
  readonly #waiters: Array<() => void> = [];
  readonly #closeGraceMs: number;
  #exited = false;

  constructor(script: string, args: readonly string[], options: { readonly env?: Record<string, string>; readonly nodeArgs?: readonly string[]; readonly closeGraceMs?: number } = {}) {
    this.#closeGraceMs = options.closeGraceMs ?? 5000;
    this.#child = spawn(process.execPath, [...(options.nodeArgs ?? []), script, ...args], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...options.env } });
    createInterface({ input: this.#child.stdout! }).on('line', (line) => {
      try {
        this.#lines.push(JSON.parse(line));
      } catch {
        process.stderr.write(`[child] ${line}\n`);
      }
      for (const w of this.#waiters.splice(0)) w();
    });
    this.#child.on('exit', () => {
      this.#exited = true;
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  send(message: unknown): void {
    this.#child.stdin?.write(`${JSON.stringify(message)}\n`);
  }

  async next<T>(match: (value: unknown) => boolean = () => true, timeoutMs = 600_000): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const i = this.#lines.findIndex(match);
      if (i >= 0) return this.#lines.splice(i, 1)[0] as T;
      if (this.#exited) throw new Error('the child exited before answering');
      if (Date.now() > end) throw new Error(`no answer from the child within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 1000);
      });
    }
  }

  async close(): Promise<void> {
    if (this.#exited) return;
    this.#child.stdin?.end();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), this.#closeGraceMs);
      this.#child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** The value at percentile `p` (0..100) of ascending `sorted` (NaN when empty). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** CPU seconds (user + system) a process used so far, from /proc (Linux); undefined elsewhere or once it is gone. */
export async function cpuSecondsOf(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
    // utime and stime are fields 14 and 15 of stat (12 and 13 after the command name), in clock ticks (100/s).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * For a bench's counting child: resolves once `count()` reaches `target`, or once it has stayed
 * the same for `idleMs` (the child then reports what it has). Polls every `pollMs`.
 */
export async function untilCountOrIdle(count: () => number, target: number, idleMs: number, pollMs: number): Promise<void> {
  let seen = -1;
  let idleSince = Date.now();
  for (;;) {
    const now = count();
    if (now >= target) return;
    if (now !== seen) {
      seen = now;
      idleSince = Date.now();
    } else if (Date.now() - idleSince > idleMs) return;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
