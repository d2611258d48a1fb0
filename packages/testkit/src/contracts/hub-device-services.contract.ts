import type { ExecutionContext, TestFn } from 'ava';
import { offersDeviceServices, type HubLogLevel, type RemoteConfigMessage } from '@iotgw/domain';
import { eventually, nextEvent } from './eventually.js';
import type { HubTransportHarness } from './hub-transport.contract.js';

/**
 * The clauses of the gateway's own services (remote configuration, log level, its event topic),
 * for a transport that offers them (`offersDeviceServices`) and a harness that plays the console.
 */
export function describeDeviceServicesContract(test: TestFn, name: string, connected: (t: ExecutionContext) => Promise<HubTransportHarness>): void {
  const services = async (t: ExecutionContext): Promise<{ h: HubTransportHarness; hub: NonNullable<HubTransportHarness['deviceServices']> } | undefined> => {
    const h = await connected(t);
    if (!h.deviceServices || !offersDeviceServices(h.transport)) {
      t.pass('the transport offers no device services');
      return undefined;
    }
    return { h, hub: h.deviceServices };
  };

  test(`${name}: device services: the log level is answered when asked, and a console change arrives`, async (t) => {
    const s = await services(t);
    if (!s || !offersDeviceServices(s.h.transport)) return;
    await s.hub.setLogLevel('warn', false);
    const answer = nextEvent<HubLogLevel>((l) => s.h.transport.on('logLevel', l), 5000, 'logLevel');
    await s.h.transport.requestLogLevel({ timeoutMs: 5000 });
    t.is(await answer, 'warn');
    const change = nextEvent<HubLogLevel>((l) => s.h.transport.on('logLevel', l), 5000, 'logLevel');
    await s.hub.setLogLevel('debug', true);
    t.is(await change, 'debug');
  });

  test(`${name}: device services: remote config is answered when asked (1001 when disabled), and a console push arrives`, async (t) => {
    const s = await services(t);
    if (!s || !offersDeviceServices(s.h.transport)) return;
    type Message = RemoteConfigMessage;
    const next = (): Promise<Message> => nextEvent<Message>((l) => s.h.transport.on('remoteConfig', l), 5000, 'remoteConfig');
    await s.hub.setRemoteConfig({ logLevel: 'debug', ota: { allowLoopback: true } }, true);
    let answer = next();
    await s.h.transport.requestRemoteConfig({ timeoutMs: 5000 });
    t.deepEqual(await answer, { type: 'reply', result: 0, config: { logLevel: 'debug', ota: { allowLoopback: true } } });
    await s.hub.setRemoteConfig(undefined, false);
    answer = next();
    await s.h.transport.requestRemoteConfig({ timeoutMs: 5000 });
    t.like(await answer, { type: 'reply', result: 1001 });
    answer = next();
    await s.hub.pushRemoteConfig({ logLevel: 'info' });
    t.deepEqual(await answer, { type: 'push', result: 0, config: { logLevel: 'info' } });
  });

  test(`${name}: device services survive a reconnect: a console change after the connection came back still arrives`, async (t) => {
    const s = await services(t);
    if (!s || !offersDeviceServices(s.h.transport)) return;
    await s.h.cutConnection();
    await s.h.restoreConnection();
    await eventually(() => s.h.transport.state, (state) => state === 'connected', { timeoutMs: 10_000, what: 'the transport back' });
    const level = nextEvent<HubLogLevel>((l) => s.h.transport.on('logLevel', l), 5000, 'logLevel after the reconnect');
    await s.hub.setLogLevel('error', true);
    t.is(await level, 'error');
    const config = nextEvent<RemoteConfigMessage>((l) => s.h.transport.on('remoteConfig', l), 5000, 'remoteConfig after the reconnect');
    await s.hub.pushRemoteConfig({ logLevel: 'warn' });
    t.like(await config, { type: 'push', config: { logLevel: 'warn' } });
  });

  test(`${name}: device services: an event on the gateway's own topic reaches the hub, also when sent while disconnected`, async (t) => {
    const s = await services(t);
    if (!s || !offersDeviceServices(s.h.transport)) return;
    await s.h.transport.publishGatewayEvent(new TextEncoder().encode('{"n":1}'), { timeoutMs: 5000 });
    await s.h.cutConnection();
    const held = s.h.transport.publishGatewayEvent(new TextEncoder().encode('{"n":2}'));
    await s.h.restoreConnection();
    await held;
    await eventually(() => s.hub.gatewayEventsReceived(), (events) => events.length >= 2, { timeoutMs: 10_000, what: 'both events at the hub' });
    t.deepEqual((await s.hub.gatewayEventsReceived()).map((p) => new TextDecoder().decode(p)), ['{"n":1}', '{"n":2}']);
  });
}
