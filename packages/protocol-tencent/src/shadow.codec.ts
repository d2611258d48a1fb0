import type { ShadowState } from '@iotgw/domain';
import { decoded, refused, type DecodeOptions, type DecodeResult } from './decode-result.js';
import { isObject, looseInteger, nonEmptyString, parseJsonObject, type JsonObject } from './json-payload.js';

// The device shadow on `$shadow/operation[/result]/{pid}/{dev}` (docs/device-services.md § Shadow).

/** Hub → device: a reply to get/update, or a delta push. */
export type ShadowHubMessage =
  | { readonly type: 'delta'; readonly version: number; readonly state: ShadowState }
  | {
      readonly type: 'reply';
      readonly operation: 'get' | 'update';
      readonly result: number;
      readonly clientToken: string;
      readonly version: number | undefined;
      readonly reported: ShadowState | undefined;
      readonly desired: ShadowState | undefined;
      readonly delta: ShadowState | undefined;
    };

/** Device → hub. `desired: null` clears desired; a null field in `reported` deletes it. */
export type ShadowDeviceMessage =
  | { readonly type: 'get'; readonly clientToken: string }
  | {
      readonly type: 'update';
      readonly clientToken: string;
      readonly reported: ShadowState | undefined;
      readonly desired: ShadowState | null | undefined;
      /** Absent or 0: no version check. */
      readonly version: number | undefined;
    };

/** The hub's shadow result codes: 0 success, 5005 version conflict (the only ones documented). */
export const SHADOW_RESULT = { ok: 0, versionConflict: 5005 } as const;

const q = (s: string): string => JSON.stringify(s);

// ---------- gateway side ----------

export function encodeShadowGet(clientToken: string): string {
  return `{"type":"get","clientToken":${q(clientToken)}}`;
}

export function encodeShadowUpdate(update: { readonly clientToken: string; readonly reported?: ShadowState; readonly clearDesired?: boolean }): string {
  const state: Record<string, unknown> = {};
  if (update.reported) state['reported'] = update.reported;
  if (update.clearDesired) state['desired'] = null;
  return JSON.stringify({ type: 'update', state, clientToken: update.clientToken });
}

function stateOf(value: unknown): ShadowState | undefined {
  return isObject(value) ? (value as ShadowState) : undefined;
}

function version(value: unknown): number | undefined {
  const v = looseInteger(value);
  return v !== undefined && v >= 0 ? v : undefined;
}

export function decodeShadowHubMessage(payload: string | Uint8Array, options: DecodeOptions = {}): DecodeResult<ShadowHubMessage> {
  const parsed = parseJsonObject(payload, options);
  if (!parsed.ok) return parsed;
  const m = parsed.value;
  const body: JsonObject = isObject(m['payload']) ? m['payload'] : {};
  if (m['type'] === 'delta') {
    const state = stateOf(body['state']);
    const v = version(body['version']);
    if (!state) return refused('shadow delta without a payload.state object');
    if (v === undefined) return refused('shadow delta without a payload.version');
    return decoded({ type: 'delta', version: v, state });
  }
  if (m['type'] !== 'get' && m['type'] !== 'update') return refused(`unknown shadow message type ${JSON.stringify(m['type'])}`);
  const result = looseInteger(m['result']);
  const clientToken = nonEmptyString(m['clientToken'], 128);
  // The C SDK drops a reply without a clientToken: nobody can be waiting for it.
  if (result === undefined) return refused(`shadow ${m['type']} reply without a numeric result`);
  if (!clientToken) return refused(`shadow ${m['type']} reply without a clientToken`);
  const state: JsonObject = isObject(body['state']) ? body['state'] : {};
  return decoded({
    type: 'reply',
    operation: m['type'],
    result,
    clientToken,
    version: version(body['version']),
    reported: stateOf(state['reported']),
    desired: stateOf(state['desired']),
    delta: stateOf(state['delta']),
  });
}

// ---------- hub side (the emulator) ----------

export function decodeShadowDeviceMessage(payload: string | Uint8Array, options: DecodeOptions = {}): DecodeResult<ShadowDeviceMessage> {
  const parsed = parseJsonObject(payload, options);
  if (!parsed.ok) return parsed;
  const m = parsed.value;
  const clientToken = nonEmptyString(m['clientToken'], 128);
  if (!clientToken) return refused('shadow request without a clientToken');
  if (m['type'] === 'get') return decoded({ type: 'get', clientToken });
  if (m['type'] !== 'update') return refused(`unknown shadow request type ${JSON.stringify(m['type'])}`);
  if (!isObject(m['state'])) return refused('shadow update without a state object');
  const state = m['state'];
  if (state['reported'] !== undefined && !isObject(state['reported'])) return refused('shadow update: state.reported must be an object');
  if (state['desired'] !== undefined && state['desired'] !== null && !isObject(state['desired'])) return refused('shadow update: state.desired must be an object or null');
  if (m['version'] !== undefined && version(m['version']) === undefined) return refused('shadow update: version must be a non-negative integer');
  return decoded({
    type: 'update',
    clientToken,
    reported: stateOf(state['reported']),
    desired: state['desired'] === null ? null : stateOf(state['desired']),
    version: version(m['version']),
  });
}

export function encodeShadowReply(reply: {
  readonly operation: 'get' | 'update';
  readonly result: number;
  readonly clientToken: string;
  readonly timestamp: number;
  readonly version: number;
  readonly state: { readonly reported?: ShadowState; readonly desired?: ShadowState | null; readonly delta?: ShadowState };
}): string {
  return JSON.stringify({
    type: reply.operation,
    result: reply.result,
    timestamp: reply.timestamp,
    clientToken: reply.clientToken,
    payload: { state: reply.state, version: reply.version, timestamp: reply.timestamp },
  });
}

export function encodeShadowDelta(delta: { readonly version: number; readonly state: ShadowState; readonly timestamp: number }): string {
  return JSON.stringify({ type: 'delta', timestamp: delta.timestamp, payload: { state: delta.state, version: delta.version, timestamp: delta.timestamp } });
}
