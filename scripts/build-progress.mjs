// `tsc -b <project>` with a line per project as it starts, so a first build (~40 s) shows progress.
// Used by `npm start` and `npm run iotgw`. Exits the process with tsc's status if the build fails.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';

/** Builds `project` (relative to `root`) and its references; resolves when done, exits on failure. */
export async function buildWithProgress(root, project, out = process.stdout, err = process.stderr) {
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  const started = Date.now();
  const secs = () => ((Date.now() - started) / 1000).toFixed(1);
  const projects = [];
  let listing = false;
  let built = 0;
  let pending = '';
  const child = spawn(process.execPath, [tsc, '-b', project, '--verbose', '--pretty', 'false'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const onLine = (line) => {
    const text = line.replace(/^\S+( [AP]M)? - /, '');
    if (/^Projects in this build:/.test(text)) return void (listing = true);
    if (listing && /^\s+\* /.test(line)) return void projects.push(line.trim().slice(2));
    listing = false;
    const building = /^Building project '(.+)'\.\.\.$/.exec(text);
    if (building) {
      built += 1;
      const name = relative(root, building[1]).replace(/\/tsconfig\.json$/, '');
      out.write(`  [${built}/${projects.length || '?'}] ${secs()} s  compiling ${name}\n`);
      return;
    }
    // tsc's own narration (up to date, out of date because...) is noise here; diagnostics are not.
    if (line !== text || line.trim() === '') return;
    err.write(`${line}\n`);
  };
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    lines.forEach(onLine);
  });
  const status = await new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  if (pending) onLine(pending);
  if (status !== 0) {
    err.write(`the build failed (tsc exit ${status}); fix the errors above and run it again\n`);
    process.exit(status);
  }
  out.write(built === 0 ? `  up to date (${secs()} s)\n` : `  built ${built} project(s) in ${secs()} s\n`);
}
