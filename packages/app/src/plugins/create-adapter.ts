import type { AdapterContext, AdapterKind, AdapterPorts } from '@iotgw/domain';
import type { CheckedChoice } from './adapter-registry.js';

/** Builds one adapter; the descriptor only ever gets the options its own schema returned. */
export async function createAdapter<K extends AdapterKind>(kind: K, choice: CheckedChoice, context: AdapterContext): Promise<AdapterPorts[K]> {
  // The registry keys descriptors by kind, so a descriptor checked for `kind` builds that port.
  return (await choice.descriptor.create(choice.options, context)) as AdapterPorts[K];
}
