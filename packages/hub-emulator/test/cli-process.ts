import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const INDEX = fileURLToPath(new URL('../src/index.js', import.meta.url));

/** Runs runHubCli in a fresh node process; resolves with the child and its output once it prints the console URL. */
export function spawnHubCli(args: string[]): Promise<{ child: ChildProcess; output: () => string; readyMs: number }> {
  const started = process.hrtime.bigint();
  const script = `import(${JSON.stringify(INDEX)}).then(async (m) => { process.exitCode = await m.runHubCli(${JSON.stringify(args)}); });`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      text += chunk.toString();
      if (/console: +http/.test(text)) {
        child.stdout?.off('data', onData);
        child.stdout?.on('data', (c: Buffer) => (text += c.toString()));
        resolve({ child, output: () => text, readyMs: Number(process.hrtime.bigint() - started) / 1e6 });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => (text += c.toString()));
    child.once('exit', (code) => reject(new Error(`hub CLI exited with ${code} before ready:\n${text}`)));
  });
}
