import { spawn, type ChildProcess } from 'node:child_process';

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

  get pid(): number | undefined {
    return this.#child.pid;
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
