import type { z } from 'zod';
import { ConfigError, describeJsonError } from '@iotgw/domain';
import { fileKindOf, wrongKindMessage, type FileKind } from './file-kind.js';

/**
 * Parses JSON text against a schema. Every problem becomes one ConfigError whose message lists
 * them all, so a user fixes a file in one go; a file of another kind (`kind` is the one expected)
 * is named as such instead.
 */
export function parseWithSchema<S extends z.ZodType>(schema: S, text: string, source: string, kind: FileKind): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(source, `is not valid JSON (${describeJsonError(error instanceof Error ? error.message : '', text)})`);
  }
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  // Another of our files in this one's place: say which, not every key the schema misses.
  const found = fileKindOf(json);
  if (found !== undefined && found !== kind) throw new ConfigError(source, wrongKindMessage(found, kind));
  const problems = result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || '(top level)', message: plainMessage(issue.message) }));
  const [only] = problems;
  if (problems.length === 1 && only) throw new ConfigError(`${source}: ${only.path}`, only.message);
  throw new ConfigError(source, `${problems.length} problems:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
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
