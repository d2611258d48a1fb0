import test from 'ava';
import { CancelledError, LinkError, subdeviceId, type SubdeviceAttachment } from '@iotgw/domain';
import { memoryFirmwareImage, nextEvent, patternBytes } from '@iotgw/testkit';
import { ptyRig } from './pty-rig.js';
import { simulatorOn } from './sim-port.js';

const VALVE = subdeviceId('ABCDEFGHIJ', 'valve1');

// Issue 18's failures, at the link over a real pty: a subdevice back before the keepalive timeout
// (a quick reboot), one that says BYE(reboot) first, and a cancelled delivery.
async function rig(t: import('ava').ExecutionContext, keepaliveTimeoutMs = 10_000) {
  // A long keepalive timeout: only the HELLO can tell the gateway that the subdevice restarted.
  const { link, port, sims } = await ptyRig(t, { keepaliveIntervalMs: 500, keepaliveTimeoutMs, subdevices: [{ subdevice: VALVE, address: 1 }] });
  const sim = simulatorOn(port, { productId: VALVE.productId, deviceName: VALVE.deviceName, firmwareVersion: '1.0.0', applyMs: 50 });
  sims.push(sim);
  const attached = nextEvent<SubdeviceAttachment>((l) => link.on('attached', l), 10_000);
  sim.start();
  await attached;
  const events: Array<[string, string]> = [];
  link.on('detached', (d) => events.push(['detached', d.reason]));
  link.on('attached', (a) => events.push(['attached', a.firmwareVersion]));
  return { link, sim, events };
}

const image = memoryFirmwareImage(patternBytes(96 * 1024, 17), '2.0.0');

test('a quick reboot mid-transfer over a pty: detached (reboot) + attached, and the next delivery resumes at the held offset', async (t) => {
  const { link, sim, events } = await rig(t);
  sim.firmwareBehaviour = { cutAt: 40_000 };
  const crashed = nextEvent((l) => sim.events.on('crashed', l), 20_000);
  const first = link.deliverFirmware(VALVE, image);
  first.catch(() => undefined);
  await crashed;
  sim.start(); // back at once: far inside the 10 s keepalive timeout
  const error = await t.throwsAsync(first, { instanceOf: LinkError });
  t.is(error?.code, 'link.disconnected');
  t.deepEqual(events, [
    ['detached', 'reboot'],
    ['attached', '1.0.0'],
  ]);
  const result = await link.deliverFirmware(VALVE, image, { timeoutMs: 60_000 });
  t.deepEqual(result, { ok: true, version: '2.0.0' });
  t.true(sim.offersFrom[1]! >= 40_000, `resumed at ${sim.offersFrom[1]}`);
  t.deepEqual(sim.lastImage, patternBytes(96 * 1024, 17));
});

test('BYE(reboot) then HELLO over a pty: detached (reboot) at the BYE, attached at the HELLO', async (t) => {
  const { sim, events } = await rig(t);
  await sim.sendData(Uint8Array.of(1));
  const back = nextEvent((l) => sim.events.on('connected', l), 10_000);
  sim.reboot();
  await back;
  t.deepEqual(events, [
    ['detached', 'reboot'],
    ['attached', '1.0.0'],
  ]);
});

test('a cancelled delivery over a pty: CancelledError at once, the subdevice hears FW_CANCEL and keeps its bytes for the next offer', async (t) => {
  const { link, sim } = await rig(t);
  const controller = new AbortController();
  const cancelled = nextEvent<{ version: string }>((l) => sim.events.on('cancelled', l), 10_000);
  const first = link.deliverFirmware(VALVE, image, {
    signal: controller.signal,
    onProgress: (p) => {
      if (p.bytes >= 20_000) controller.abort();
    },
  });
  await t.throwsAsync(first, { instanceOf: CancelledError });
  t.deepEqual(await cancelled, { version: '2.0.0' });
  const result = await link.deliverFirmware(VALVE, image, { timeoutMs: 60_000 });
  t.deepEqual(result, { ok: true, version: '2.0.0' });
  t.true(sim.offersFrom[1]! >= 20_000, `resumed at ${sim.offersFrom[1]}`);
});
