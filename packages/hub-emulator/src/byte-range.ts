/**
 * Parses a single `Range: bytes=a-b` header against a file size. Accepts the SDKs' quirk of
 * sending `bytes={offset}-{file_size}` (one past the last byte) by clamping the end to size-1.
 * Returns undefined for no/unsupported range (serve whole file), 'unsatisfiable' for a start past the end.
 */
export function parseByteRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined;
  const [, a = '', b = ''] = match;
  if (a === '' && b === '') return undefined;
  let start: number;
  let end: number;
  if (a === '') {
    // Suffix range: the last b bytes.
    const suffix = Number(b);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}
