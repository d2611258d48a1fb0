import type { ExecutionContext, TestFn } from 'ava';
import {
  CancelledError,
  LinkError,
  subdeviceKey,
  ValidationError,
  type DeliveryProgress,
  type DetachReason,
  type SubdeviceAttachment,
  type SubdeviceId,
  type SubdeviceLink,
} from '@iotgw/domain';
import type { FirmwareBehaviour } from '../fakes/memory-subdevice-link.js';
import { eventually, nextEvent, patternBytes } from './eventually.js';
import { memoryFirmwareImage } from './memory-firmware-image.js';

/**
 * A SubdeviceLink plus simulated subdevices on its far end. Implementations: MemorySubdeviceLink
 * (testkit), the serial adapter over socat ptys with the subdevice simulator, the BLE adapter
 * with the simulated central.
 */
export interface SubdeviceLinkHarness {
  readonly link: SubdeviceLink;
  /** At least two subdevice ids the harness can simulate. */
  readonly subdevices: readonly SubdeviceId[];
  /** The subdevice powers up (or comes back) running `version` and announces itself. */
  attach(subdevice: SubdeviceId, version: string): Promise<void>;
  /** The subdevice vanishes without a goodbye (power cut, cable pulled). */
  cut(subdevice: SubdeviceId): Promise<void>;
  /** The subdevice sends `payload` up to the gateway. */
  sendFromSubdevice(subdevice: SubdeviceId, payload: Uint8Array): Promise<void>;
  /** Payloads the subdevice received, in order. */
  receivedBy(subdevice: SubdeviceId): Promise<Uint8Array[]>;
  setFirmwareBehaviour(subdevice: SubdeviceId, behaviour: FirmwareBehaviour): Promise<void>;
  /** The image bytes the subdevice holds after its last completed delivery. */
  firmwareReceived(subdevice: SubdeviceId): Promise<Uint8Array | undefined>;
  dispose(): Promise<void>;
}

export interface SubdeviceLinkContractOptions {
  readonly name?: string;
  /** Firmware image size for delivery clauses (default 8 KiB; keep small for slow links). */
  readonly imageSize?: number;
}

