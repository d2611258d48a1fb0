/**
 * V8's JSON errors quote the text around the fault (`..."ceSecret":U1VQRVJTRU"...`), which can be
 * part of a secret, and give positions as character offsets. Keep the kind of error, drop the
 * quote, and say where as line and column. Used for every file a user edits that may hold secrets
 * (device_info.json, the hub emulator's registry).
 */
export function describeJsonError(message: string, text: string): string {
  const headline = (message.split(/, "|,? \.\.\."| in JSON at position| at position/)[0] ?? '').replace(/ '.*'$/, '').trim() || 'invalid JSON';
  const at = /at position (\d+)/.exec(message);
  let position = at ? Number(at[1]) : undefined;
  // The quote is `..."<context>"...`; the context itself may hold quotes, so match greedily.
  const quoted = /, (\.\.\.)?"(.+)"(\.\.\.)? is not valid JSON$/s.exec(message);
  if (position === undefined && quoted?.[2]) {
    const index = text.indexOf(quoted[2]);
    // V8 shows 10 characters of context before the fault, or fewer at the start of the text.
    if (index >= 0) position = index + (quoted[1] ? 10 : 0);
  }
  if (position === undefined || position > text.length) return headline;
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return `${headline} at line ${line}, column ${column}`;
}
