import { join } from 'node:path';
import { sleep } from '../rig/processes.js';
import { TinyDisk } from '../rig/tiny-disk.js';
import type { Scenario, ScenarioSetup } from './scenario.js';

const disks = new Map<string, TinyDisk>();

/** The gateway's dataDir on a 1 MiB filesystem of its own, so the scenario can fill it. */
async function tinyDataDir(scenario: string, dir: string): Promise<ScenarioSetup> {
  const disk = new TinyDisk(join(dir, 'tiny-disk'), 1024);
  const why = await disk.mount();
  if (why) return { skip: why };
  disks.set(scenario, disk);
  return {
    rig: { dataDir: join(disk.mountPoint, 'data') },
    teardown: async () => {
      disks.delete(scenario);
      await disk.unmount();
    },
  };
}

function diskOf(scenario: string): TinyDisk {
  const disk = disks.get(scenario);
  if (!disk) throw new Error(`${scenario}: the tiny disk was not mounted`);
  return disk;
}

export const diskScenarios: readonly Scenario[] = [
  {
    name: 'disk-full',
    profiles: ['short', 'full'],
    description:
      "fill the gateway's dataDir disk, kill -9 the hub for 10 s so the queue must be saved, free the disk, restart the gateway cleanly: nothing lost, no temp files left, duplicates counted",
    setup: (dir) => tinyDataDir('disk-full', dir),
    async run({ rig, healed, check, note }) {
      const disk = diskOf('disk-full');
      note('filler bytes', await disk.fill());
      await rig.hub.kill('SIGKILL');
      await sleep(10_000);
      await rig.hub.start();
      await rig.waitOnline(60_000);
      const left = await TinyDisk.tempFiles(rig.dataDir);
      await disk.free();
      healed();
      check('temp-files', left.length === 0, left.length === 0 ? 'no temp file left by failed saves' : `${left.length} temp files left in dataDir by failed saves (e.g. ${left[0] ?? ''})`);
      // A clean restart after the disk was full: a stale saved queue would be sent again now.
      await rig.gateway.kill('SIGTERM');
      await rig.gateway.start();
      await rig.waitOnline(60_000);
    },
  },
  {
    name: 'disk-full-restart',
    profiles: ['short', 'full'],
    description: "kill -9 the gateway while its dataDir disk is full and start it again: it must run (degraded, loudly) and keep its subdevices' data, not exit",
    setup: (dir) => tinyDataDir('disk-full-restart', dir),
    async run({ rig, healed, note }) {
      const disk = diskOf('disk-full-restart');
      note('filler bytes', await disk.fill());
      await rig.gateway.kill('SIGKILL');
      rig.gateway.spawnOnly();
      await sleep(8_000);
      note('health while full', await rig.gateway.get('/health'));
      await disk.free();
      healed();
      await rig.gateway.waitRunning(60_000);
      await rig.waitOnline(60_000);
    },
  },
];