/** The SubdeviceLink contract, clause by clause (subdevice-link.port.ts). */
export function describeSubdeviceLinkContract(
  test: TestFn,
  makeHarness: () => Promise<SubdeviceLinkHarness>,
  options: SubdeviceLinkContractOptions = {},
): void {
  const name = options.name ?? 'SubdeviceLink';
  const imageSize = options.imageSize ?? 8 * 1024;

  const started = async (t: ExecutionContext): Promise<SubdeviceLinkHarness> => {
    const h = await makeHarness();
    t.teardown(() => h.dispose());
    if (h.subdevices.length < 2) throw new Error('harness must simulate at least two subdevices');
    await h.link.start({ timeoutMs: 10_000 });
    return h;
  };
  const attached = async (h: SubdeviceLinkHarness, sub: SubdeviceId, version: string): Promise<SubdeviceAttachment> => {
    const announced = nextEvent<SubdeviceAttachment>(
      (l) => h.link.on('attached', (a) => subdeviceKey(a.subdevice) === subdeviceKey(sub) && l(a)),
      10_000,
      `attached ${subdeviceKey(sub)}`,
    );
    await h.attach(sub, version);
    return announced;
  };

  test(`${name}: capabilities are declared`, async (t) => {
    const h = await makeHarness();
    t.teardown(() => h.dispose());
    const c = h.link.capabilities;
    t.true(Number.isSafeInteger(c.maxPayloadSize) && c.maxPayloadSize > 0);
    t.is(typeof c.isReliable, 'boolean');
    t.is(typeof c.supportsFirmware, 'boolean');
    t.is(typeof h.link.name, 'string');
  });

  test(`${name}: a subdevice announces itself with 'attached' and its firmware version`, async (t) => {
    const h = await started(t);
    const [a] = h.subdevices as [SubdeviceId];
    const attachment = await attached(h, a, '1.0.0');
    t.is(subdeviceKey(attachment.subdevice), subdeviceKey(a));
    t.is(attachment.firmwareVersion, '1.0.0');
    t.deepEqual(
      h.link.attachedSubdevices().map((x) => [subdeviceKey(x.subdevice), x.firmwareVersion]),
      [[subdeviceKey(a), '1.0.0']],
    );
  });

  test(`${name}: send delivers the exact bytes to the addressed subdevice only`, async (t) => {
    const h = await started(t);
    const [a, b] = h.subdevices as [SubdeviceId, SubdeviceId];
    await attached(h, a, '1.0.0');
    await attached(h, b, '1.0.0');
    const payload = new TextEncoder().encode('{"relay":1}');
    await h.link.send(a, payload);
    const got = await eventually(() => h.receivedBy(a), (r) => r.length >= 1, { what: 'payload at the subdevice' });
    t.deepEqual(got.map((p) => Array.from(p)), [Array.from(payload)]);
    t.deepEqual(await h.receivedBy(b), []);
  });

  test(`${name}: data from a subdevice arrives as a 'data' event`, async (t) => {
    const h = await started(t);
    const [a] = h.subdevices as [SubdeviceId];
    await attached(h, a, '1.0.0');
    const data = nextEvent<{ subdevice: SubdeviceId; payload: Uint8Array }>((l) => h.link.on('data', l));
    await h.sendFromSubdevice(a, new TextEncoder().encode('{"temp":20}'));
    const d = await data;
    t.is(subdeviceKey(d.subdevice), subdeviceKey(a));
    t.is(new TextDecoder().decode(d.payload), '{"temp":20}');
  });

  test(`${name}: send to a subdevice that is not attached rejects with LinkError link.unknown_subdevice`, async (t) => {
    const h = await started(t);
    const [a] = h.subdevices as [SubdeviceId];
    const error = await t.throwsAsync(h.link.send(a, new Uint8Array([1])), { instanceOf: LinkError });
    t.is(error?.code, 'link.unknown_subdevice');
  });

  test(`${name}: payloads up to maxPayloadSize are sent whole; larger ones reject with ValidationError`, async (t) => {
    const h = await started(t);
    const [a] = h.subdevices as [SubdeviceId];
    await attached(h, a, '1.0.0');
    const max = h.link.capabilities.maxPayloadSize;
    const biggest = patternBytes(max, 3);
    await h.link.send(a, biggest);
    const got = await eventually(() => h.receivedBy(a), (r) => r.length >= 1, { what: 'max payload at the subdevice' });
    t.is(got.length, 1, 'never split');
    t.deepEqual(got[0], biggest);
    await t.throwsAsync(h.link.send(a, new Uint8Array(max + 1)), { instanceOf: ValidationError });
  });

  test(`${name}: a vanished subdevice is reported with 'detached'`, async (t) => {
    const h = await started(t);
    const [a] = h.subdevices as [SubdeviceId];
    await attached(h, a, '1.0.0');
    const detached = nextEvent<{ subdevice: SubdeviceId; reason: DetachReason }>((l) => h.link.on('detached', l), 15_000);
    await h.cut(a);
    const d = await detached;
    t.is(subdeviceKey(d.subdevice), subdeviceKey(a));
    t.not(d.reason, 'stopped');
    t.deepEqual(h.link.attachedSubdevices(), []);
  });

  test(`${name}: stop emits 'detached' (stopped) for each attached subdevice and is idempotent`, async (t) => {
    const h = await started(t);
    const [a, b] = h.subdevices as [SubdeviceId, SubdeviceId];
    await attached(h, a, '1.0.0');
    await attached(h, b, '2.0.0');
    const detached: Array<[string, DetachReason]> = [];
    h.link.on('detached', (d) => detached.push([subdeviceKey(d.subdevice), d.reason]));
    await h.link.stop();
    t.deepEqual(detached.sort(), [[subdeviceKey(a), 'stopped'], [subdeviceKey(b), 'stopped']].sort() as typeof detached);
    await t.notThrowsAsync(h.link.stop());
    t.is(detached.length, 2);
    t.deepEqual(h.link.attachedSubdevices(), []);
  });

  test(`${name}: deliverFirmware transfers the image, reports transferring then applying, resolves with the new version`, async (t) => {
    const h = await started(t);
    if (!h.link.capabilities.supportsFirmware) return t.pass('link does not carry firmware');
    const [a] = h.subdevices as [SubdeviceId];
    await attached(h, a, '1.0.0');
    const bytes = patternBytes(imageSize, 21);
    const image = memoryFirmwareImage(bytes, '1.1.0');
    const phases: DeliveryProgress[] = [];
    const result = await h.link.deliverFirmware(a, image, { onProgress: (p) => phases.push(p) });
    t.deepEqual(result, { ok: true, version: '1.1.0' });
    const firstApplying = phases.findIndex((p) => p.phase === 'applying');
    t.true(firstApplying > 0, 'transferring reported before applying');
    t.true(phases.slice(0, firstApplying).every((p) => p.phase === 'transferring'));
    t.true(phases.slice(firstApplying).every((p) => p.phase === 'applying'));
    t.is(phases[firstApplying - 1]?.bytes, imageSize);
    t.true(phases.every((p) => p.total === imageSize));
    t.deepEqual(await h.firmwareReceived(a), bytes);
  });

  test(`${name}: a subdevice that refuses the image yields ok false with its own code`, async (t) => {
    const h = await started(t);
    if (!h.link.capabilities.supportsFirmware) return t.pass('link does not carry firmware');
    const [a] = h.subdevices as [SubdeviceId];
    await attached(h, a, '1.0.0');
    await h.setFirmwareBehaviour(a, { fail: 7, message: 'flash verify failed' });
    const result = await h.link.deliverFirmware(a, memoryFirmwareImage(patternBytes(imageSize, 2), '1.1.0'));
    t.false(result.ok);
    t.true(!result.ok && result.code === 7);
  });

  test(`${name}: a cut link rejects with link.disconnected; after reattach delivery resumes from the acknowledged offset`, async (t) => {
    const h = await started(t);
    if (!h.link.capabilities.supportsFirmware) return t.pass('link does not carry firmware');
    const [a] = h.subdevices as [SubdeviceId];
    await attached(h, a, '1.0.0');
    const bytes = patternBytes(imageSize, 33);
    const image = memoryFirmwareImage(bytes, '1.2.0');
    await h.setFirmwareBehaviour(a, { cutAt: Math.floor(imageSize / 2) });
    const error = await t.throwsAsync(h.link.deliverFirmware(a, image), { instanceOf: LinkError });
    t.is(error?.code, 'link.disconnected');
    await attached(h, a, '1.0.0');
    const progress: DeliveryProgress[] = [];
    const result = await h.link.deliverFirmware(a, image, { onProgress: (p) => progress.push(p) });
    t.deepEqual(result, { ok: true, version: '1.2.0' });
    t.true((progress[0]?.bytes ?? 0) > 0, `resumed delivery started at ${String(progress[0]?.bytes)}`);
    t.deepEqual(await h.firmwareReceived(a), bytes);
  });

  test(`${name}: deliverFirmware to a subdevice that is not attached rejects with link.unknown_subdevice`, async (t) => {
    const h = await started(t);
    const [a] = h.subdevices as [SubdeviceId];
    const error = await t.throwsAsync(h.link.deliverFirmware(a, memoryFirmwareImage(patternBytes(16), '1.0.1')), {
      instanceOf: LinkError,
    });
    t.true(error?.code === 'link.unknown_subdevice' || error?.code === 'link.unavailable');
  });

  test(`${name}: cancelling a delivery rejects with CancelledError`, async (t) => {
    const h = await started(t);
    if (!h.link.capabilities.supportsFirmware) return t.pass('link does not carry firmware');
    const [a] = h.subdevices as [SubdeviceId];
    await attached(h, a, '1.0.0');
    const controller = new AbortController();
    const delivery = h.link.deliverFirmware(a, memoryFirmwareImage(patternBytes(imageSize, 8), '1.3.0'), {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.bytes > 0) controller.abort();
      },
    });
    await t.throwsAsync(delivery, { instanceOf: CancelledError });
  });
}
