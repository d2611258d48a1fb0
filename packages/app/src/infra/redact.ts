/** Keys whose values are secrets wherever they appear (case-insensitive, also inside names like `device_secret`). */
const SECRET_KEY = /secret|password|passwd|signature|token|psk|private.?key/i;
/** Secret-looking values inside free text: `deviceSecret=...`, `"password":"..."`, `signature: ...`. */
const SECRET_IN_TEXT = /((?:device_?secret|secret|password|passwd|signature|token)["']?\s*[:=]\s*["']?)([^\s"',;&}]+)/gi;

export const REDACTED = '[redacted]';

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

export function redactText(text: string): string {
  return text.replace(SECRET_IN_TEXT, (_, head: string) => `${head}${REDACTED}`);
}

/** A copy of `value` with secret-looking keys and values replaced; cycles are cut. */
export function redact(value: unknown, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = isSecretKey(k) ? REDACTED : redact(v, seen);
  return out;
}
