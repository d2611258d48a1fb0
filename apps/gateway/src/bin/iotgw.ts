#!/usr/bin/env node
import 'reflect-metadata';
import { runCli } from '../cli/main.js';
import '../cli/commands.js';

const STOP_BUDGET_MS = 30_000;
const controller = new AbortController();
let signals = 0;
const onSignal = (name: string): void => {
  signals += 1;
  // First signal: shut down cleanly; a second one means the user wants out now.
  if (signals > 1) process.exit(130);
  controller.abort(new Error(`received ${name}`));
  // Every step of a stop is bounded; this bounds their sum and anything that still holds the
  // process open after it (a port that never closes). State is persisted after every step anyway.
  setTimeout(() => {
    process.stderr.write(`iotgw: still running ${STOP_BUDGET_MS / 1000} s after ${name}; exiting\n`);
    process.exit(1);
  }, STOP_BUDGET_MS).unref();
};
process.on('SIGINT', () => onSignal('SIGINT'));
process.on('SIGTERM', () => onSignal('SIGTERM'));

const code = await runCli(process.argv.slice(2), undefined, controller.signal);
process.exitCode = code;
