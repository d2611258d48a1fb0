import { LinkError } from '@iotgw/domain';

/** No usable Bluetooth: module not installed, no adapter, unsupported or powered off. */
export function bleUnavailable(reason: string, cause?: unknown): LinkError {
  return new LinkError(
    'link.unavailable',
    `Bluetooth LE is not available: ${reason}. Check that the host has a BLE adapter that is powered on, ` +
      'that @stoprocent/noble is installed, and that the process may use it (Linux: CAP_NET_RAW or root)',
    cause === undefined ? {} : { cause },
  );
}

export function bleDisconnected(peripheralId: string, reason: string): LinkError {
  return new LinkError('link.disconnected', `BLE peripheral ${peripheralId} disconnected: ${reason}`, {
    details: { peripheralId, reason },
  });
}
