/** The hub's `result` codes the fake answers with (protocol.md §3). */
export const HUB_RESULT = { ok: 0, notBound: -1, systemError: -2 } as const;

/** The message the fake puts beside a result code. */
export function hubResultMessage(hubCode: number): string {
  if (hubCode === HUB_RESULT.ok) return 'success';
  if (hubCode === HUB_RESULT.notBound) return 'gateway not bound to this subdevice';
  if (hubCode === HUB_RESULT.systemError) return 'system error';
  return `hub result ${hubCode}`;
}
