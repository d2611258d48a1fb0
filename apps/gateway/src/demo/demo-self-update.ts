import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DEFAULT_SELF_UPDATE_SETTINGS, type Gateway } from '@iotgw/app';
import { subdeviceKey, toGatewayError } from '@iotgw/domain';
import type { OtaJobRecord } from '@iotgw/hub-emulator';
import type { SelfUpdateConfig } from '../config/self-update-config.js';
import type { DemoFlowContext } from './demo-flow-context.js';
import { waitFor } from './wait-for.js';

/** The versions the demo's gateway goes through: installed, updated to, and the build that never comes up. */
export const GATEWAY_VERSIONS = { first: '1.0.0', good: '1.1.0', broken: '1.2.0' } as const;
/** Short, so the rollback shows within seconds (the config's minimum is 1000 ms). */
const HEALTHY_WITHIN_MS = 3000;
const IMAGE_BYTES = 64 * 1024;

/**
 * The product's side of a self-update, as small scripts run by the real CommandInstaller (argv,
 * no shell): install records the new version as the one to start, rollback puts the old one
 * back; both append to a history the demo checks.
 */
const INSTALL = `import { appendFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
const [image, version] = process.argv.slice(2);
const here = new URL('.', import.meta.url);
writeFileSync(new URL('current-version.tmp', here), version);
renameSync(new URL('current-version.tmp', here), new URL('current-version', here));
appendFileSync(new URL('history.log', here), \`install \${version} (\${statSync(image).size} bytes)\\n\`);
`;
const ROLLBACK = `import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
const [failed, to] = process.argv.slice(2);
const here = new URL('.', import.meta.url);
writeFileSync(new URL('current-version.tmp', here), to);
renameSync(new URL('current-version.tmp', here), new URL('current-version', here));
appendFileSync(new URL('history.log', here), \`rollback \${failed} → \${to}\\n\`);
`;

export interface DemoInstaller {
  /** The config's `selfUpdate` section for a start running `version`. */
  section(version: string): SelfUpdateConfig;
  /** The version the installer (or its rollback) left to be started. */
  installed(): Promise<string>;
  /** What the install and rollback commands did, in order. */
  history(): Promise<string[]>;
}

/** Writes the installer scripts into `dir/gateway-installer`, with version 1.0.0 installed. */
export async function writeDemoInstaller(dir: string): Promise<DemoInstaller> {
  const home = join(dir, 'gateway-installer');
  await mkdir(home, { recursive: true });
  await writeFile(join(home, 'install.mjs'), INSTALL);
  await writeFile(join(home, 'rollback.mjs'), ROLLBACK);
  await writeFile(join(home, 'current-version'), GATEWAY_VERSIONS.first);
  return {
    section: (version) => ({
      installer: { command: [process.execPath, join(home, 'install.mjs')], rollback: [process.execPath, join(home, 'rollback.mjs')] },
      version,
      healthyWithinMs: HEALTHY_WITHIN_MS,
      installTimeoutMs: DEFAULT_SELF_UPDATE_SETTINGS.installTimeoutMs,
      maxProbationBoots: DEFAULT_SELF_UPDATE_SETTINGS.maxProbationBoots,
    }),
    installed: async () => (await readFile(join(home, 'current-version'), 'utf8')).trim(),
    history: async () => (await readFile(join(home, 'history.log'), 'utf8').catch(() => '')).split('\n').filter((l) => l !== ''),
  };
}

/** A port on this machine nothing listens on (bound, then closed): a connection to it is refused at once. */
async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface DemoRestart {
  /** Why the gateway asked for it. */
  readonly reason: string;
  /** The version the installer left, which was started. */
  readonly version: string;
  readonly hub: 'the emulator' | 'a refused address';
}

/** Starts the gateway again (the old one disposed first); `hubPort` replaces the emulator's. */
export type DemoLaunch = (o: { version: string; hubPort?: number; signal: AbortSignal }) => Promise<Gateway>;

/**
 * Plays the supervisor (systemd's Restart=, `iotgw start` exiting 75): when the gateway asks for a
 * restart, it is disposed and started again on the same data dir, running the version the
 * installer recorded. The demo has no broken build to install, so it stands one in: the broken
 * version is started with a hub address that refuses connections, so it is never healthy.
 */
