#!/usr/bin/env node
import 'reflect-metadata';
import { runCli, stopGraceMs } from '../cli/main.js';
import '../cli/commands.js';

const argv = process.argv.slice(2);
const controller = new AbortController();
const EXIT_ON = { SIGINT: 130, SIGTERM: 143 } as const;

// First signal: stop cleanly, within the command's grace; a second one means the user wants out now.
// One Ctrl-C under `npm run` arrives twice (from the terminal and forwarded by npm): a repeat
// within half a second is the same one.
let firstAt = 0;
const onSignal = (name: keyof typeof EXIT_ON): void => {
  if (controller.signal.aborted) {
    if (performance.now() - firstAt > 500) process.exit(EXIT_ON[name]);
    return;
  }
  firstAt = performance.now();
  controller.abort(new Error(`received ${name}`));
  const grace = stopGraceMs(argv);
  setTimeout(() => {
    process.stderr.write(`iotgw: still stopping ${grace} ms after ${name}; exiting now\n`);
    process.exit(EXIT_ON[name]);
  }, grace).unref();
};
process.on('SIGINT', () => onSignal('SIGINT'));
process.on('SIGTERM', () => onSignal('SIGTERM'));

const code = await runCli(argv, undefined, controller.signal);
process.exitCode = code;
// The command is done and has closed what it opened. Should anything still hold the process open
// (a leak is a bug), say what and end anyway: a finished command never hangs.
setTimeout(() => {
  const open = process.getActiveResourcesInfo().filter((r) => r !== 'Timeout');
  process.stderr.write(`iotgw: exiting with ${open.join(', ') || 'handles'} still open 2 s after the command finished (please report this)\n`);
  process.exit(code);
}, 2_000).unref();
