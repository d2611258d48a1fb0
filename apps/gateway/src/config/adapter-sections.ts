import { z } from 'zod';
import { subdeviceKey, type AdapterKind } from '@iotgw/domain';
import { checkAdapterOptions, type AdapterRegistry } from '@iotgw/app';

/** A config section choosing an adapter: its name, then its own options (checked by its descriptor). */
export interface AdapterSection {
  readonly adapter: string;
  readonly [option: string]: unknown;
}

/**
 * The zod schema of one adapter section: `adapter` names a descriptor of `kind` in the registry,
 * the other keys are that adapter's options, validated by its own schema (issues keep their
 * option paths, so a message reads `links.0.path: ...`). The output holds the validated options.
 */
export function adapterSection(registry: AdapterRegistry, kind: AdapterKind, defaultName?: string) {
  const name = defaultName === undefined ? z.string().min(1) : z.string().min(1).default(defaultName);
  return z
    .object({ adapter: name })
    .catchall(z.unknown())
    .transform((section, ctx): AdapterSection => {
      const { adapter, ...options } = section;
      const descriptor = registry.get(kind, adapter);
      if (!descriptor) {
        ctx.addIssue({ code: 'custom', path: ['adapter'], message: registry.unknownMessage(kind, adapter) });
        return z.NEVER;
      }
      const checked = checkAdapterOptions(descriptor, options);
      if (!checked.ok) {
        for (const problem of checked.problems) ctx.addIssue({ code: 'custom', path: problem.path ? problem.path.split('.') : [], message: problem.message });
        return z.NEVER;
      }
      const value = checked.value;
      return { adapter, ...(typeof value === 'object' && value !== null ? value : {}) };
    });
}

/** The options of a section, without the `adapter` key. */
export function optionsOf(section: AdapterSection): Record<string, unknown> {
  const { adapter: _adapter, ...options } = section;
  return options;
}

/** The subdevices a link section names, as its descriptor reads them (none if it names none). */
export function namedSubdevices(registry: AdapterRegistry, link: AdapterSection): string[] {
  const descriptor = registry.get('link', link.adapter);
  return (descriptor?.subdevicesOf?.(optionsOf(link)) ?? []).map(subdeviceKey);
}

/**
 * Where in a section a subdevice key is written (`subdevices.1` or `subdevices.1.id`), so an error
 * about it names the field the user typed it in, whatever the adapter calls its options.
 */
export function fieldNaming(section: unknown, key: string, at = ''): string | undefined {
  if (section === key) return at;
  if (typeof section !== 'object' || section === null) return undefined;
  for (const [k, v] of Object.entries(section)) {
    const found = fieldNaming(v, key, at ? `${at}.${k}` : k);
    if (found !== undefined) return found;
  }
  return undefined;
}
