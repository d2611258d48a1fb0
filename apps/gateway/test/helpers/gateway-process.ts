import type { ExecutionContext } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../src/demo/wait-for.js';

const bin = fileURLToPath(new URL('../../src/bin/iotgw.js', import.meta.url));

/** An `iotgw start` child process and what it printed. */
export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  /** The control endpoint's base URL, once the gateway said it runs. */
  readonly control: string;
}

/**
 * Writes `device_info.json` and `iotgw.json` into `dir` and runs `iotgw start` on them until it
 * says it runs. The child is SIGKILLed at teardown if still alive.
 */
export async function startGatewayProcess(
  t: ExecutionContext,
  dir: string,
  deviceInfo: unknown,
  config: Record<string, unknown>,
  env: Record<string, string> = {},
): Promise<GatewayProcess> {
  await writeFile(join(dir, 'device_info.json'), JSON.stringify(deviceInfo));
  await writeFile(join(dir, 'iotgw.json'), JSON.stringify({ control: { port: 0 }, ...config }));
  const child = spawn(process.execPath, [bin, 'start', '--device-info', join(dir, 'device_info.json'), '--config', join(dir, 'iotgw.json')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitFor('the gateway to say it runs', () => / running with \d+ link\(s\)/.test(out) || child.exitCode !== null, { timeoutMs: 30_000 });
  if (child.exitCode !== null) throw new Error(`iotgw start exited ${child.exitCode}:\n${out}`);
  const control = /control, health and metrics: (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? '';
  return { child, output: () => out, exited, control };
}
