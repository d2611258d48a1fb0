import { SubdeviceOperationRefusedError, type SubdeviceId, type SubdeviceOperation, type SubdeviceRefusalReason } from '@iotgw/domain';

/** The hub's `result` codes the fake answers with (protocol.md §3). */
export const HUB_RESULT = { ok: 0, notBound: -1, systemError: -2 } as const;

/** The message the fake puts beside a result code. */
export function hubResultMessage(hubCode: number): string {
  if (hubCode === HUB_RESULT.ok) return 'success';
  if (hubCode === HUB_RESULT.notBound) return 'gateway not bound to this subdevice';
  if (hubCode === HUB_RESULT.systemError) return 'system error';
  return `hub result ${hubCode}`;
}

const REASONS: ReadonlyMap<number, SubdeviceRefusalReason> = new Map([
  [HUB_RESULT.notBound, 'not_bound'],
  [HUB_RESULT.systemError, 'hub_system_error'],
]);

/** The named refusal the fake puts beside a non-zero code, as the MQTT transport does. */
export function hubRefusal(op: SubdeviceOperation, subdevice: SubdeviceId, hubCode: number): { error?: SubdeviceOperationRefusedError } {
  if (hubCode === HUB_RESULT.ok) return {};
  return { error: new SubdeviceOperationRefusedError(op, subdevice, REASONS.get(hubCode) ?? 'undocumented', hubCode, hubResultMessage(hubCode)) };
}
