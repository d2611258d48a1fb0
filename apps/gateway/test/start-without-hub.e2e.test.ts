import test from 'ava';
import { HubEmulator } from '@iotgw/hub-emulator';
import { reportsUplinkBacklog, subdeviceKey } from '@iotgw/domain';
import { SENSOR1, startRig } from './helpers/rig.js';
import { waitFor } from '../src/demo/wait-for.js';

test.serial('a gateway starts without its hub, holds its subdevices\' readings, and delivers them in order once the hub appears', async (t) => {
  const rig = await startRig(t, { memory: true, bindings: [SENSOR1] });
  const port = Number(new URL(rig.hub.urls.mqtt).port);
  await rig.hub.close(); // the uplink is not there yet (power cut, a slow modem)

  const started = Date.now();
  const gateway = await rig.startGateway({ timeoutMs: 500 });
  t.true(Date.now() - started < 10_000, 'start does not wait for the hub');
  t.not(gateway.hub.state, 'connected');
  rig.bench.subdevices[0]?.powerOn();
  for (let i = 0; i < 20; i++) await rig.bench.subdevices[0]?.sendData(new TextEncoder().encode(`{"seq":${i}}`));
  const hub = gateway.hub;
  await waitFor('the readings held', () => reportsUplinkBacklog(hub) && (hub.uplinkBacklog()?.held[subdeviceKey(SENSOR1)] ?? 0) >= 20, { timeoutMs: 30_000 });

  const emulator = await HubEmulator.start({ mqttPort: port, httpPort: 0, registryPath: rig.registryPath });
  t.teardown(() => emulator.close());
  await waitFor('sensor1 online at the hub', () => emulator.isOnline(SENSOR1.productId, SENSOR1.deviceName), { timeoutMs: 60_000 });
  const delivered = (): number[] =>
    emulator.core.messages
      .filter((m) => m.direction === 'up' && m.topic === `${subdeviceKey(SENSOR1)}/data`)
      .map((m) => (JSON.parse(m.payload) as { seq: number }).seq);
  await waitFor('the held readings at the hub', () => delivered().length >= 20, { timeoutMs: 20_000 });
  t.deepEqual(delivered(), Array.from({ length: 20 }, (_, i) => i));
  t.is(emulator.denials.length, 0);
  t.is(gateway.hub.state, 'connected');
});
