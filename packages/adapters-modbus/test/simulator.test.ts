import test from 'ava';
import { subdeviceId } from '@iotgw/domain';
import { createModbusLink, EXAMPLE_MODBUS_MODELS } from '../src/index.js';
import { SimulatedEnergyMeter, startModbusSimulator, type SimulatorEndpoint } from '../src/simulator/index.js';
import { LinkWatch } from './helpers/link-watch.js';
import { PtyCable } from './helpers/socat-pty.js';

const METER = subdeviceId('MODBUSDEMO', 'meter1');
const encode = (o: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(o));

function plausible(r: Record<string, unknown>): boolean {
  const n = (k: string): number => r[k] as number;
  return n('voltage') > 225 && n('voltage') < 235 && n('frequency') > 49.9 && n('frequency') < 50.1 && n('energyImport') >= 1234.56 && n('powerFactor') > 0.9 && n('powerFactor') <= 1;
}

for (const kind of ['tcp', 'rtu'] as const) {
  test.serial(`simulated energy meter over ${kind.toUpperCase()}: polled with the example model, version 1.2, relay and demand limit writable`, async (t) => {
    let endpoint: SimulatorEndpoint;
    let linkTarget: Record<string, unknown>;
    if (kind === 'rtu') {
      const cable = await PtyCable.create();
      t.teardown(() => cable.dispose());
      endpoint = { rtu: { path: cable.device, baudRate: 115200 } };
      linkTarget = { rtu: { path: cable.gateway, baudRate: 115200 } };
    } else {
      endpoint = { tcp: {} };
      linkTarget = {};
    }
    const meter = new SimulatedEnergyMeter();
    const sim = await startModbusSimulator(endpoint, new Map([[1, meter]]));
    t.teardown(() => sim.close());
    if (kind === 'tcp') linkTarget = { tcp: { host: '127.0.0.1', port: sim.port } };
    const link = await createModbusLink({ ...linkTarget, units: [{ id: 'MODBUSDEMO/meter1', unit: 1, model: EXAMPLE_MODBUS_MODELS.energyMeter, pollIntervalMs: 200 }] });
    const watch = new LinkWatch(link);
    t.teardown(async () => {
      await link.stop();
      watch.close();
    });
    await link.start();
    const [first] = await watch.readingCount('MODBUSDEMO/meter1', 1);
    t.true(plausible(first!.value), JSON.stringify(first!.value));
    t.deepEqual(Object.keys(first!.value), ['voltage', 'current', 'activePower', 'powerFactor', 'frequency', 'energyImport', 'relay', 'demandLimit']);
    t.deepEqual(watch.attached.map((a) => a.firmwareVersion), ['1.2']);
    await link.send(METER, encode({ set: { relay: false, demandLimit: 25_000 } }));
    t.deepEqual(watch.answers('MODBUSDEMO/meter1'), [{ result: { relay: { ok: true, value: false }, demandLimit: { ok: false, error: 'out of range: 25000 is above the maximum 20000' } } }]);
    const off = await watch.nextReading('MODBUSDEMO/meter1', (r) => r.relay === false);
    t.is(off.current, 0);
    t.is(off.activePower, 0);
    t.false(meter.relay);
    // A demand limit below the load makes the meter open its relay by itself.
    await link.send(METER, encode({ set: { relay: true, demandLimit: 10 } }));
    await watch.nextReading('MODBUSDEMO/meter1', (r) => r.demandLimit === 10 && r.relay === false);
    t.is(meter.demandLimitW, 10);
    t.deepEqual(watch.errors, []);
  });
}
