import test from 'ava';
import { CapturingLogger } from '@iotgw/testkit';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROCESS_SENSOR1_SECRET, processRig, type GatewayProcess, type ProcessRig } from './helpers/gateway-process.js';
import { waitFor } from '../src/demo/wait-for.js';

// A configuration pushed from the hub that changes only links is applied by the running process:
// no exit 75, no new MQTT connection. Emulator ⇄ MQTT ⇄ `iotgw start` ⇄ serial over a socat pty ⇄
// simulated sensor1.

const GW = 'GW00000001/gw1';

interface ConfigResult {
  readonly type: string;
  readonly result: number;
  readonly message: string;
}

function results(rig: ProcessRig): ConfigResult[] {
  return rig.hub.core.messages.filter((m) => m.direction === 'up' && m.topic === `${GW}/event`).map((m) => JSON.parse(m.payload) as ConfigResult);
}

/** Pushes `document` and resolves with the gateway's config_result for it. */
async function push(rig: ProcessRig, document: Record<string, unknown>): Promise<ConfigResult> {
  const before = results(rig).length;
  await rig.hub.core.services.pushConfig(GW, document);
  await waitFor('the config_result at the hub', () => results(rig).length > before, { timeoutMs: 30_000 });
  return results(rig)[before] as ConfigResult;
}

/** How many times the gateway connected to the emulator (its log line per authenticated CONNECT). */
const connections = (log: CapturingLogger): number => log.lines.filter((l) => l.message === 'device connected' && l.context?.['device'] === GW).length;

/** A bind or unbind through the gateway's control endpoint; the hub's answer for sensor1. */
async function control(gw: GatewayProcess, op: 'bind' | 'unbind'): Promise<{ ok: boolean; message: string }> {
  const res = await fetch(`${gw.control}/subdevices/${op}`, { method: 'POST', body: JSON.stringify({ subdevices: ['SB00000001/sensor1'] }) });
  const body = (await res.json()) as { results: Array<{ ok: boolean; message: string }> };
  return body.results[0] as { ok: boolean; message: string };
}

async function stopped(t: import('ava').ExecutionContext, gw: GatewayProcess): Promise<void> {
  gw.child.kill('SIGTERM');
  t.is(await gw.exited, 0, gw.output());
}

test.serial('remote config live: a pushed link is started by the running gateway (its subdevice comes online), a removed one stopped (offline), secrets, firmware policy and downlink bound changed, on the same MQTT connection', async (t) => {
  const log = new CapturingLogger();
  const rig = await processRig(t, { hubLogger: log, config: { links: [], control: { port: 0 } } });
  if (!rig) return t.pass('socat not installed');
  const gw = await rig.start();
  t.regex(gw.output(), /running with 0 link\(s\)/);
  await waitFor('the gateway to ask for its config', () => rig.hub.core.messages.some((m) => m.topic.startsWith(`$config/operation/${GW}`)), { timeoutMs: 30_000 });
  const sensor1 = rig.bench.subdevices[0]!;
  sensor1.powerOn();

  // The link comes with sensor1's secret (a file reference): both live.
  const secretFile = join(rig.dir, 'sensor1.secret');
  await writeFile(secretFile, PROCESS_SENSOR1_SECRET);
  const added = await push(rig, { ...rig.config, links: rig.bench.links, secrets: { 'SB00000001/sensor1': { file: secretFile } } });
  t.like(added, { type: 'config_result', result: 0, message: 'links, secrets applied now' });
  await waitFor('sensor1 online through the added link', () => rig.hub.isOnline('SB00000001', 'sensor1'), { timeoutMs: 30_000 });
  await sensor1.sendData(new TextEncoder().encode('{"t":21}'));
  await waitFor('its reading at the hub', () => rig.hub.core.messages.some((m) => m.topic === 'SB00000001/sensor1/data' && m.payload === '{"t":21}'), { timeoutMs: 30_000 });
  t.regex(gw.output(), /links changed live: added serial:sensor1; 0 kept running/);
  // A bind now presents the secret the pushed config named.
  t.like(await control(gw, 'unbind'), { ok: true });
  t.false(rig.hub.registry.isBound(GW, 'SB00000001/sensor1'));
  t.like(await control(gw, 'bind'), { ok: true });
  t.true(rig.hub.registry.isBound(GW, 'SB00000001/sensor1'));

  const removed = await push(rig, { ...rig.config, links: [] });
  t.like(removed, { result: 0, message: 'links, secrets applied now' });
  await waitFor('sensor1 offline (its link was removed)', () => !rig.hub.isOnline('SB00000001', 'sensor1'), { timeoutMs: 30_000 });

  // The firmware source policy, the OTA delivery slots and the downlink bound are read at each use: live too.
  const settings = await push(rig, { ...rig.config, links: [], ota: { allowLoopback: true, allowedHosts: ['fw.example.com'], concurrencyPerLink: 2 }, downlink: { queueLength: 8 } });
  t.like(settings, { result: 0, message: 'ota, downlink applied now' });
  // ota.allowLoopback/allowLinkLocal are not (the firmware store's guard): they wait for a restart.

  t.is(connections(log), 1, 'one MQTT connection the whole time');
  t.true(rig.hub.registry.isOnline(GW));
  t.is(gw.child.exitCode, null, 'no restart');
  t.notRegex(gw.output(), /stopping to restart/);
  await stopped(t, gw);
});

