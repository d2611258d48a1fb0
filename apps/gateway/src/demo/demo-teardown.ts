import { rm } from 'node:fs/promises';
import type { Gateway } from '@iotgw/app';
import type { HubEmulator } from '@iotgw/hub-emulator';
import type { CliOutput } from '../cli/output.js';
import type { DemoBench } from './demo-subdevices.js';

export interface DemoParts {
  /** The gateway's own hub services (remote configuration): stopped before the gateway. */
  readonly services?: { stop(): Promise<void> } | undefined;
  readonly gateway?: Gateway | undefined;
  readonly bench?: DemoBench | undefined;
  /** The simulated Modbus meter's server. */
  readonly meter?: { close(): Promise<void> } | undefined;
  readonly observer?: { close(): Promise<void> } | undefined;
  readonly hub?: HubEmulator | undefined;
  readonly dir: string;
}

/** Budgets in ms. After Ctrl-C the whole teardown must fit in the demo's stop grace (under 2 s). */
const NORMAL = { gateway: 12_000, bench: 3_000, hub: 5_000 };
const HURRIED = { gateway: 500, bench: 300, hub: 300 };
/** The longest a hurried teardown can take: gateway (and its services), wait after unplugging, bench (and meter), then observer and hub together. */
export const HURRIED_TEARDOWN_MS = HURRIED.gateway + 2 * HURRIED.bench + HURRIED.hub;

/** Waits for `work` at most `ms`; says whether it finished. The work itself is not cancelled. */
async function within(work: Promise<unknown> | undefined, ms: number): Promise<boolean> {
  if (!work) return true;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Stops everything the demo started, each part within a budget, so the demo always ends: a part
 * that overruns is said on stderr and the rest still stop. A serial close can block on its pty
 * while socat lives; unplugging the simulated cables (killing socat) releases it.
 */
export async function tearDownDemo(parts: DemoParts, io: CliOutput, hurried: boolean): Promise<void> {
  const budget = hurried ? HURRIED : NORMAL;
  const quiet = (p: Promise<unknown> | undefined): Promise<unknown> | undefined => p?.catch(() => {});

  // The services' last outcome report may race the hub's close: it is best effort, like the rest.
  const gatewayStopped = quiet(Promise.all([parts.services?.stop(), parts.gateway?.dispose({ timeoutMs: budget.gateway })]));
  if (!(await within(gatewayStopped, budget.gateway))) {
    io.err(`demo: the gateway did not stop within ${budget.gateway} ms; unplugging the simulated serial cables`);
    parts.bench?.kill();
    await within(gatewayStopped, budget.bench);
  }
  const [benchClosed] = await Promise.all([within(quiet(parts.bench?.close()), budget.bench), within(quiet(parts.meter?.close()), budget.bench)]);
  if (!benchClosed) {
    io.err(`demo: the simulated subdevices did not close within ${budget.bench} ms; killing their ptys`);
    parts.bench?.kill();
  }
  const [, hubClosed] = await Promise.all([within(quiet(parts.observer?.close()), budget.hub), within(quiet(parts.hub?.close()), budget.hub)]);
  if (!hubClosed) io.err(`demo: the hub emulator did not close within ${budget.hub} ms`);
  await rm(parts.dir, { recursive: true, force: true }).catch(() => {});
}
