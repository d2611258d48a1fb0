#!/usr/bin/env node
import 'reflect-metadata';
import { runCli } from '../cli/main.js';
import '../cli/commands.js';

const controller = new AbortController();
let signals = 0;
const onSignal = (name: string): void => {
  signals += 1;
  // First signal: shut down cleanly; a second one means the user wants out now.
  if (signals > 1) process.exit(130);
  controller.abort(new Error(`received ${name}`));
};
process.on('SIGINT', () => onSignal('SIGINT'));
process.on('SIGTERM', () => onSignal('SIGTERM'));

const code = await runCli(process.argv.slice(2), undefined, controller.signal);
process.exitCode = code;
