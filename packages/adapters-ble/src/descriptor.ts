import { z } from 'zod';
import { ConfigError, defineAdapter, parseSubdeviceKey } from '@iotgw/domain';
import { crcOption, subdeviceKeyOption } from '@iotgw/stream-link';
import type { BleCentral } from './ble-central.port.js';
import { BleSubdeviceLink } from './ble-subdevice-link.js';
import { NobleBleCentral } from './noble-ble-central.js';

/** A BLE link's options, as a config writes them (`{"adapter": "ble", ...}`). */
export const bleLinkOptions = z
  .object({
    /** Name in logs and events; default `ble`. */
    name: z.string().min(1).optional(),
    /** `noble`: the machine's radio. `simulated`: an in-memory central (the demo, tests). */
    central: z.enum(['noble', 'simulated'], { message: 'must be "noble" (the radio) or "simulated"' }).default('noble'),
    crc: crcOption,
    subdevices: z.array(z.object({ id: subdeviceKeyOption, localName: z.string().min(1) }).strict()).default([]),
  })
  .strict();

export type BleLinkOptions = z.infer<typeof bleLinkOptions>;
export type BleCentralChoice = BleLinkOptions['central'];

/** Where each `central` choice comes from. `noble` defaults to the real radio. */
export type BleCentrals = { readonly [C in BleCentralChoice]?: () => BleCentral };

/**
 * The `ble` link with centrals of the caller's choosing: the product bundles it with a simulated
 * central (from `@iotgw/simulators`, which this package does not depend on); the demo hands in
 * the central its simulated peripherals advertise on.
 */
export function createBleLinkAdapter(centrals: BleCentrals = {}) {
  const make: BleCentrals = { noble: () => new NobleBleCentral(), ...centrals };
  return defineAdapter({
    kind: 'link',
    name: 'ble',
    summary: 'subdevices over Bluetooth LE GATT (one connection each) speaking the iotgw link protocol',
    options: bleLinkOptions,
    subdevicesOf: (options) => options.subdevices.map((s) => parseSubdeviceKey(s.id)),
    create: (options, context) => {
      const central = make[options.central];
      if (!central) throw new ConfigError('central', `no ${options.central} BLE central in this build: use "noble"`);
      return new BleSubdeviceLink({
        central: central(),
        subdevices: options.subdevices.map((s) => ({ subdevice: parseSubdeviceKey(s.id), match: { localName: s.localName } })),
        framing: { crc: options.crc },
        logger: context.logger,
        ...(options.name ? { name: options.name } : {}),
      });
    },
  });
}

/** The `ble` link on the machine's radio (noble); `central: "simulated"` needs `createBleLinkAdapter`. */
export const bleLinkAdapter = createBleLinkAdapter();
