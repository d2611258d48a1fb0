import type { CallOptions, Subscription } from '@iotgw/domain';
import type { GattProfile } from './gatt-profile.js';

/** What one advertisement told us about a peripheral. */
export interface BleAdvertisement {
  /** Stable id the central uses to connect (address or OS handle). */
  readonly id: string;
  readonly localName: string | undefined;
  /** Advertised service UUIDs, as the radio reported them. */
  readonly serviceUuids: readonly string[];
  readonly manufacturerData: Uint8Array | undefined;
  readonly rssi: number;
}

export interface BleScanFilter {
  /** Report only peripherals advertising one of these services (empty/undefined: all). */
  readonly services?: readonly string[];
}

export interface BleConnectOptions extends CallOptions {
  /** ATT MTU to ask for; the peripheral may grant less. Default 247. */
  readonly mtu?: number;
}

/**
 * A small port over a BLE central role: only what the iotgw GATT profile needs.
 * Implementations: `NobleBleCentral` (real radio, lazily loaded) and testkit's `SimulatedBleCentral`.
 *
 * Contract:
 * - `scan` resolves once scanning runs; `onFound` is called per advertisement (duplicates allowed);
 *   closing the handle stops scanning. It rejects with LinkError 'link.unavailable' when there is no
 *   usable radio (module missing, unsupported, powered off).
 * - `connect` resolves with a connection whose `mtu` is the negotiated value.
 */
export interface BleCentral {
  readonly name: string;
  scan(filter: BleScanFilter, onFound: (advertisement: BleAdvertisement) => void, options?: CallOptions): Promise<Subscription>;
  connect(peripheralId: string, options?: BleConnectOptions): Promise<BleConnection>;
  /** Releases the radio; pending scans stop. Idempotent. */
  close(options?: CallOptions): Promise<void>;
}

/**
 * One GATT connection.
 * Contract: after a disconnect (either side, or radio loss) every pending and later call rejects
 * with LinkError 'link.disconnected' and `onDisconnect` listeners run exactly once.
 */
export interface BleConnection {
  readonly peripheralId: string;
  /** Negotiated ATT MTU; one write or notification carries at most `mtu - 3` bytes. */
  readonly mtu: number;
  readonly connected: boolean;
  /** Finds the profile's service and characteristics and subscribes to TX notifications. */
  openChannel(profile: GattProfile, options?: CallOptions): Promise<BleGattChannel>;
  onDisconnect(listener: (reason: string) => void): Subscription;
  /** Idempotent; resolves once the link is down. */
  disconnect(options?: CallOptions): Promise<void>;
}

/** The profile's two characteristics on one connection. */
export interface BleGattChannel {
  /** Write without response to RX. `bytes.length` must be ≤ `mtu - 3` (see BleByteStream). */
  write(bytes: Uint8Array, options?: CallOptions): Promise<void>;
  /** TX notifications, in arrival order. */
  onNotify(listener: (bytes: Uint8Array) => void): Subscription;
}
