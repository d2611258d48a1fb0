import { SubdeviceOperationRefusedError, type SubdeviceId, type SubdeviceOperation, type SubdeviceRefusalReason } from '@iotgw/domain';

/**
 * The hub's per-device `result` values in gateway operation replies (online, offline, bind,
 * unbind). 0, -1 and -2 are in the gateway docs; the -80x bind codes come from the vendor C SDK
 * (`QCLOUD_ERR_BIND_*` in qcloud_iot_export_error.h, which returns the hub's `result` as is) and
 * the Tencent Cloud IoT AT command set's "gateway subdevice command errors" table (ESP-AT docs,
 * which list them unsigned as 801..810).
 */
export const GATEWAY_RESULT = {
  success: 0,
  notBound: -1,
  systemError: -2,
  /** Bind request parameters are wrong (missing or malformed fields). */
  bindParameterError: -801,
  /** The subdevice name is not valid or the subdevice does not exist. */
  subdeviceNotFound: -802,
  /** The bind signature does not verify against the subdevice's secret. */
  bindSignatureMismatch: -803,
  /** The sign method is not supported (only hmacsha1 / hmacsha256 are). */
  bindSignMethodUnsupported: -804,
  /** The bind signature has expired (its timestamp is too far from the hub's clock). */
  bindSignatureExpired: -805,
  /** The subdevice is already bound to another gateway. */
  boundToAnotherGateway: -806,
  /** The device is not an ordinary device and cannot be bound as a subdevice. */
  bindNotAllowed: -807,
  /** The operation is not permitted. */
  operationNotPermitted: -808,
  /** Repeated bind request: the subdevice is already bound to this gateway. */
  alreadyBound: -809,
  /** The subdevice is not supported. */
  subdeviceUnsupported: -810,
} as const;

const GATEWAY_RESULT_MEANINGS: ReadonlyMap<number, string> = new Map([
  [0, 'success'],
  [-1, 'the gateway is not bound to this subdevice (bind it first, in the console or with bind)'],
  [-2, 'system error on the hub (retry later)'],
  [-801, 'bind refused: request parameters are wrong'],
  [-802, 'refused: the subdevice does not exist on the hub or its name is not valid — check its product id and device name'],
  [-803, "bind refused: signature does not match — check the subdevice's secret"],
  [-804, 'bind refused: sign method not supported (use hmacsha1 or hmacsha256)'],
  [-805, "bind refused: signature expired — check the gateway's clock"],
  [-806, 'bind refused: the subdevice is already bound to another gateway (unbind it there first)'],
  [-807, 'bind refused: this device cannot be bound as a subdevice (not an ordinary device)'],
  [-808, 'refused: operation not permitted'],
  [-809, 'bind refused: already bound to this gateway (repeated bind request)'],
  [-810, 'bind refused: subdevice not supported'],
]);

const GATEWAY_RESULT_REASONS: ReadonlyMap<number, SubdeviceRefusalReason> = new Map([
  [-1, 'not_bound'],
  [-2, 'hub_system_error'],
  [-801, 'invalid_parameters'],
  [-802, 'subdevice_not_found'],
  [-803, 'signature_mismatch'],
  [-804, 'sign_method_unsupported'],
  [-805, 'signature_expired'],
  [-806, 'bound_to_another_gateway'],
  [-807, 'not_bindable'],
  [-808, 'not_permitted'],
  [-809, 'already_bound'],
  [-810, 'subdevice_unsupported'],
]);

/** The stable name of a refusal code (unsigned 801..810, as the AT docs print them, read the same). */
export function gatewayResultReason(code: number): SubdeviceRefusalReason {
  return GATEWAY_RESULT_REASONS.get(code) ?? (code >= 801 && code <= 810 ? GATEWAY_RESULT_REASONS.get(-code) : undefined) ?? 'undocumented';
}

/** A non-zero `result` as the named error callers get; undefined for 0 (success). */
export function gatewayRefusal(operation: SubdeviceOperation, subdevice: SubdeviceId, code: number): SubdeviceOperationRefusedError | undefined {
  if (code === 0) return undefined;
  return new SubdeviceOperationRefusedError(operation, subdevice, gatewayResultReason(code), code, describeGatewayResult(code));
}

/** OTA `result_code` values of a `fail` report (see OTA_FAIL in @iotgw/domain). */
const OTA_RESULT_MEANINGS: ReadonlyMap<number, string> = new Map([
  [0, 'success'],
  [-1, 'firmware download timed out'],
  [-2, 'firmware file not found (HTTP 404)'],
  [-3, 'firmware download not authorised or URL signature expired (HTTP 403)'],
  [-4, 'firmware MD5 mismatch'],
  [-5, 'firmware upgrade (burn) failed'],
]);

/**
 * Human meaning of a gateway operation `result`; unknown codes are named as such, not guessed.
 * The AT command docs print the bind codes unsigned (803); the hub sends them negative (-803):
 * both read the same.
 */
export function describeGatewayResult(code: number): string {
  const known = GATEWAY_RESULT_MEANINGS.get(code) ?? (code >= 801 && code <= 810 ? GATEWAY_RESULT_MEANINGS.get(-code) : undefined);
  return known ?? `hub result code ${code} (undocumented)`;
}

export function describeOtaResult(code: number): string {
  return OTA_RESULT_MEANINGS.get(code) ?? `OTA result code ${code} (undocumented)`;
}
