const KINDS = ['hub', 'firmware', 'link'];
const NAME = /^[a-z][a-z0-9-]{0,39}$/;

/**
 * What is wrong with something a plugin exports as an adapter descriptor, or undefined. A plugin
 * is code we did not compile: its descriptors are checked before the registry trusts them.
 */
export function checkDescriptorShape(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return `is ${value === null ? 'null' : typeof value}, not an adapter descriptor (made with defineAdapter)`;
  const d = value as Record<string, unknown>;
  if (typeof d['kind'] !== 'string' || !KINDS.includes(d['kind'])) return `has kind ${JSON.stringify(d['kind'])}: must be "hub", "firmware" or "link"`;
  if (typeof d['name'] !== 'string' || !NAME.test(d['name'])) {
    return `has name ${JSON.stringify(d['name'])}: must be lower-case letters, digits and "-", starting with a letter (it is what a config writes as "adapter")`;
  }
  const where = `(${d['kind']} adapter "${d['name']}")`;
  if (typeof d['summary'] !== 'string' || d['summary'] === '') return `${where} has no summary: give a one-line description`;
  const standard = typeof d['options'] === 'object' && d['options'] !== null ? (d['options'] as Record<string, unknown>)['~standard'] : undefined;
  const validate = typeof standard === 'object' && standard !== null ? (standard as Record<string, unknown>)['validate'] : undefined;
  if (typeof validate !== 'function') return `${where} has no options schema: "options" must be a Standard Schema, e.g. a zod 4 schema`;
  if (typeof d['create'] !== 'function') return `${where} has no create function`;
  for (const optional of ['subdevicesOf', 'preflight']) {
    if (d[optional] !== undefined && typeof d[optional] !== 'function') return `${where} has a "${optional}" that is not a function`;
  }
  return undefined;
}
