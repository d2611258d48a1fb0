import { GATEWAY_RESULT } from '@iotgw/protocol-tencent';

/**
 * Per-device `result` codes the emulator answers with. 0, -1 and -2 are the hub's documented codes
 * (from protocol-tencent). The hub does not document codes for an unknown device, a bad bind
 * signature or a stale bind timestamp; the emulator uses the distinct values below so tests can
 * tell the cases apart (a gateway treats any non-zero as a failure and keeps the code).
 */
export const EMULATOR_RESULT = {
  ...GATEWAY_RESULT,
  /** The subdevice is not in the registry. */
  unknownDevice: -3,
  /** The bind signature does not verify against the subdevice secret. */
  badSignature: -4,
  /** The bind timestamp is too far from the hub's clock. */
  staleTimestamp: -5,
} as const;
