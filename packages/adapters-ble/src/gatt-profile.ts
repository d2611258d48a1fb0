import { ValidationError } from '@iotgw/domain';

/**
 * The iotgw GATT profile a BLE subdevice exposes. MCU firmware implements exactly this:
 *
 * | role | UUID | properties | direction |
 * |---|---|---|---|
 * | service "iotgw link" | {@link IOTGW_GATT_PROFILE}.service | primary, advertised | — |
 * | RX characteristic | {@link IOTGW_GATT_PROFILE}.rx | write without response | gateway → subdevice |
 * | TX characteristic | {@link IOTGW_GATT_PROFILE}.tx | notify (CCCD) | subdevice → gateway |
 *
 * Both characteristics carry one ordered byte stream each way (link-protocol frames are
 * delimiter-framed, so the stream needs no extra header): the sender splits it into pieces of at
 * most `MTU - 3` bytes (the ATT payload), the receiver concatenates them in arrival order.
 * The UUIDs are our own 128-bit base (random, version 4), not the Nordic UART ones, so a generic
 * NUS device is never mistaken for an iotgw subdevice.
 */
export interface GattProfile {
  /** Primary service UUID, lower-case, with dashes. */
  readonly service: string;
  /** Characteristic the gateway writes without response. */
  readonly rx: string;
  /** Characteristic the subdevice notifies on. */
  readonly tx: string;
}

export const IOTGW_GATT_PROFILE: GattProfile = Object.freeze({
  service: 'a1e70001-5c2b-4d3e-9f10-7b6c0d1e2f30',
  rx: 'a1e70002-5c2b-4d3e-9f10-7b6c0d1e2f30',
  tx: 'a1e70003-5c2b-4d3e-9f10-7b6c0d1e2f30',
});

/** ATT header bytes in a Write Command / Handle Value Notification (opcode + handle). */
export const ATT_HEADER_BYTES = 3;
/** The MTU every BLE link starts with (Bluetooth Core, ATT_MTU default). */
export const DEFAULT_ATT_MTU = 23;
/** The largest ATT MTU the spec allows. */
export const MAX_ATT_MTU = 517;

/** Bytes of our stream one write or notification can carry at this MTU. */
export function attPayloadSize(mtu: number): number {
  if (!Number.isInteger(mtu) || mtu < DEFAULT_ATT_MTU || mtu > MAX_ATT_MTU) {
    throw new ValidationError(`ATT MTU ${String(mtu)} is out of range: use an integer from ${DEFAULT_ATT_MTU} to ${MAX_ATT_MTU}`);
  }
  return mtu - ATT_HEADER_BYTES;
}

/** UUIDs compare lower-case without dashes (noble reports them that way). */
export function normalizeUuid(uuid: string): string {
  return uuid.replace(/-/g, '').toLowerCase();
}
