import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * A child process spoken to in JSON lines: `send` writes one to its stdin, `next` waits for the
 * next line it prints that matches. Its stderr goes to ours.
 */
export class JsonChild {
  readonly #child: ChildProcess;
  readonly #lines: unknown[] = [];
  readonly #waiters: Array<() => void> = [];
  #exited = false;

  constructor(script: string, args: readonly string[], env: Record<string, string> = {}) {
    this.#child = spawn(process.execPath, ['--expose-gc', script, ...args], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...env } });
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
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
      this.#child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** CPU seconds (user + system) a process used so far, from /proc (Linux). */
export async function cpuSecondsOf(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const { readFile } = await import('node:fs/promises');
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
    // utime and stime are fields 14 and 15 of stat (12 and 13 after the command name).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
