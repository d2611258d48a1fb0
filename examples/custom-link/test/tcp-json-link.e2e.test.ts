/*
 * The proof that an adapter can live outside the product: `iotgw start` (a child process) with
 * "plugins": ["../examples/custom-link"] in its config, the hub emulator, and a subdevice played
 * by this test as a TCP server speaking line-based JSON. Nothing in apps/gateway or packages/app
 * knows this package: the gateway finds it only through "plugins".
 */
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HubEmulator } from '@iotgw/hub-emulator';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
const iotgw = join(dirname(fileURLToPath(import.meta.resolve('@iotgw/gateway'))), 'bin', 'iotgw.js');
const GW = 'GW00000001/gw1';
const SUB = 'SB00000001/tcp1';
const secretOf = (name: string): string => Buffer.from(`custom-link-${name}-secret`).toString('base64');

/** Polls `check` every 50 ms until it holds; fails after `ms` with what it waited for. */
async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The subdevice: a TCP server that says hello to whoever connects and records what it is sent. */
class TcpSubdevice {
  readonly received: unknown[] = [];
  readonly server: Server;
  socket: Socket | undefined;

  constructor() {
    this.server = createServer((socket) => {
      this.socket = socket;
      socket.write(`${JSON.stringify({ hello: { productId: 'SB00000001', deviceName: 'tcp1', version: '1.0.0' } })}\n`);
      createInterface({ input: socket }).on('line', (line) => this.received.push(JSON.parse(line)));
      socket.on('error', () => {});
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as { port: number }).port;
  }

  send(message: unknown): void {
    this.socket?.write(`${JSON.stringify(message)}\n`);
  }

  close(): Promise<void> {
    this.socket?.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function run(args: readonly string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [iotgw, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TCP1_SECRET: secretOf('tcp1') } });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

test('iotgw start loads the example link from "plugins": bind, online, data up to the hub, data down to the subdevice', async (t) => {
  // The config lives one level below the repository root, so the plugin path is the README's.
  const dir = await mkdtemp(join(repo, '.e2e-custom-link-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const registryPath = join(dir, 'registry.json');
  await writeFile(
    registryPath,
    JSON.stringify({
      devices: [
        { productId: 'GW00000001', deviceName: 'gw1', deviceSecret: secretOf('gw1'), gateway: true },
        { productId: 'SB00000001', deviceName: 'tcp1', deviceSecret: secretOf('tcp1') },
      ],
      bindings: [],
    }),
  );
  const hub = await HubEmulator.start({ mqttPort: 0, httpPort: 0, registryPath });
  t.teardown(() => hub.close());
  const subdevice = new TcpSubdevice();
  t.teardown(() => subdevice.close());
  const port = await subdevice.listen();
  const mqtt = new URL(hub.urls.mqtt);
  await writeFile(
    join(dir, 'device_info.json'),
    JSON.stringify({
      auth_mode: 'KEY',
      productId: 'GW00000001',
      deviceName: 'gw1',
      key_deviceinfo: { deviceSecret: secretOf('gw1') },
      subDev: { subdev_list: [{ sub_productId: 'SB00000001', sub_devName: 'tcp1' }] },
    }),
  );
  await writeFile(
    join(dir, 'iotgw.json'),
    JSON.stringify({
      plugins: ['../examples/custom-link'],
      hub: { host: mqtt.hostname, port: Number(mqtt.port), tls: false },
      links: [{ adapter: 'tcp-json', reconnectMs: 100, subdevices: [{ id: SUB, port }] }],
      secrets: { [SUB]: { env: 'TCP1_SECRET' } },
      dataDir: join(dir, 'data'),
      control: { port: 0 },
    }),
  );

  const gateway = run(['start', '--device-info', join(dir, 'device_info.json'), '--config', join(dir, 'iotgw.json')]);
  t.teardown(() => {
    if (gateway.child.exitCode === null && gateway.child.signalCode === null) gateway.child.kill('SIGKILL');
  });
  await until('iotgw start to run', () => gateway.output().includes('running with 1 link(s)') || gateway.child.exitCode !== null);
  t.is(gateway.child.exitCode, null, gateway.output());
  const control = /control, health and metrics: http:\/\/127\.0\.0\.1:(\d+)/.exec(gateway.output())?.[1] ?? '';

  // The gateway connected to the subdevice and it said hello; binding it lets it go online.
  await until('the gateway to connect to the subdevice', () => subdevice.socket !== undefined);
  const bind = run(['subdevices', 'bind', SUB, '--port', control]);
  t.is(await bind.exited, 0, bind.output());
  t.true(hub.registry.isBound(GW, SUB));
  await until(`${SUB} online at the hub`, () => hub.isOnline('SB00000001', 'tcp1'));

  subdevice.send({ data: { temp: 21.5 } });
  await until('the reading at the hub', () => hub.core.messages.some((m) => m.direction === 'up' && m.topic === `${SUB}/data` && m.payload.includes('21.5')));

  await hub.core.sendData(SUB, '{"led":1}');
  await until('the downlink at the subdevice', () => subdevice.received.length > 0);
  t.deepEqual(subdevice.received[0], { data: { led: 1 } });

  gateway.child.kill('SIGTERM');
  t.is(await gateway.exited, 0, gateway.output());
  t.regex(gateway.output(), /iotgw: stopped/);
});
