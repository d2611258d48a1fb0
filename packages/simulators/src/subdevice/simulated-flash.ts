import { createHash } from 'node:crypto';
import { FirmwareResultCode, type FirmwareOffer, type FirmwareOutcome } from '@iotgw/link-protocol';

/** What the simulated subdevice does with an image: apply it, refuse it with a code, or die at an offset. */
export type SimulatedFirmwareBehaviour =
  | 'success'
  | { readonly fail: number; readonly message: string }
  /** Crash (go silent) once this many bytes arrived; keeps them, so the next delivery resumes. One-shot. */
  | { readonly cutAt: number }
  /**
   * Reboot once this many bytes arrived and say HELLO again at once, well before the gateway's
   * keepalive timeout (with `goodbye`, a BYE(reboot) first); keeps the bytes. One-shot.
   */
  | { readonly rebootAt: number; readonly goodbye?: boolean };

/** What a chunk written to flash sets off: nothing, a crash, or a quick reboot. */
export type FlashFault = { readonly kind: 'crash'; readonly offset: number } | { readonly kind: 'reboot'; readonly offset: number; readonly goodbye: boolean };

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/**
 * The subdevice's flash as firmware sees it: the image being received survives a crash or a lost
 * stream, and an offer of the same image (same md5 and size) resumes where it stopped.
 */
export class SimulatedFlash {
  behaviour: SimulatedFirmwareBehaviour;
  /** Offset each accepted offer resumed from. */
  readonly offersFrom: number[] = [];
  /** The last image received whole and applied successfully. */
  lastImage: Uint8Array | undefined;
  #partial: { md5: string; bytes: Uint8Array; received: number } | undefined;

  constructor(behaviour: SimulatedFirmwareBehaviour) {
    this.behaviour = behaviour;
  }

  /** Bytes of the offered image already held: the resume offset to answer with. */
  offer(offer: FirmwareOffer): number {
    const md5 = hex(offer.md5);
    if (!this.#partial || this.#partial.md5 !== md5 || this.#partial.bytes.length !== offer.size) {
      this.#partial = { md5, bytes: new Uint8Array(offer.size), received: 0 };
    }
    this.offersFrom.push(this.#partial.received);
    return this.#partial.received;
  }

  /** Stores in-order bytes; says when the `cutAt` / `rebootAt` behaviour strikes (once). */
  write(offset: number, bytes: Uint8Array): FlashFault | undefined {
    const partial = this.#partial;
    if (!partial) return undefined;
    partial.bytes.set(bytes, offset);
    partial.received = offset + bytes.length;
    const behaviour = this.behaviour;
    if (typeof behaviour === 'object' && 'cutAt' in behaviour && partial.received >= behaviour.cutAt) {
      this.behaviour = 'success';
      return { kind: 'crash', offset: partial.received };
    }
    if (typeof behaviour === 'object' && 'rebootAt' in behaviour && partial.received >= behaviour.rebootAt) {
      this.behaviour = 'success';
      return { kind: 'reboot', offset: partial.received, goodbye: behaviour.goodbye ?? false };
    }
    return undefined;
  }

  /** Verifies and "flashes" the received image: the verdict to report in FW_RESULT. */
  apply(offer: FirmwareOffer): FirmwareOutcome {
    const partial = this.#partial;
    this.#partial = undefined;
    if (!partial || createHash('md5').update(partial.bytes).digest('hex') !== hex(offer.md5)) {
      return { ok: false, code: FirmwareResultCode.MD5_MISMATCH, message: 'image MD5 does not match the offer' };
    }
    const behaviour = this.behaviour;
    if (typeof behaviour === 'object' && 'fail' in behaviour) return { ok: false, code: behaviour.fail, message: behaviour.message };
    this.lastImage = partial.bytes;
    return { ok: true, version: offer.version };
  }
}
