import { spawn } from 'node:child_process';
import { CancelledError, SelfUpdateError, TimeoutError, type CallOptions } from '@iotgw/domain';

/** Output kept from a command for its error message (the end, where the reason usually is). */
const KEPT_OUTPUT = 2048;

/**
 * Runs `command` (argv, no shell) to completion: resolves on exit 0; rejects with SelfUpdateError
 * quoting the exit status and the end of its output, TimeoutError or CancelledError (the child is
 * killed then).
 */
export function runCommand(
  command: readonly string[],
  options: CallOptions & { readonly env?: NodeJS.ProcessEnv; readonly cwd?: string; readonly what: string },
): Promise<void> {
  const [file, ...args] = command;
  if (!file) return Promise.reject(new SelfUpdateError(`${options.what}: the command is empty`));
  return new Promise((resolve, reject) => {
    let output = '';
    let settled = false;
    const child = spawn(file, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-KEPT_OUTPUT);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (error) {
        child.kill('SIGKILL');
        reject(error);
      } else resolve();
    };
    const onAbort = (): void => finish(new CancelledError(options.what, { cause: options.signal?.reason }));
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => finish(new TimeoutError(options.what, options.timeoutMs ?? 0)), options.timeoutMs);
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error: NodeJS.ErrnoException) => finish(new SelfUpdateError(`${options.what}: cannot run ${file}: ${error.code ?? error.message}`, { cause: error })));
    child.on('close', (code, signal) => {
      if (code === 0) return finish();
      const status = code === null ? `was killed by ${signal ?? 'a signal'}` : `exited with ${code}`;
      const tail = output.trim().split('\n').slice(-5).join(' | ');
      finish(new SelfUpdateError(`${options.what}: ${file} ${status}${tail ? `: ${tail}` : ''}`));
    });
  });
}
