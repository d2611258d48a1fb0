import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, readlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { NpmTarballInstaller } from '@iotgw/app';
import { subdeviceKey } from '@iotgw/domain';
import { waitFor } from '../src/demo/wait-for.js';
import { GATEWAY, secretOf, startRig } from './helpers/rig.js';

const iotgwBin = fileURLToPath(new URL('../src/bin/iotgw.js', import.meta.url));
const GW = subdeviceKey(GATEWAY);

async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A tiny product version as `npm pack` makes it (`package/` inside a .tgz): its bin runs the real
 * `iotgw start` with this version's own config, the way a product built on iotgw does.
 */
async function productTarball(dir: string, version: string, config: object, deviceInfo: string): Promise<string> {
  const pkg = join(dir, `product-${version}`, 'package');
  await mkdir(pkg, { recursive: true });
  await writeFile(join(pkg, 'package.json'), JSON.stringify({ name: 'fake-gateway-product', version, type: 'module', bin: { gw: 'gw.mjs' } }));
  await writeFile(join(pkg, 'config.json'), JSON.stringify(config));
  await writeFile(
    join(pkg, 'gw.mjs'),
    [
      `process.argv.splice(2, Infinity, 'start', '--device-info', ${JSON.stringify(deviceInfo)}, '--config', new URL('./config.json', import.meta.url).pathname);`,
      `await import(${JSON.stringify(iotgwBin)});`,
    ].join('\n'),
  );
  const tgz = join(dir, `product-${version}.tgz`);
  const tar = spawnSync('tar', ['-czf', tgz, '-C', join(dir, `product-${version}`), 'package']);
  if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr.toString()}`);
  return tgz;
}

/** What systemd's Restart= does for the unit: runs `<root>/current/gw.mjs` again whenever it exits with 75. */
class Supervisor {
  readonly exits: Array<{ code: number | null; output: string }> = [];
  child: ChildProcess | undefined;
  output = '';
  #stopping = false;
  constructor(private readonly root: string) {}

  start(): void {
    this.output = '';
    const child = spawn(process.execPath, [join(this.root, 'current', 'gw.mjs')], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (this.output += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.output += d));
    child.on('exit', (code) => {
      this.exits.push({ code, output: this.output });
      if (code === 75 && !this.#stopping) this.start();
    });
  }

  async stop(): Promise<number | null> {
    this.#stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null) return child?.exitCode ?? null;
    child.kill('SIGTERM');
    await waitFor('the gateway to stop', () => child.exitCode !== null, { timeoutMs: 40_000 });
    return child.exitCode;
  }
}

test.serial('self-update through the hub emulator: 1.0.0 installs 2.0.0 (symlink switched, restarted, done), then 3.0.0 never becomes healthy and is rolled back to 2.0.0 (fail reported)', async (t) => {
  const rig = await startRig(t, { memory: true });
  const mqtt = new URL(rig.hub.urls.mqtt);
  const root = join(rig.dir, 'product');
  const deviceInfo = join(rig.dir, 'device_info.json');
  await writeFile(deviceInfo, JSON.stringify({ auth_mode: 'KEY', productId: GATEWAY.productId, deviceName: GATEWAY.deviceName, key_deviceinfo: { deviceSecret: secretOf(GATEWAY) } }));
  const config = (port: number): object => ({
    hub: { host: mqtt.hostname, port, tls: false },
    dataDir: join(rig.dir, 'gateway-data'),
    logLevel: 'info',
    control: { port: 0 },
    ota: { allowLoopback: true },
    selfUpdate: { installer: 'npm-tarball', root, healthyWithinMs: 4000 },
  });
  const hubPort = Number(mqtt.port);
  const v1 = await productTarball(rig.dir, '1.0.0', config(hubPort), deviceInfo);
  const v2 = await productTarball(rig.dir, '2.0.0', config(hubPort), deviceInfo);
  // 3.0.0 points at a port nobody listens on: it never connects to the hub.
  const v3 = await productTarball(rig.dir, '3.0.0', config(await deadPort()), deviceInfo);
  await new NpmTarballInstaller({ root }).install({ imagePath: v1, version: '1.0.0', fromVersion: '' });

  const supervisor = new Supervisor(root);
  t.teardown(() => {
    if (supervisor.child?.exitCode === null) supervisor.child.kill('SIGKILL');
  });
  supervisor.start();
  const versionReported = (v: string) => () => rig.hub.core.reportedVersions.get(GW) === v;
  await waitFor('1.0.0 to report its version', versionReported('1.0.0'), { timeoutMs: 60_000 });

  const jobOf = (version: string) => rig.hub.core.jobs.find((j) => j.subdevice === GW && j.version === version);
  const image2 = await rig.hub.registerFirmware({ path: v2, version: '2.0.0' });
  await rig.hub.core.pushFirmware({ subdevice: GW, firmwareId: image2.id });
  await waitFor('the update to 2.0.0 to end', () => ['done', 'fail'].includes(jobOf('2.0.0')?.state ?? ''), { timeoutMs: 90_000 });
  const job2 = jobOf('2.0.0');
  t.is(job2?.state, 'done', JSON.stringify({ job: job2, exits: supervisor.exits, output: supervisor.output }, null, 1));
  const states2 = job2?.reports.map((r) => r.report.state) ?? [];
  t.is(states2[0], 'downloading');
  t.true(states2.includes('burning'), states2.join(','));
  await waitFor('2.0.0 to report its version', versionReported('2.0.0'), { timeoutMs: 30_000 });
  t.is(await readlink(join(root, 'current')), join('versions', '2.0.0'));
  t.deepEqual(supervisor.exits.map((e) => e.code), [75], '1.0.0 exited for the restart');
  t.regex(supervisor.exits[0]?.output ?? '', /stopping to restart: gateway version 2\.0\.0 installed/);

  const image3 = await rig.hub.registerFirmware({ path: v3, version: '3.0.0' });
  await rig.hub.core.pushFirmware({ subdevice: GW, firmwareId: image3.id });
  await waitFor('the update to 3.0.0 to end', () => ['done', 'fail'].includes(jobOf('3.0.0')?.state ?? ''), { timeoutMs: 120_000 });
  const job3 = jobOf('3.0.0');
  t.is(job3?.state, 'fail', JSON.stringify({ job: job3, exits: supervisor.exits }, null, 1));
  const verdict = job3?.reports.at(-1)?.report;
  t.is(verdict?.state === 'fail' ? verdict.code : undefined, -5);
  t.regex(verdict?.state === 'fail' ? verdict.message : '', /^version 3\.0\.0 was not healthy within 4000 ms \(hub not connected\); rolled back to 2\.0\.0$/);
  await waitFor('2.0.0 to report its version again', versionReported('2.0.0'), { timeoutMs: 30_000 });
  t.is(await readlink(join(root, 'current')), join('versions', '2.0.0'));
  t.deepEqual(supervisor.exits.map((e) => e.code), [75, 75, 75], '2.0.0 installed 3.0.0, 3.0.0 rolled back');
  t.regex(supervisor.exits[2]?.output ?? '', /stopping to restart: gateway version 3\.0\.0 rolled back to 2\.0\.0/);

  t.is(await supervisor.stop(), 0);
});
