import type { z } from 'zod';
import { ConfigError } from '@iotgw/domain';

/**
 * Parses JSON text against a schema. Every problem becomes one ConfigError whose field is the
 * first bad path and whose message lists them all, so a user fixes a file in one go.
 */
export function parseWithSchema<S extends z.ZodType>(schema: S, text: string, source: string): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const why = error instanceof Error ? error.message : 'invalid JSON';
    throw new ConfigError(source, `is not valid JSON (${why})`);
  }
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.') || '(top level)';
    return { path, message: issue.message };
  });
  const first = problems[0]?.path ?? '(top level)';
  const lines = problems.map((p) => `  ${p.path}: ${p.message}`).join('\n');
  throw new ConfigError(`${source}: ${first}`, `${problems.length === 1 ? problems[0]?.message ?? '' : `${problems.length} problems:\n${lines}`}`);
}
