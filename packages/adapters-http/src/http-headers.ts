export interface ContentRange {
  readonly start: number;
  /** Inclusive. */
  readonly end: number;
  /** Undefined when the server sent `*`. */
  readonly total: number | undefined;
}

/** Parses `bytes start-end/total` (RFC 9110 §14.4); undefined when malformed. */
export function parseContentRange(header: string | undefined): ContentRange | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header?.trim() ?? '');
  if (!match) return undefined;
  const start = Number(match[1]);
  const end = Number(match[2]);
  const total = match[3] === '*' ? undefined : Number(match[3]);
  if (end < start || (total !== undefined && end >= total)) return undefined;
  return { start, end, total };
}

/** The URL without query or credentials: firmware URLs carry signatures that must not reach logs. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid url)';
  }
}
