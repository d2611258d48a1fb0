import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../src/demo/wait-for.js';

/** packages/link-protocol/c: the C reference implementation of the subdevice side. */
export const C_DIR = fileURLToPath(new URL('../../../../../packages/link-protocol/c', import.meta.url));

/** A C compiler on PATH (cc or gcc), or undefined. */
export function findCompiler(): string | undefined {
  for (const cc of ['cc', 'gcc']) if (spawnSync('sh', ['-c', `command -v ${cc}`]).status === 0) return cc;
  return undefined;
}

/** Builds lp-demo into dir (its own build dir, so parallel test runs never share objects). */
export function buildDemo(dir: string): string {
  const made = spawnSync('make', ['-C', C_DIR, `B=${dir}`, `${dir}/lp-demo`], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`make lp-demo failed (${made.status}):\n${made.stdout}\n${made.stderr}`);
  return `${dir}/lp-demo`;
}

/** One run of lp-demo (one "power-on" until it exits): its event lines, waited on by pattern. */
export class CSubdevice {
  readonly lines: string[] = [];
  /** When each line arrived (Date.now()), index for index with lines. */
  readonly times: number[] = [];
  readonly exited: Promise<number | null>;
  #child: ChildProcess;

  constructor(bin: string, args: readonly string[]) {
    this.#child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.#child.once('exit', (code) => resolve(code)));
    // One partial line per stream: stdout and stderr chunks never splice into one line.
    const reader = (prefix: string): ((chunk: string) => void) => {
      let partial = '';
      return (chunk) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop() ?? '';
        const now = Date.now();
        this.lines.push(...parts.map((l) => prefix + l));
        this.times.push(...parts.map(() => now));
      };
    };
    this.#child.stdout?.setEncoding('utf8').on('data', reader(''));
    this.#child.stderr?.setEncoding('utf8').on('data', reader('stderr: '));
  }

  get exitCode(): number | null {
    return this.#child.exitCode;
  }

  /** The first line matching pattern (waiting for it), as a match. */
  async line(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> {
    let found: RegExpExecArray | null = null;
    await waitFor(`lp-demo to print ${pattern}`, () => this.lines.some((l) => (found = pattern.exec(l)) !== null) || this.#child.exitCode !== null, {
      timeoutMs,
      intervalMs: 20,
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}; lp-demo said:\n${this.lines.slice(-30).join('\n')}`);
    });
    if (!found) throw new Error(`lp-demo exited (${this.#child.exitCode}) before printing ${pattern}:\n${this.lines.slice(-30).join('\n')}`);
    return found;
  }

  /** When the first line matching pattern arrived (Date.now()), or undefined. */
  timeOf(pattern: RegExp): number | undefined {
    const i = this.lines.findIndex((l) => pattern.test(l));
    return i < 0 ? undefined : this.times[i];
  }

  has(pattern: RegExp): boolean {
    return this.lines.some((l) => pattern.test(l));
  }

  /** SIGTERM (it says BYE(shutdown)) and wait for the exit. */
  async stop(): Promise<number | null> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGTERM');
    return this.exited;
  }

  kill(): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
  }
}
