#!/usr/bin/env node
// npm run chaos (root): every scenario, results in bench/results/chaos.json.
//   node packages/chaos/dist/src/bin/chaos.js [--profile short|full] [--only a,b] [--keep] [--out file] [--list]
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { Rig } from '../rig/rig.js';
import { findSocat } from '../rig/socat-link.js';
import { DEFAULT_RESULTS_FILE, detailLines, summaryLine, writeReport } from '../run/report.js';
import { runScenario, type ScenarioResult } from '../run/run-scenario.js';
import { KNOWN_FAILING, SCENARIOS, heldBack, scenariosOf, type Profile } from '../scenarios/index.js';

const HELP = `usage: iotgw-chaos [--profile short|full] [--only NAME,...] [--keep] [--out FILE] [--list]

Runs chaos scenarios against a real rig (hub emulator, iotgw start, simulated subdevices on socat
ptys, a TCP proxy), each in a fresh rig, and prints produced / delivered / lost / duplicated /
reordered / time to recover per scenario. Exit 0 when no scenario failed (known failures listed in
KNOWN_FAILING do not count), 1 otherwise, 2 on bad usage.

  --profile short|full   short: the scenarios that run in seconds (npm test); full (default): all
  --only NAME,...        just these scenarios, whatever their profile
  --keep                 keep each rig's directory (logs, received and acked files) and print it
  --out FILE             where the JSON goes (default bench/results/chaos.json)
  --list                 list the scenarios and the known failures, run nothing`;

let values;
try {
  ({ values } = parseArgs({
    options: {
      profile: { type: 'string', default: 'full' },
      only: { type: 'string' },
      keep: { type: 'boolean', default: false },
      out: { type: 'string', default: DEFAULT_RESULTS_FILE },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (error) {
  console.error(`iotgw-chaos: ${(error as Error).message}\n\n${HELP}`);
  process.exit(2);
}
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
if (values.profile !== 'short' && values.profile !== 'full') {
  console.error(`iotgw-chaos: --profile must be short or full, got '${values.profile}'`);
  process.exit(2);
}
const profile: Profile = values.profile;
if (values.list) {
  for (const s of SCENARIOS) console.log(`${s.name.padEnd(26)} [${s.profiles.join(', ')}] ${s.description}`);
  console.log('\nknown failures (KNOWN_FAILING):');
  for (const k of KNOWN_FAILING) console.log(`  ${String(k.scenario)} / ${String(k.check)}: ${k.why}`);
  if (KNOWN_FAILING.length === 0) console.log('  none: every check counts');
  process.exit(0);
}
let scenarios;
try {
  scenarios = scenariosOf(profile, values.only?.split(',').map((s) => s.trim()).filter(Boolean));
} catch (error) {
  console.error(`iotgw-chaos: ${(error as Error).message}`);
  process.exit(2);
}
const socat = findSocat();
if (!socat) {
  console.error('iotgw-chaos: socat is required (the subdevices sit on socat pty pairs): apt-get install socat');
  process.exit(1);
}

// Ctrl-C: take every process of the running rig down with us.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\niotgw-chaos: ${signal}: stopping the rig`);
    Rig.closeAll().then(
      () => process.exit(130),
      () => process.exit(130),
    );
  });
}

const started = Date.now();
console.log(`iotgw-chaos: ${scenarios.length} scenario(s), profile ${values.only ? `--only ${values.only}` : profile}`);
if (!values.only && profile === 'short') {
  for (const s of SCENARIOS.filter((s) => s.profiles.includes('short') && heldBack(s.name))) {
    console.log(`  not in the short profile while known failing: ${s.name} (${heldBack(s.name)})`);
  }
}
const results: ScenarioResult[] = [];
for (const scenario of scenarios) {
  console.log(`\n▶ ${scenario.name}: ${scenario.description}`);
  const result = await runScenario(scenario, { socat, keep: values.keep, log: (line) => console.log(`  ${line}`) });
  results.push(result);
  console.log(summaryLine(result));
  for (const line of detailLines(result)) console.log(line);
  if (result.dir) console.log(`      rig directory kept: ${result.dir}`);
}

const count = (v: ScenarioResult['verdict']): number => results.filter((r) => r.verdict === v).length;
const totals = { pass: count('pass'), fail: count('fail'), knownFailing: count('known-failing'), skipped: count('skipped') };
writeReport(values.out, {
  profile: values.only ? `only ${values.only}` : profile,
  startedAt: new Date(started).toISOString(),
  durationMs: Date.now() - started,
  machine: { node: process.version, cpus: cpus().length, platform: process.platform },
  totals,
  scenarios: results,
});
console.log(`\n${'─'.repeat(100)}`);
for (const r of results) console.log(summaryLine(r));
// A KNOWN_FAILING entry for every scenario is stale once no scenario of the run fails that check.
for (const k of KNOWN_FAILING.filter((k) => k.scenario === '*')) {
  const ran = results.filter((r) => r.checks.some((c) => c.name === k.check));
  if (ran.length > 0 && ran.every((r) => r.checks.every((c) => c.name !== k.check || c.ok))) {
    console.log(`\nKNOWN_FAILING '${String(k.check)}' for every scenario held in all ${ran.length} scenarios of this run: remove it from the list if it keeps holding.`);
  }
}
console.log(
  `\n${totals.pass} passed, ${totals.fail} failed, ${totals.knownFailing} known failing, ${totals.skipped} skipped in ${((Date.now() - started) / 1000).toFixed(0)} s; results in ${values.out}`,
);
process.exit(totals.fail > 0 ? 1 : 0);
