import { GATEWAY_RESULT } from '@iotgw/protocol-tencent';

/**
 * Per-device `result` codes the emulator answers with: the platform's own (see GATEWAY_RESULT in
 * protocol-tencent, which names each one), so a gateway tested here hears what the hub would say.
 */
export const EMULATOR_RESULT = {
  ...GATEWAY_RESULT,
  /** The subdevice is not in the registry (the platform's -802). */
  unknownDevice: GATEWAY_RESULT.subdeviceNotFound,
  /** The bind signature does not verify against the subdevice secret (the platform's -803). */
  badSignature: GATEWAY_RESULT.bindSignatureMismatch,
  /** The bind timestamp is too far from the hub's clock (the platform's -805, signature expired). */
  staleTimestamp: GATEWAY_RESULT.bindSignatureExpired,
  /** A request of a known type whose fields cannot be read (the platform's -801). */
  parameterError: GATEWAY_RESULT.bindParameterError,
} as const;