test.serial('remote config live: a pushed link that does not start within healthyWithinSec is rolled back, reported, refused when the hub sends it again; the gateway runs on its links', async (t) => {
  const log = new CapturingLogger();
  const rig = await processRig(t, { hubLogger: log, config: { control: { port: 0 }, deviceServices: { remoteConfig: { healthyWithinSec: 2 } } } });
  if (!rig) return t.pass('socat not installed');
  const gw = await rig.start();
  rig.bench.subdevices[0]!.powerOn();
  await waitFor('sensor1 online', () => rig.hub.isOnline('SB00000001', 'sensor1'), { timeoutMs: 30_000 });

  // /dev/null passes the checks (a character device) but is no serial port: the link never opens.
  const document = { ...rig.config, links: [...rig.bench.links, { adapter: 'serial', name: 'serial:gone', path: '/dev/null' }] };
  const outcome = await push(rig, document);
  t.is(outcome.result, 1, outcome.message);
  t.regex(outcome.message, /^rolled back, the gateway runs on the configuration before it: a new link did not start within 2 s: serial port \/dev\/null could not be opened/);
  t.regex(gw.output(), /is rolled back, the links before it run again/);

  // The hub answers the next request with the document it holds: refused, not tried again.
  const again = await push(rig, document);
  t.is(again.result, 1);
  t.regex(again.message, /this configuration was rolled back at .* \(a new link did not start within 2 s/);

  t.true(rig.hub.isOnline('SB00000001', 'sensor1'), 'the link that was there kept its subdevice online');
  await rig.bench.subdevices[0]!.sendData(new TextEncoder().encode('{"t":22}'));
  await waitFor('a reading after the rollback at the hub', () => rig.hub.core.messages.some((m) => m.topic === 'SB00000001/sensor1/data' && m.payload === '{"t":22}'), { timeoutMs: 30_000 });
  t.is(connections(log), 1);
  t.is(gw.child.exitCode, null, 'no restart');
  await stopped(t, gw);
});

test.serial('remote config live: pushed channels are followed by the running gateway: a hub message on a new subscribe channel reaches the subdevice, its reading on a new publish channel reaches the hub, on the same MQTT connection', async (t) => {
  const log = new CapturingLogger();
  const rig = await processRig(t, { hubLogger: log, config: { control: { port: 0 } } });
  if (!rig) return t.pass('socat not installed');
  const gw = await rig.start();
  const sensor1 = rig.bench.subdevices[0]!;
  sensor1.powerOn();
  await waitFor('sensor1 online', () => rig.hub.isOnline('SB00000001', 'sensor1'), { timeoutMs: 30_000 });
  const sim = sensor1.simulator;
  const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

  // Before: user/alarm is not declared, a reading on it is refused (never reaches the hub).
  await t.throwsAsync(sim.sendData(bytes('{"early":1}'), { channel: 'user/alarm' }));

  // The operator defines the topics in the console, then pushes the config declaring them.
  await rig.hub.registry.setProductTopics('SB00000001', ['user/alarm', 'user/cmd']);
  const outcome = await push(rig, { ...rig.config, channels: { SB00000001: { publish: ['user/alarm'], subscribe: ['user/cmd'] } } });
  t.like(outcome, { type: 'config_result', result: 0, message: 'channels applied now' });
  t.regex(gw.output(), /channels changed live/);

  await rig.hub.core.sendData('SB00000001/sensor1', '{"led":1}', 'user/cmd');
  await waitFor('the user/cmd message at sensor1', () => sim.received.length >= 1, { timeoutMs: 30_000 });
  t.deepEqual(sim.received.map((p, i) => `${sim.receivedChannels[i]} ${new TextDecoder().decode(p)}`), ['user/cmd {"led":1}']);

  await sim.sendData(bytes('{"level":"high"}'), { channel: 'user/alarm' });
  const upAt = (topic: string): string[] => rig.hub.core.messages.filter((m) => m.direction === 'up' && m.topic === topic).map((m) => m.payload);
  await waitFor('the user/alarm reading at the hub', () => upAt('SB00000001/sensor1/user/alarm').length > 0, { timeoutMs: 30_000 });
  t.deepEqual(upAt('SB00000001/sensor1/user/alarm'), ['{"level":"high"}']);

  t.is(rig.hub.stats.aclDenials, 0);
  t.is(connections(log), 1, 'one MQTT connection the whole time');
  t.true(rig.hub.isOnline('SB00000001', 'sensor1'), 'sensor1 stayed online');
  t.is(gw.child.exitCode, null, 'no restart');
  t.notRegex(gw.output(), /stopping to restart/);
  await stopped(t, gw);
});
