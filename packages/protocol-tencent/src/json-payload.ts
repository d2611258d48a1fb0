import { decoded, DEFAULT_MAX_PAYLOAD_BYTES, refused, type DecodeOptions, type DecodeResult } from './decode-result.js';

/** A parsed JSON object with unknown fields: the shape every message decoder starts from. */
export type JsonObject = { readonly [key: string]: unknown };

const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

function byteLength(text: string, maxBytes: number): number {
  // Cheap upper bound first: most payloads are far below the limit and need no encoding.
  return text.length * 3 <= maxBytes ? text.length : encoder.encode(text).byteLength;
}

// JSON's whitespace: space, tab, line feed, carriage return (the same code in bytes and in UTF-16).
const isJsonSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const NOT_AN_OBJECT = 'payload must be a JSON object';

/**
 * Why `at(0..length-1)` cannot be a JSON object, or undefined if it may be one: its first and last
 * characters outside whitespace must be `{` and `}`. Everything else (binary, text, truncated
 * JSON, arrays, numbers) is refused without JSON.parse, whose SyntaxError, stack trace included,
 * costs far more than this look at two ends.
 */
function shapeProblem(length: number, at: (i: number) => number): string | undefined {
  let first = 0;
  while (first < length && isJsonSpace(at(first))) first++;
  if (first === length || at(first) !== OPEN_BRACE) return NOT_AN_OBJECT;
  let last = length - 1;
  while (last > first && isJsonSpace(at(last))) last--;
  return last > first && at(last) === CLOSE_BRACE ? undefined : 'payload is not valid JSON: the object does not end with }';
}

/** Size check, shape pre-check, UTF-8 check and JSON.parse into an object; never throws. */
export function parseJsonObject(payload: string | Uint8Array, options: DecodeOptions = {}): DecodeResult<JsonObject> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  let text: string;
  if (typeof payload === 'string') {
    const size = byteLength(payload, maxBytes);
    if (size > maxBytes) return refused(`payload of ${size} bytes is over the ${maxBytes}-byte limit`, { size, maxBytes });
    const problem = shapeProblem(payload.length, (i) => payload.charCodeAt(i));
    if (problem) return refused(problem);
    text = payload;
  } else if (payload instanceof Uint8Array) {
    if (payload.byteLength > maxBytes) {
      return refused(`payload of ${payload.byteLength} bytes is over the ${maxBytes}-byte limit`, {
        size: payload.byteLength,
        maxBytes,
      });
    }
    // Before decoding: most garbage is refused here without a string ever being made.
    const problem = shapeProblem(payload.byteLength, (i) => payload[i]!);
    if (problem) return refused(problem);
    // One pass over the bytes: the fatal decoder refuses invalid UTF-8 while it decodes.
    try {
      text = utf8.decode(payload);
    } catch {
      return refused('payload is not valid UTF-8');
    }
  } else {
    return refused('payload must be a string or bytes');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return refused('payload is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return refused(NOT_AN_OBJECT);
  }
  return decoded(value as JsonObject);
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A number or a numeric string (SDKs disagree on the spelling); an integer or undefined. */
export function looseInteger(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^-?\d{1,15}$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

export function nonEmptyString(value: unknown, maxLength = 256): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= maxLength ? value : undefined;
}
