import test from 'ava';
import { createModbusLink, type ModbusSubdeviceLink } from '../src/index.js';
import { LinkWatch } from './helpers/link-watch.js';
import { PymodbusServer, pymodbusTestsEnabled, type RegisterMap } from './helpers/pymodbus-server.js';
import { PtyCable } from './helpers/socat-pty.js';
import { typedModel, typedRegisters, typedValues } from './helpers/typed-model.js';

const maybe = pymodbusTestsEnabled() ? test.serial : test.serial.skip;

const SUB = 'MODBUS0001/typed';

interface Rig {
  cable: PtyCable;
  server: PymodbusServer;
  link: ModbusSubdeviceLink;
  watch: LinkWatch;
}

async function rig(t: { teardown(fn: () => Promise<void> | void): void }, map: RegisterMap, units: unknown[], extra: Record<string, unknown> = {}): Promise<Rig> {
  const cable = await PtyCable.create();
  t.teardown(() => cable.dispose());
  const server = await PymodbusServer.start({ rtu: cable.device }, map);
  t.teardown(() => server.stop());
  const link = await createModbusLink({ rtu: { path: cable.gateway, baudRate: 115200 }, units, requestTimeoutMs: 300, ...extra });
  const watch = new LinkWatch(link);
  t.teardown(async () => {
    await link.stop();
    watch.close();
  });
  await link.start({ timeoutMs: 10_000 });
  return { cable, server, link, watch };
}

maybe('RTU: readings are decoded with the right types, word and byte orders and scale, one JSON reading per poll cycle', async (t) => {
  const { watch } = await rig(t, typedRegisters(7), [{ subdevice: SUB, unitId: 7, model: typedModel, pollIntervalMs: 200 }]);
  const [first] = await watch.readingCount(SUB, 2);
  t.deepEqual(first!.value, typedValues);
  t.deepEqual(watch.attached.map((a) => [a.key, a.firmwareVersion]), [[SUB, '1.4.2']], 'attached once, version from the ascii register');
});
