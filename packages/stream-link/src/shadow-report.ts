import type { ShadowState } from '@iotgw/domain';

/** A SHADOW_REPORT's bytes as the `reported` object, or undefined when they are not a JSON object. */
export function shadowReportOf(document: Uint8Array): ShadowState | undefined {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(document));
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as ShadowState) : undefined;
}
