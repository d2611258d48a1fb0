/**
 * Checks that fail on main today because the fix is not merged yet. They still run and are still
 * reported (as "known"), in every profile; they do not fail the run while listed here. When a fix
 * lands, delete its line: from then on the check fails the run again. A listed check that passes
 * is reported as "now passes" so the list does not go stale.
 *
 * `scenario: '*'` applies to every scenario.
 */
export interface KnownFailure {
  /** The scenario, the scenarios one fix will make pass, or '*' for every scenario. */
  readonly scenario: string | readonly string[];
  /** The check, or the checks one fix will make pass. */
  readonly check: string | readonly string[];
  /** The issue item and what goes wrong, as measured. */
  readonly why: string;
}

export const KNOWN_FAILING: readonly KnownFailure[] = [];

/** The known failure of this check in this scenario, if listed. */
export function knownFailure(scenario: string, check: string): KnownFailure | undefined {
  return KNOWN_FAILING.find((k) => names(k.scenario, scenario) && (k.check === check || (Array.isArray(k.check) && k.check.includes(check))));
}

/** Whether an entry's scenario field names this scenario (or every one). */
export function names(field: KnownFailure['scenario'], scenario: string): boolean {
  return field === '*' || field === scenario || (Array.isArray(field) && field.includes(scenario));
}
