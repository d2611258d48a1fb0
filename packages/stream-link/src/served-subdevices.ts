import { ValidationError, subdeviceId, subdeviceKey, type SubdeviceId } from '@iotgw/domain';
import { RefusalReason, type HelloRefusal, type PeerInfo } from '@iotgw/link-protocol';

/** A subdevice a link serves, and its bus address when the integrator fixed one. */
export interface ServedSubdevice {
  readonly subdevice: SubdeviceId;
  /** 1..254: the address its firmware uses on this bus. Undefined: any address no other entry holds. */
  readonly address?: number;
}

/** A refusal for the subdevice (what it may show) and for the gateway's log (with the fix). */
export interface Admission {
  readonly refusal: HelloRefusal;
  readonly log: string;
}

/**
 * Which subdevices a link serves, and at which addresses: decides whether a HELLO is answered
 * with HELLO_ACK or HELLO_REFUSED. Built once from the link's configuration, which it validates
 * (an address used twice on one bus is a mistake caught before anything starts).
 */
export class ServedSubdevices {
  readonly #byKey = new Map<string, ServedSubdevice>();
  readonly #byAddress = new Map<number, ServedSubdevice>();

  constructor(
    private readonly linkName: string,
    /** Undefined: serve any subdevice that says HELLO (tests, a bench). */
    private readonly list: readonly ServedSubdevice[] | undefined,
  ) {
    for (const [i, served] of (list ?? []).entries()) {
      const key = subdeviceKey(served.subdevice);
      if (this.#byKey.has(key)) throw new ValidationError(`link ${linkName}: subdevice ${key} is listed twice (entries ${i} and earlier): keep one`);
      this.#byKey.set(key, served);
      if (served.address === undefined) continue;
      if (!Number.isInteger(served.address) || served.address < 1 || served.address > 254) {
        throw new ValidationError(`link ${linkName}: address ${String(served.address)} of ${key} is out of range: use 1..254`);
      }
      const holder = this.#byAddress.get(served.address);
      if (holder) {
        throw new ValidationError(
          `link ${linkName}: address ${served.address} is used by both ${subdeviceKey(holder.subdevice)} and ${key} on one bus: give each subdevice its own address`,
        );
      }
      this.#byAddress.set(served.address, served);
    }
  }

  /** The subdevices listed (empty when the link serves anyone). */
  get subdevices(): readonly ServedSubdevice[] {
    return this.list ?? [];
  }

  /**
   * Undefined to serve the subdevice behind `peer`; otherwise why not. `expected` is who the
   * stream was opened for (a BLE connection to a declared peripheral).
   */
  admit(peer: PeerInfo, expected?: SubdeviceId): Admission | undefined {
    let id: SubdeviceId;
    try {
      id = subdeviceId(peer.productId, peer.deviceName);
    } catch (error) {
      const why = (error as Error).message;
      return refuse(RefusalReason.BAD_IDENTITY, `invalid identity: ${why}`, `subdevice at address ${peer.address} announced an invalid identity: ${why}`);
    }
    const key = subdeviceKey(id);
    if (expected && subdeviceKey(expected) !== key) {
      return refuse(
        RefusalReason.NOT_DECLARED,
        `this connection is for ${subdeviceKey(expected)}`,
        `link ${this.linkName}: the peripheral matched for ${subdeviceKey(expected)} introduced itself as ${key}: fix the match rule or the subdevice's identity`,
      );
    }
    if (!this.list) return undefined;
    const served = this.#byKey.get(key);
    if (!served) {
      return refuse(
        RefusalReason.NOT_DECLARED,
        `${key} is not served by this gateway`,
        `link ${this.linkName}: ${key} (address ${peer.address}) is not declared for this link: add it to the link's subdevices (or the device info's subdevice list) to serve it`,
      );
    }
    if (served.address !== undefined && served.address !== peer.address) {
      return refuse(
        RefusalReason.WRONG_ADDRESS,
        `${key} is declared at address ${served.address}`,
        `link ${this.linkName}: ${key} said HELLO at address ${peer.address} but is declared at ${served.address}: fix the device's address or the config`,
      );
    }
    const holder = this.#byAddress.get(peer.address);
    if (holder && subdeviceKey(holder.subdevice) !== key) {
      return refuse(
        RefusalReason.WRONG_ADDRESS,
        `address ${peer.address} belongs to ${subdeviceKey(holder.subdevice)}`,
        `link ${this.linkName}: ${key} said HELLO at address ${peer.address}, which is declared for ${subdeviceKey(holder.subdevice)}: give it an address of its own`,
      );
    }
    return undefined;
  }
}

function refuse(reason: number, message: string, log: string): Admission {
  return { refusal: { reason, message }, log };
}
