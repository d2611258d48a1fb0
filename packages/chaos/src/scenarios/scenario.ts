import type { Rig, RigOptions } from '../rig/rig.js';

/** `short`: scenarios that run in seconds, part of `npm test`. `full`: everything (`npm run chaos`). */
export type Profile = 'short' | 'full';

/** One thing a scenario promises, checked after the run. */
export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface ScenarioContext {
  readonly rig: Rig;
  /** The fault is over (the hub is back, the link replugged...): time to recover counts from here. */
  readonly healed: () => void;
  /** Records a check of the scenario's own (the ledger's loss and order checks are added by the runner). */
  readonly check: (name: string, ok: boolean, detail: string) => void;
  /** A number or fact worth keeping in the report. */
  readonly note: (key: string, value: unknown) => void;
  readonly log: (message: string) => void;
}

/** What a scenario needs before the rig starts, e.g. a tiny filesystem; or why it cannot run here. */
export interface ScenarioSetup {
  readonly rig?: Partial<Omit<RigOptions, 'socat'>>;
  /** This machine cannot run the scenario: reported as skipped with this reason, never silently. */
  readonly skip?: string;
  readonly teardown?: () => Promise<void>;
}

export interface Scenario {
  /** Stable kebab-case name: the key in KNOWN_FAILING, `--only` and the JSON. */
  readonly name: string;
  readonly profiles: readonly Profile[];
  /** One sentence: the fault and what must hold. Printed with the results. */
  readonly description: string;
  readonly setup?: (dir: string) => Promise<ScenarioSetup>;
  /** Injects the fault into a running rig whose readings already flow; marks `healed()` when it ends. */
  readonly run: (ctx: ScenarioContext) => Promise<void>;
  /** How long readings keep flowing after `run`, before the rig settles. Default 2000 ms. */
  readonly afterMs?: number;
  /** Whether the ledger checks (no loss, no reorder) apply. Default true. */
  readonly countsReadings?: boolean;
}
