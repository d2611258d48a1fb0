import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * A bench child process spoken to in JSON lines: `send` writes one to its stdin, `next` waits
 * for the next line it prints that matches. Its stderr goes to ours.
 */
export class JsonChild {
  readonly #child: ChildProcess;
  readonly #lines: unknown[] = [];
  readonly #waiters: Array<() => void> = [];
  #exited = false;

  constructor(script: string, args: readonly string[]) {
    this.#child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
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

  send(message: unknown): void {
    this.#child.stdin?.write(`${JSON.stringify(message)}\n`);
  }

  async next<T>(match: (value: unknown) => boolean, timeoutMs = 300_000): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const i = this.#lines.findIndex(match);
      if (i >= 0) return this.#lines.splice(i, 1)[0] as T;
      if (this.#exited) throw new Error('the bench child exited before answering');
      if (Date.now() > end) throw new Error(`no answer from the bench child within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 1000);
      });
    }
  }

  /** Ends its stdin (it stops on its own), SIGKILL after 10 s. */
  async close(): Promise<void> {
    if (this.#exited) return;
    this.#child.stdin?.end();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), 10_000);
      this.#child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** A CLI child (the hub emulator, the gateway) whose output is kept to wait on and to show on failure. */
export class CliChild {
  readonly #child: ChildProcess;
  #out = '';
  readonly #exited: Promise<void>;

  constructor(args: readonly string[]) {
    this.#child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: string): void => {
      // Only the tail matters (readiness lines, the last errors): a long run must not grow it.
      this.#out = (this.#out + d).slice(-200_000);
    };
    this.#child.stdout?.setEncoding('utf8').on('data', keep);
    this.#child.stderr?.setEncoding('utf8').on('data', keep);
    this.#exited = new Promise((resolve) => this.#child.once('exit', () => resolve()));
  }

  get output(): string {
    return this.#out;
  }

  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = pattern.exec(this.#out);
      if (found) return found;
      if (this.#child.exitCode !== null) throw new Error(`exited ${this.#child.exitCode} before printing ${String(pattern)}:\n${this.#out}`);
      if (Date.now() > end) throw new Error(`did not print ${String(pattern)} within ${timeoutMs} ms:\n${this.#out}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** SIGTERM (a clean stop), SIGKILL after 10 s. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 10_000);
    await this.#exited;
    clearTimeout(timer);
  }
}