export class DemoSupervisor {
  readonly restarts: DemoRestart[] = [];
  /** A restart that failed; the step waiting on the emulator fails with it. */
  error: Error | undefined;
  readonly #stop = new AbortController();
  #pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly installer: DemoInstaller,
    private readonly launch: DemoLaunch,
    private readonly signal: AbortSignal,
  ) {}

  /** Restarts `gateway` when it asks to be. */
  watch(gateway: Gateway): void {
    void gateway.selfUpdate?.restartRequested.then((reason) => {
      // Never rejects: a failed restart is kept in `error`.
      this.#pending = this.#pending.then(() => this.#restart(reason));
    });
  }

  /** No more restarts; waits for one under way (cut short: its start is aborted). */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#pending;
  }

  async #restart(reason: string): Promise<void> {
    const signal = AbortSignal.any([this.signal, this.#stop.signal]);
    if (signal.aborted) return;
    try {
      const version = await this.installer.installed();
      // The stand-in for a broken build: it cannot reach the hub, so it never becomes healthy.
      const hubPort = version === GATEWAY_VERSIONS.broken ? await refusedPort() : undefined;
      this.restarts.push({ reason, version, hub: hubPort === undefined ? 'the emulator' : 'a refused address' });
      this.watch(await this.launch({ version, ...(hubPort === undefined ? {} : { hubPort }), signal }));
    } catch (error) {
      this.error = toGatewayError(error);
    }
  }
}

export interface SelfUpdateDemo {
  readonly installer: DemoInstaller;
  readonly supervisor: DemoSupervisor;
  /** Where the demo writes the images it pushes. */
  readonly dir: string;
}

interface Pushed {
  readonly job: OtaJobRecord;
  /** Versions the gateway reported (`report_version`) from the push on, with when. */
  readonly versions: ReadonlyArray<{ at: number; version: string }>;
  /** Restarts from the push on. */
  readonly restarts: readonly DemoRestart[];
  readonly states: string;
  readonly bytes: number;
}

/** Pushes an image of `version` for the gateway itself from the emulator and waits until its job ends there. */
/** `until` is called on every poll (it may throw to fail the step early); the wait ends once it returns true and the job ended. */
async function pushGatewayUpdate(c: DemoFlowContext, d: SelfUpdateDemo, version: string, until: (versions: Pushed['versions']) => boolean): Promise<Pushed> {
  const hub = c.hub();
  const gw = subdeviceKey(c.gatewayId);
  const file = join(d.dir, `gateway-${version}.bin`);
  await writeFile(file, randomBytes(IMAGE_BYTES));
  const image = await hub.registerFirmware({ path: file, version });
  const versions: Array<{ at: number; version: string }> = [];
  const onVersion = (device: string, v: string): void => {
    if (device === gw) versions.push({ at: Date.now(), version: v });
  };
  hub.core.on('version', onVersion);
  const restartsBefore = d.supervisor.restarts.length;
  try {
    const pushed = await hub.core.pushFirmware({ subdevice: gw, firmwareId: image.id });
    const job = (): OtaJobRecord => hub.core.jobs.find((j) => j.id === pushed.id) ?? pushed;
    await waitFor(
      `the gateway update to ${version} to end at the emulator, and the gateway to report its version`,
      () => {
        if (d.supervisor.error) throw d.supervisor.error;
        const reported = until(versions);
        return (job().state === 'done' || job().state === 'fail') && reported;
      },
      { timeoutMs: 4 * c.timeoutMs, signal: c.signal, intervalMs: 100 },
    );
    const j = job();
    return { job: j, versions, restarts: d.supervisor.restarts.slice(restartsBefore), states: statesOf(j), bytes: image.size };
  } finally {
    hub.core.off('version', onVersion);
  }
}

/** The job's reports as the emulator recorded them, repeats folded: "downloading → burning → done". */
function statesOf(job: OtaJobRecord): string {
  return job.reports.map((r) => r.report.state).filter((s, i, all) => s !== all[i - 1]).join(' → ');
}

const reportedNow = (c: DemoFlowContext): string | undefined => c.hub().core.reportedVersions.get(subdeviceKey(c.gatewayId));

/**
 * The gateway updates itself: download + MD5 check, `downloading`/`burning` reported, the image
 * handed to the install command, a restart asked for; the supervisor starts the installed
 * version, which is healthy (hub connected) and reports `done` and its version.
 */
