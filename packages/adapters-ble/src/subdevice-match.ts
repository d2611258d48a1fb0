import { type SubdeviceId, ValidationError } from '@iotgw/domain';
import type { BleAdvertisement } from './ble-central.port.js';

/**
 * How a declared subdevice is recognised in advertisements. Every given field must match;
 * with none given the local name must equal the device name (the simplest firmware setup).
 */
export interface BleSubdeviceMatch {
  /** Exact advertised local name. */
  readonly localName?: string;
  /** Advertised manufacturer data must start with these bytes (company id first, little-endian). */
  readonly manufacturerDataPrefix?: Uint8Array;
  /** The central's peripheral id (MAC address on Linux), when it is stable and known. */
  readonly peripheralId?: string;
}

export interface DeclaredBleSubdevice {
  readonly subdevice: SubdeviceId;
  readonly match?: BleSubdeviceMatch;
}

export function matchesAdvertisement(declared: DeclaredBleSubdevice, ad: BleAdvertisement): boolean {
  const match = declared.match ?? {};
  const hasRule = match.localName !== undefined || match.manufacturerDataPrefix !== undefined || match.peripheralId !== undefined;
  if (!hasRule) return ad.localName === declared.subdevice.deviceName;
  if (match.peripheralId !== undefined && match.peripheralId.toLowerCase() !== ad.id.toLowerCase()) return false;
  if (match.localName !== undefined && match.localName !== ad.localName) return false;
  if (match.manufacturerDataPrefix !== undefined) {
    const data = ad.manufacturerData;
    const prefix = match.manufacturerDataPrefix;
    if (!data || data.length < prefix.length) return false;
    for (let i = 0; i < prefix.length; i++) if (data[i] !== prefix[i]) return false;
  }
  return true;
}

export function validateDeclared(list: readonly DeclaredBleSubdevice[]): void {
  const seen = new Set<string>();
  for (const d of list) {
    const key = `${d.subdevice.productId}/${d.subdevice.deviceName}`;
    if (seen.has(key)) throw new ValidationError(`BLE subdevice ${key} is declared twice: keep one entry`);
    seen.add(key);
  }
}
