import type { BackoffPolicyOptions, CallOptions } from '@iotgw/domain';
import { LinkProtocolSubdeviceLink, type LinkProtocolSubdeviceLinkOptions } from '@iotgw/stream-link';
import type { BleCentral } from './ble-central.port.js';
import { BleStreamProvider } from './ble-stream-provider.js';
import { type GattProfile, IOTGW_GATT_PROFILE } from './gatt-profile.js';
import { type DeclaredBleSubdevice, validateDeclared } from './subdevice-match.js';

export interface BleSubdeviceLinkOptions extends Omit<LinkProtocolSubdeviceLinkOptions, 'name' | 'provider' | 'subdevices'> {
  readonly central: BleCentral;
  /** The subdevices to look for and how to recognise their advertisements. */
  readonly subdevices: readonly DeclaredBleSubdevice[];
  /** Default 'ble'. */
  readonly name?: string;
  readonly profile?: GattProfile;
  /** ATT MTU to ask for. Default 247. */
  readonly mtu?: number;
  readonly scanServices?: readonly string[];
  readonly backoff?: BackoffPolicyOptions;
  readonly connectTimeoutMs?: number;
  /**
   * Close the central when the link stops (default true), so a real radio's bindings do not keep
   * the process alive. Set false when the central is shared with something else.
   */
  readonly ownsCentral?: boolean;
}

/**
 * SubdeviceLink over Bluetooth LE: each declared subdevice is its own GATT connection carrying the
 * link protocol as a byte stream (see gatt-profile.ts). Reconnects with backoff; a peripheral that
 * introduces itself as anyone but the subdevice it was matched for is refused; firmware delivery
 * resumes where the subdevice says it stopped.
 */
export class BleSubdeviceLink extends LinkProtocolSubdeviceLink {
  readonly #central: BleCentral;
  readonly #ownsCentral: boolean;

  constructor(options: BleSubdeviceLinkOptions) {
    validateDeclared(options.subdevices);
    const { central, subdevices, name, profile, mtu, scanServices, backoff, connectTimeoutMs, ownsCentral, ...link } = options;
    super({
      ...link,
      name: name ?? 'ble',
      subdevices: subdevices.map((d) => ({ subdevice: d.subdevice })),
      provider: new BleStreamProvider({
        central,
        profile: profile ?? IOTGW_GATT_PROFILE,
        subdevices,
        ...(scanServices ? { scanServices } : {}),
        ...(mtu ? { mtu } : {}),
        ...(backoff ? { backoff } : {}),
        ...(connectTimeoutMs ? { connectTimeoutMs } : {}),
      }),
    });
    this.#central = central;
    this.#ownsCentral = ownsCentral ?? true;
  }

  override async stop(options: CallOptions = {}): Promise<void> {
    await super.stop(options);
    if (this.#ownsCentral) await this.#central.close(options);
  }
}
