import type { CallOptions } from '../call-options.js';
import type { EventSource } from '../events.js';
import type { GatewayError } from '../errors.js';
import type { FirmwareImage } from './firmware-store.port.js';
import type { SubdeviceId } from '../subdevice-id.js';
import type { JsonValue } from './state-store.port.js';

/** What a link can carry, so callers adapt instead of probing (a BLE link has a small MTU). */
export interface LinkCapabilities {
  /** Largest application payload one `send` accepts, in bytes. */
  readonly maxPayloadSize: number;
  /** True when the link itself acknowledges and retransmits. */
  readonly isReliable: boolean;
  readonly supportsFirmware: boolean;
}

export interface SubdeviceAttachment {
  readonly subdevice: SubdeviceId;
  readonly firmwareVersion: string;
}

/**
 * Why a subdevice left: silent past its keepalive timeout, the medium vanished (port unplugged,
 * BLE disconnect), it said goodbye, it rebooted (announced itself again, or said goodbye for a
 * reboot: an `attached` follows when it is back), or the link stopped.
 */
export type DetachReason = 'keepalive_timeout' | 'link_lost' | 'goodbye' | 'reboot' | 'stopped';

export interface UplinkData {
  readonly subdevice: SubdeviceId;
  readonly payload: Uint8Array;
  /**
   * The topic channel the subdevice named (`event`, a product-defined one): published on
   * `{pid}/{dev}/{channel}`. Absent on links and subdevices that name none: `data`.
   */
  readonly channel?: string;
  /**
   * Present on links that acknowledge data to the subdevice (`isReliable`). A listener that takes
   * the reading calls it, synchronously within the `data` handler, with a promise that resolves
   * once the reading is durable (held where a crash cannot lose it, or acknowledged by the hub):
   * the link acknowledges the reading only then, and not at all if the promise rejects (the
   * subdevice keeps it and sends it again). Called by several listeners, the link waits for all.
   * Not called by any: the link acknowledges at once (links and listeners from before keep working).
   */
  readonly acknowledgeWhen?: (durable: Promise<unknown>) => void;
}

export interface SubdeviceLinkEvents {
  [event: string]: (payload: never) => void;
  attached: (attachment: SubdeviceAttachment) => void;
  detached: (event: { readonly subdevice: SubdeviceId; readonly reason: DetachReason }) => void;
  data: (data: UplinkData) => void;
  /** The subdevice reported shadow state (links with ShadowCapableLink): its `reported` object. */
  shadowReported: (report: { readonly subdevice: SubdeviceId; readonly reported: { [key: string]: JsonValue } }) => void;
  /** A fault no caller waits for (bad frame, port vanished); the link keeps trying. */
  error: (error: GatewayError) => void;
}

export interface SendOptions extends CallOptions {
  /**
   * The channel the hub sent the message on (`{pid}/{dev}/{channel}`); default `data`. A link or
   * subdevice that cannot carry another channel rejects with LinkError 'link.unavailable' and
   * sends nothing (it never passes another channel's message off as `data`).
   */
  readonly channel?: string;
}

export type DeliveryPhase = 'transferring' | 'applying';

export interface DeliveryProgress {
  readonly phase: DeliveryPhase;
  readonly bytes: number;
  readonly total: number;
  readonly percent: number;
}

export interface DeliverFirmwareOptions extends CallOptions {
  readonly onProgress?: (progress: DeliveryProgress) => void;
}

/** What the subdevice said after applying an image. */
export type FirmwareDeliveryResult =
  | { readonly ok: true; readonly version: string }
  | { readonly ok: false; readonly code: number; readonly message: string };

/**
 * The way to a group of subdevices (a serial port, a BLE central, a test pipe).
 *
 * Contract:
 * - `start` resolves when the link is listening; subdevices then announce themselves with
 *   `attached` (again after every reattach). `stop` emits `detached` ('stopped') for each attached
 *   subdevice, then resolves; it is idempotent.
 * - `send` resolves when the subdevice acknowledged (reliable links) or the bytes left (others);
 *   it rejects with LinkError 'link.unknown_subdevice' for a subdevice not attached, and never
 *   splits or merges payloads larger than `maxPayloadSize` (it rejects them with ValidationError).
 * - `deliverFirmware` transfers the image, reports 'transferring' then 'applying' progress and
 *   resolves with the subdevice's verdict. A cut link rejects with LinkError 'link.disconnected';
 *   calling again after the subdevice reattaches resumes from the last acknowledged offset.
 */
export interface SubdeviceLink extends EventSource<SubdeviceLinkEvents> {
  readonly name: string;
  readonly capabilities: LinkCapabilities;
  start(options?: CallOptions): Promise<void>;
  stop(options?: CallOptions): Promise<void>;
  /** Subdevices attached right now. */
  attachedSubdevices(): SubdeviceAttachment[];
  send(subdevice: SubdeviceId, payload: Uint8Array, options?: SendOptions): Promise<void>;
  deliverFirmware(subdevice: SubdeviceId, image: FirmwareImage, options?: DeliverFirmwareOptions): Promise<FirmwareDeliveryResult>;
}
