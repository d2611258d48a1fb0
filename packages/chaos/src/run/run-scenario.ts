import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Accounting } from '../rig/ledger.js';
import { Rig } from '../rig/rig.js';
import { knownFailure } from '../scenarios/known-failing.js';
import type { Check, Scenario } from '../scenarios/scenario.js';

/**
 * - `pass`: every check held.
 * - `fail`: a check not listed in KNOWN_FAILING failed.
 * - `known-failing`: only listed checks failed (the fix is not merged yet).
 * - `skipped`: this machine cannot run it (the reason is in `skipped`).
 */
export type Verdict = 'pass' | 'fail' | 'known-failing' | 'skipped';

export interface CheckResult extends Check {
  /** Why this check is expected to fail today (KNOWN_FAILING), when listed. */
  readonly known?: string;
}

export interface ScenarioResult {
  readonly name: string;
  readonly description: string;
  readonly verdict: Verdict;
  readonly skipped?: string;
  readonly checks: readonly CheckResult[];
  /** Listed in KNOWN_FAILING but held this time: the list may be stale. */
  readonly nowPassing: readonly string[];
  readonly readings?: Omit<Accounting, 'examples'> & { readonly examples: Accounting['examples']; readonly perSubdevice: Record<string, Omit<Accounting, 'examples'>> };
  readonly gateway?: { readonly unexpectedExits: number; readonly logLines: number; readonly logLevels: Record<string, number>; readonly peakRssMb: number };
  readonly notes: Record<string, unknown>;
  readonly durationMs: number;
  /** The rig's directory, when kept (`--keep`): logs, received and acked files. */
  readonly dir?: string;
}

export interface RunOptions {
  readonly socat: string;
  /** Keep each rig's directory for inspection. */
  readonly keep?: boolean;
  readonly log?: (line: string) => void;
}

const WARMUP_MS = 1_000;

/** Starts a fresh rig, lets readings flow, injects the scenario's fault, settles and judges. */
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<ScenarioResult> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const checks: Check[] = [];
  const notes: Record<string, unknown> = {};
  const scratch = await mkdtemp(join(tmpdir(), `iotgw-chaos-${scenario.name}-`));
  const setup = scenario.setup ? await scenario.setup(scratch) : {};
  try {
    if (setup.skip) {
      return { name: scenario.name, description: scenario.description, verdict: 'skipped', skipped: setup.skip, checks: [], nowPassing: [], notes, durationMs: Date.now() - started };
    }
    let rig: Rig;
    try {
      rig = await Rig.start({ socat: options.socat, keepDir: options.keep ?? false, ...setup.rig });
    } catch (error) {
      const check = { name: 'rig', ok: false, detail: `the rig did not start: ${(error as Error).message}` };
      return { name: scenario.name, description: scenario.description, verdict: 'fail', checks: [check], nowPassing: [], notes, durationMs: Date.now() - started };
    }
    let healAt: number | undefined;
    try {
      await rig.flow(WARMUP_MS);
      log(`${scenario.name}: readings flow; injecting the fault`);
      try {
        await scenario.run({
          rig,
          healed: () => {
            healAt ??= Date.now();
          },
          check: (name, ok, detail) => checks.push({ name, ok, detail }),
          note: (key, value) => (notes[key] = value),
          log: (message) => log(`${scenario.name}: ${message}`),
        });
      } catch (error) {
        checks.push({ name: 'scenario', ok: false, detail: `the scenario did not complete: ${(error as Error).message}` });
      }
      await rig.flow(scenario.afterMs ?? 2_000);
      await rig.settle();
      const readings = rig.accounting(healAt);
      if (scenario.countsReadings ?? true) {
        checks.unshift(
          { name: 'lost', ok: readings.lost === 0, detail: readings.lost === 0 ? `all ${readings.produced} readings arrived` : `${readings.lost} of ${readings.produced} readings never reached the hub (e.g. ${readings.examples.lost.slice(0, 3).join(', ')})` },
          { name: 'reordered', ok: readings.reordered === 0, detail: readings.reordered === 0 ? 'in order per subdevice' : `${readings.reordered} readings arrived after a newer one (e.g. ${readings.examples.reordered.slice(0, 2).join(', ')})` },
        );
        if (healAt !== undefined) {
          checks.push({ name: 'recovered', ok: readings.recoverMs !== undefined, detail: readings.recoverMs !== undefined ? `backlog and fresh readings at the hub ${readings.recoverMs} ms after the fault ended` : 'delivery did not recover after the fault ended' });
        }
      }
      const exits = rig.gateway.unexpectedExits;
      checks.push({
        name: 'gateway-exits',
        ok: exits.length === 0,
        detail: exits.length === 0 ? 'the gateway never exited on its own' : `the gateway exited on its own ${exits.length} time(s), first with ${exits[0]?.code ?? exits[0]?.signal}: ${exits[0]?.lastLines.slice(-3).join(' | ')}`,
      });
      const results: CheckResult[] = checks.map((c) => {
        const known = knownFailure(scenario.name, c.name);
        return known ? { ...c, known: known.why } : c;
      });
      const unexpected = results.filter((c) => !c.ok && !c.known);
      const knownFailed = results.filter((c) => !c.ok && c.known);
      const { examples, perSubdevice, ...totals } = readings;
      return {
        name: scenario.name,
        description: scenario.description,
        verdict: unexpected.length > 0 ? 'fail' : knownFailed.length > 0 ? 'known-failing' : 'pass',
        checks: results,
        // Entries for every scenario ('*') are judged over the whole run, not one scenario.
        nowPassing: results.filter((c) => c.ok && c.known && knownFailure(scenario.name, c.name)?.scenario !== '*').map((c) => c.name),
        readings: { ...totals, examples, perSubdevice: Object.fromEntries(Object.entries(perSubdevice).map(([k, { examples: _e, ...v }]) => [k, v])) },
        gateway: { unexpectedExits: exits.length, logLines: rig.gateway.logLines, logLevels: rig.gateway.logLevels, peakRssMb: Math.round(rig.gateway.peakRss / 1048576) },
        notes,
        durationMs: Date.now() - started,
        ...(options.keep ? { dir: rig.dir } : {}),
      };
    } finally {
      await rig.close();
    }
  } finally {
    await setup.teardown?.().catch(() => undefined);
    await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
  }
}
