import 'reflect-metadata';
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { subdeviceKey } from '@iotgw/domain';
import type { OtaJobRecord } from '@iotgw/hub-emulator';
import { waitFor } from '../src/demo/wait-for.js';
import { SENSOR1, SENSOR2, startRig, type Rig } from './helpers/rig.js';

const s1 = subdeviceKey(SENSOR1);

async function push(rig: Rig, version: string, bytes: number): Promise<() => OtaJobRecord | undefined> {
  const file = join(rig.dir, `fw-${version}.bin`);
  await writeFile(file, randomBytes(bytes));
  const image = await rig.hub.registerFirmware({ path: file, version });
  const pushed = await rig.hub.core.pushFirmware({ subdevice: s1, firmwareId: image.id });
  return () => rig.hub.core.jobs.find((j) => j.id === pushed.id);
}

// Issue 18: a delivery superseded by a newer push is cancelled on the wire (FW_CANCEL), end to
// end over a pty: the subdevice hears it, the newer image is delivered and applied.
test.serial('a newer push mid-delivery cancels the transfer in progress over a pty (FW_CANCEL) and the newer image is applied', async (t) => {
  const rig = await startRig(t, { bindings: [SENSOR1, SENSOR2] });
  const gateway = await rig.startGateway();
  const sensor = rig.bench.subdevices[0]!;
  sensor.powerOn();
  await waitFor('sensor1 online', () => rig.hub.isOnline(SENSOR1.productId, SENSOR1.deviceName), { timeoutMs: 20_000 });
  const first = await push(rig, '1.1.0', 512 * 1024);
  const ota = () => gateway.service.ota.jobOf(SENSOR1);
  await waitFor('the first delivery under way', () => ota()?.phase === 'delivering' && (ota()?.percent ?? 0) >= 10, { timeoutMs: 30_000, intervalMs: 5 });
  const second = await push(rig, '1.2.0', 64 * 1024);
  await waitFor('the second job to end', () => ['done', 'fail'].includes(second()?.state ?? ''), { timeoutMs: 60_000, intervalMs: 100 });
  t.is(second()?.state, 'done', JSON.stringify(second()?.reports.slice(-3)));
  t.is(sensor.version(), '1.2.0');
  t.deepEqual(sensor.cancelled(), ['1.1.0'], 'the subdevice heard FW_CANCEL for the superseded transfer');
  t.is(first()?.state, 'fail', JSON.stringify(first()?.reports.slice(-3)));
});
