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

export const KNOWN_FAILING: readonly KnownFailure[] = [
  {
    scenario: ['gateway-kill-hub-up', 'gateway-kill-hub-down', 'gateway-start-without-hub', 'ota-kill-download', 'ota-kill-delivery'],
    check: 'lost',
    why: 'the link acknowledges a DATA frame before the offline store has fsynced it (fsync every 1 s): a kill -9 loses readings acknowledged in the last interval (7 of 401 in gateway-kill-hub-down, 2 of 1644 in gateway-start-without-hub, 2026-11-30)',
  },
  {
    scenario: 'hostile-hub',
    check: ['rss', 'log-lines', 'readings-flowing'],
    why: 'issue 11 item 9: packet-size limit and log throttling are in; the 30k data-topic downlinks still queue for the serial links without bound, so readings stall (longest gap 7.9 s, 2026-11-30)',
  },
];

/** The known failure of this check in this scenario, if listed. */
export function knownFailure(scenario: string, check: string): KnownFailure | undefined {
  return KNOWN_FAILING.find((k) => names(k.scenario, scenario) && (k.check === check || (Array.isArray(k.check) && k.check.includes(check))));
}

/** Whether an entry's scenario field names this scenario (or every one). */
export function names(field: KnownFailure['scenario'], scenario: string): boolean {
  return field === '*' || field === scenario || (Array.isArray(field) && field.includes(scenario));
}