export async function selfUpdateGood(c: DemoFlowContext, d: SelfUpdateDemo): Promise<string> {
  const { first, good } = GATEWAY_VERSIONS;
  await waitFor(`the gateway reporting version ${first} to the hub`, () => reportedNow(c) === first, { timeoutMs: c.timeoutMs, signal: c.signal });
  const p = await pushGatewayUpdate(c, d, good, (versions) => versions.some((v) => v.version === good));
  if (p.job.state !== 'done') throw new Error(`the emulator's job says ${p.job.state} ${p.job.failCode ?? ''} ${p.job.failMessage ?? ''}`.trim());
  if (p.states !== 'downloading → burning → done') throw new Error(`the emulator recorded the reports ${p.states}, not downloading → burning → done`);
  const restarts = p.restarts.map((r) => `${r.reason}: started ${r.version} on ${r.hub}`);
  if (restarts.join('; ') !== `gateway version ${good} installed: started ${good} on the emulator`) throw new Error(`the restarts were [${restarts.join('; ')}]`);
  const history = await d.installer.history();
  if (history.at(-1) !== `install ${good} (${p.bytes} bytes)`) throw new Error(`the installer's history ends with "${history.at(-1) ?? ''}"`);
  if (p.versions.at(-1)?.version !== good || reportedNow(c) !== good) throw new Error(`the gateway reported the versions [${p.versions.map((v) => v.version).join(', ')}] since the push`);
  return `${p.bytes} bytes downloaded and verified; install command ran; restart asked for, the demo's supervisor started ${good}; job ${p.job.id}: ${p.states}; hub has version ${good}`;
}

/**
 * An update to a version that never becomes healthy: installed and started, it cannot reach the
 * hub (the demo's stand-in for a broken build), so after `healthyWithinMs` it runs the rollback
 * command and asks for a restart; the old version, started again, reports `fail` and its version.
 */
export async function selfUpdateRolledBack(c: DemoFlowContext, d: SelfUpdateDemo): Promise<string> {
  const { good, broken } = GATEWAY_VERSIONS;
  const before = d.supervisor.restarts.length;
  const p = await pushGatewayUpdate(c, d, broken, (versions) => {
    // A rollback that did not put the old version back shows at the next restart, not at a timeout.
    const brokenStarts = d.supervisor.restarts.slice(before).filter((r) => r.version === broken).length;
    if (brokenStarts > 1) throw new Error(`the supervisor started ${broken} again: the rollback did not put ${good} back`);
    if (versions.some((v) => v.version === broken)) throw new Error(`version ${broken} reported itself to the hub: it came up healthy`);
    // Only the old version, started again, reports a version after this push.
    return versions.some((v) => v.version === good);
  });
  const { job } = p;
  if (job.state !== 'fail') throw new Error(`the emulator's job says ${job.state}, not fail`);
  const expected = `version ${broken} was not healthy within ${HEALTHY_WITHIN_MS} ms (hub not connected); rolled back to ${good}`;
  if (job.failCode !== -5 || job.failMessage !== expected) throw new Error(`the emulator's job failed with ${job.failCode ?? ''} "${job.failMessage ?? ''}", not -5 "${expected}"`);
  if (p.states !== 'downloading → burning → fail') throw new Error(`the emulator recorded the reports ${p.states}, not downloading → burning → fail`);
  const restarts = p.restarts.map((r) => `${r.reason}: started ${r.version} on ${r.hub}`);
  const wanted = [`gateway version ${broken} installed: started ${broken} on a refused address`, `gateway version ${broken} rolled back to ${good}: started ${good} on the emulator`];
  if (restarts.join('; ') !== wanted.join('; ')) throw new Error(`the restarts were [${restarts.join('; ')}]`);
  const history = (await d.installer.history()).slice(-2);
  if (history.join('; ') !== `install ${broken} (${p.bytes} bytes); rollback ${broken} → ${good}`) throw new Error(`the installer's history ends with [${history.join('; ')}]`);
  // The old version's verdict: fail first, then its version; the broken one never reported at all.
  const failAt = job.reports.at(-1)?.at ?? 0;
  if (!p.versions.some((v) => v.version === good && v.at >= failAt) || reportedNow(c) !== good) throw new Error(`no version ${good} reported after the fail report`);
  return `${broken} installed, started on a hub address that refuses connections (the demo's broken build): not healthy within ${HEALTHY_WITHIN_MS} ms → rollback command → supervisor started ${good}; job ${job.id}: ${p.states} ${job.failCode} "${job.failMessage}"; hub has version ${good}`;
}
