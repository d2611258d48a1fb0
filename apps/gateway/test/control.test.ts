import 'reflect-metadata';
import test from 'ava';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SubdeviceSessions } from '@iotgw/app';
import { subdeviceKey } from '@iotgw/domain';
import { runCli, type CliOutput } from '../src/index.js';
import '../src/cli/commands.js';
import { ControlServer } from '../src/control/control-server.js';
import { waitFor } from '../src/demo/wait-for.js';
import { GATEWAY, SENSOR1, SENSOR2, startRig } from './helpers/rig.js';

function capture(): CliOutput & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

test.serial('iotgw subdevices bind/list/online/offline/unbind and ota status drive a running gateway', async (t) => {
  const rig = await startRig(t, { memory: true });
  const gateway = await rig.startGateway();
  const control = await ControlServer.start(gateway, 0);
  t.teardown(() => control.close());
  const port = new URL(control.url).port;
  const gw = subdeviceKey(GATEWAY);
  const s1 = subdeviceKey(SENSOR1);
  const cli = async (...args: string[]): Promise<{ code: number; out: string }> => {
    const io = capture();
    const code = await runCli([...args, '--port', port], io);
    return { code, out: [...io.stdout, ...io.stderr].join('\n') };
  };

  const bound = await cli('subdevices', 'bind', s1, subdeviceKey(SENSOR2));
  t.is(bound.code, 0, bound.out);
  t.true(rig.hub.registry.isBound(gw, s1));
  rig.bench.subdevices[0]?.powerOn();
  await waitFor('sensor1 online', () => rig.hub.isOnline(SENSOR1.productId, SENSOR1.deviceName), { timeoutMs: 20_000 });
  // The gateway applies the hub's answer a moment after the emulator records it (it subscribes
  // the subdevice's topics first): wait for its own view before listing.
  const sessions = gateway.container.resolve(SubdeviceSessions);
  await waitFor('sensor1 online at the gateway', () => sessions.stateOf(SENSOR1) === 'online', { timeoutMs: 20_000 });

  // The hub marks sensor1 online before its reply (and the SUBACK of sensor1's topics) reach the
  // gateway: on a loaded box the gateway's own list can still say "bound" for a moment.
  let list = await cli('subdevices', 'list');
  for (const deadline = Date.now() + 20_000; !/sensor1\s+online/.test(list.out) && Date.now() < deadline; list = await cli('subdevices', 'list')) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  t.is(list.code, 0);
  t.regex(list.out, /hub: connected/);
  t.regex(list.out, /SB00000001\/sensor1\s+online\s+ble:simulated\s+1\.0\.0\s+-\s+0/);
  t.regex(list.out, /held for the hub: \d+ reading\(s\), \d+\.\d MiB, oldest \d+ s/);
  t.regex(list.out, /SB00000001\/sensor2\s+bound\s+-/);
  // --json: the same facts as one JSON document for scripts.
  const listJson = await cli('subdevices', 'list', '--json');
  t.is(listJson.code, 0, listJson.out);
  const status = JSON.parse(listJson.out) as { hub: string; subdevices: Array<{ id: string; session: string; link?: string; firmwareVersion?: string }> };
  t.is(status.hub, 'connected');
  t.like(status.subdevices.find((s) => s.id === s1), { session: 'online', link: 'ble:simulated', firmwareVersion: '1.0.0' });
  t.like(status.subdevices.find((s) => s.id === subdeviceKey(SENSOR2)), { session: 'bound' });

  const offline = await cli('subdevices', 'offline', s1);
  t.is(offline.code, 0, offline.out);
  t.false(rig.hub.isOnline(SENSOR1.productId, SENSOR1.deviceName));
  const online = await cli('subdevices', 'online', s1);
  t.is(online.code, 0, online.out);
  t.true(rig.hub.isOnline(SENSOR1.productId, SENSOR1.deviceName));

  t.regex((await cli('ota', 'status')).out, /no firmware job in progress/);
  t.deepEqual(JSON.parse((await cli('ota', 'status', '--json')).out), { jobs: [] });

  const unbound = await cli('subdevices', 'unbind', s1);
  t.is(unbound.code, 0, unbound.out);
  t.false(rig.hub.registry.isBound(gw, s1));

  // A refusal by the hub is exit 1 with the hub's code; a bad id or operation is exit 2.
  const refused = await cli('subdevices', 'online', 'SB00000009/ghost');
  t.is(refused.code, 1, refused.out);
  t.regex(refused.out, /SB00000009\/ghost\s+refused\s+subdevice_not_found\s+-802\s+refused: the subdevice does not exist on the hub/);
  // Unbound already: the emulator answers -1 as the platform does, named not_bound, in the table and in --json.
  const again = await cli('subdevices', 'unbind', s1);
  t.is(again.code, 1, again.out);
  t.regex(again.out, /refused\s+not_bound\s+-1\s+the gateway is not bound to this subdevice/);
  const againJson = JSON.parse((await cli('subdevices', 'unbind', s1, '--json')).out) as { results: unknown[] };
  t.like(againJson.results[0], { id: s1, ok: false, hubCode: -1, reason: 'not_bound' });
  t.is((await cli('subdevices', 'reboot', s1)).code, 2);
  t.is((await cli('subdevices', 'bind')).code, 2);
  // Binding a subdevice whose secret the config does not have is the config's problem: 400 with
  // the fix, and the command prints it plainly (no "answered 500").
  const noSecret = await fetch(`${control.url}/subdevices/bind`, { method: 'POST', body: JSON.stringify({ subdevices: ['SB00000001/nosuch'] }) });
  t.is(noSecret.status, 400);
  t.like(await noSecret.json(), { code: 'secret.missing' });
  const secretless = await cli('subdevices', 'bind', 'SB00000001/nosuch');
  t.not(secretless.code, 0);
  t.regex(secretless.out, /no secret for subdevice SB00000001\/nosuch: add it to the secret store/);
  t.notRegex(secretless.out, /answered 500/);
});

test('iotgw subdevices list without a running gateway says so (exit 1, no stack)', async (t) => {
  const io = capture();
  t.is(await runCli(['subdevices', 'list', '--port', '1'], io), 1);
  t.regex(io.stderr.join('\n'), /no gateway answers at http:\/\/127\.0\.0\.1:1\/subdevices/);
  t.notRegex(io.stderr.join('\n'), /\n\s+at /);
});

test('iotgw subdevices list against a port that is not a gateway\'s control endpoint says so (exit 1, no stack)', async (t) => {
  // The hub emulator's HTTP port answers JSON 404s; another web server answers HTML.
  for (const [status, type, text] of [
    [404, 'application/json', '{"error":"no route GET /subdevices","code":"not_found"}'],
    [200, 'text/html', '<html><body>router login</body></html>'],
  ] as const) {
    const server = createServer((_req, res) => res.writeHead(status, { 'content-type': type }).end(text));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const io = capture();
    const code = await runCli(['subdevices', 'list', '--port', String(port)], io);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const err = io.stderr.join('\n');
    t.is(code, 1, err);
    t.true(err.includes(`http://127.0.0.1:${port}/subdevices is not the control endpoint of an iotgw gateway (it answered ${status}): give --port the "control.port" of iotgw start (default 7380)`), err);
    t.notRegex(err, /\n\s+at |unexpected error/);
  }
});
