import type { z } from 'zod';
import { ConfigError } from '@iotgw/domain';

/**
 * Parses JSON text against a schema. Every problem becomes one ConfigError whose message lists
 * them all, so a user fixes a file in one go.
 */
export function parseWithSchema<S extends z.ZodType>(schema: S, text: string, source: string): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(source, `is not valid JSON (${describeJsonError(error instanceof Error ? error.message : '', text)})`);
  }
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || '(top level)', message: plainMessage(issue.message) }));
  const [only] = problems;
  if (problems.length === 1 && only) throw new ConfigError(`${source}: ${only.path}`, only.message);
  throw new ConfigError(source, `${problems.length} problems:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
}

/**
 * V8's JSON errors quote the text around the fault (`..."ceSecret":U1VQRVJTRU"...`), which can be
 * part of a secret, and give positions as character offsets. Keep the kind of error, drop the
 * quote, and say where as line and column.
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

/** zod's wording, said the way a person editing a config file thinks of it. */
function plainMessage(message: string): string {
  const typed = /^Invalid input: expected (\w+), received (\w+)$/.exec(message);
  if (!typed) return message;
  const [, expected, received] = typed;
  return received === 'undefined' ? `missing: ${article(expected)} is required` : `must be ${article(expected)}, not ${article(received)}`;
}

function article(word = ''): string {
  return `${/^[aeiou]/.test(word) ? 'an' : 'a'} ${word}`;
}
