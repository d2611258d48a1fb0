/** The hub's `result` values in gateway operation replies, with what they mean. */
export const GATEWAY_RESULT = {
  success: 0,
  notBound: -1,
  systemError: -2,
} as const;

const GATEWAY_RESULT_MEANINGS: ReadonlyMap<number, string> = new Map([
  [0, 'success'],
  [-1, 'the gateway is not bound to this subdevice (bind it first, in the console or with bind)'],
  [-2, 'system error on the hub (retry later)'],
]);

/** OTA `result_code` values of a `fail` report (see OTA_FAIL in @iotgw/domain). */
const OTA_RESULT_MEANINGS: ReadonlyMap<number, string> = new Map([
  [0, 'success'],
  [-1, 'firmware download timed out'],
  [-2, 'firmware file not found (HTTP 404)'],
  [-3, 'firmware download not authorised or URL signature expired (HTTP 403)'],
  [-4, 'firmware MD5 mismatch'],
  [-5, 'firmware upgrade (burn) failed'],
]);

/** Human meaning of a gateway operation `result`; unknown codes are named as such, not guessed. */
export function describeGatewayResult(code: number): string {
  return GATEWAY_RESULT_MEANINGS.get(code) ?? `hub result code ${code} (undocumented)`;
}

export function describeOtaResult(code: number): string {
  return OTA_RESULT_MEANINGS.get(code) ?? `OTA result code ${code} (undocumented)`;
}

export const GATEWAY_RESULT_TABLE: ReadonlyArray<readonly [number, string]> = [...GATEWAY_RESULT_MEANINGS];
export const OTA_RESULT_TABLE: ReadonlyArray<readonly [number, string]> = [...OTA_RESULT_MEANINGS];
