import type { AnyAdapterDescriptor, OptionsIssue } from '@iotgw/domain';

/** One problem with an adapter's options: where (dotted option keys, '' for the whole) and what. */
export interface OptionsProblem {
  readonly path: string;
  readonly message: string;
}

export type CheckedOptions = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problems: readonly OptionsProblem[] };

/**
 * Runs a descriptor's Standard Schema on raw options. Config files are checked synchronously (a
 * schema that answers with a promise is reported as a problem, not awaited), so `iotgw validate`,
 * the config parser and `assembleGateway` all give the same answer the same way.
 */
export function checkAdapterOptions(descriptor: AnyAdapterDescriptor, raw: unknown): CheckedOptions {
  const result = descriptor.options['~standard'].validate(raw);
  if (result instanceof Promise) {
    // The promise is dropped on purpose: a config check never waits on an adapter's I/O.
    result.catch(() => {});
    return {
      ok: false,
      problems: [{ path: '', message: `the ${descriptor.kind} adapter "${descriptor.name}" validates its options asynchronously: its options schema must be synchronous` }],
    };
  }
  if (result.issues === undefined) return { ok: true, value: result.value };
  return { ok: false, problems: result.issues.map((issue) => ({ path: issuePath(issue), message: issue.message })) };
}

/** `['subdevices', 0, 'id']` → `subdevices.0.id` (Standard Schema segments may be `{ key }`). */
export function issuePath(issue: OptionsIssue): string {
  return (issue.path ?? []).map((segment) => String(typeof segment === 'object' ? segment.key : segment)).join('.');
}

/** `links.0` + `path` → `links.0.path`. */
export function fieldOf(prefix: string, path: string): string {
  return path ? `${prefix}.${path}` : prefix;
}
