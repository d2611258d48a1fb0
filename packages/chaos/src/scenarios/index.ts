import { dataScenarios } from './data-scenarios.js';
import { diskScenarios } from './disk-scenarios.js';
import { hostileScenarios } from './hostile-scenarios.js';
import { otaScenarios } from './ota-scenarios.js';
import { KNOWN_FAILING, names } from './known-failing.js';
import type { Profile, Scenario } from './scenario.js';

/** Every scenario, in the order they run. */
export const SCENARIOS: readonly Scenario[] = [...dataScenarios, ...diskScenarios, ...otaScenarios, ...hostileScenarios];

export function scenariosOf(profile: Profile, only?: readonly string[]): Scenario[] {
  if (only && only.length > 0) {
    const unknown = only.filter((n) => !SCENARIOS.some((s) => s.name === n));
    if (unknown.length > 0) throw new Error(`no scenario named ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
    return SCENARIOS.filter((s) => only.includes(s.name));
  }
  return SCENARIOS.filter((s) => s.profiles.includes(profile) && (profile === 'full' || heldBack(s.name) === undefined));
}

/**
 * Why a short-profile scenario stays out of `npm test` for now: it has a known failure of its
 * own in KNOWN_FAILING (entries for every scenario, `*`, hold nothing back). Deleting that line
 * when the fix lands brings the scenario into `npm test` and makes the check count again.
 */
export function heldBack(name: string): string | undefined {
  return KNOWN_FAILING.find((k) => k.scenario !== '*' && names(k.scenario, name))?.why;
}

export type { Profile, Scenario, ScenarioContext, ScenarioSetup, Check } from './scenario.js';
export { KNOWN_FAILING, knownFailure, type KnownFailure } from './known-failing.js';
export { dataScenarios } from './data-scenarios.js';
export { diskScenarios } from './disk-scenarios.js';
export { otaScenarios } from './ota-scenarios.js';
export { hostileScenarios, HOSTILE_BOUNDS } from './hostile-scenarios.js';
