import { REGISTRY_KEYS } from '@iotgw/hub-emulator/registry-shape';
import { jsonObject } from '../json-object.js';

/** The three JSON files a user of iotgw handles, told apart by their top-level keys. */
export type FileKind = 'device-info' | 'config' | 'registry';

const KINDS: Record<FileKind, { name: string; given: string }> = {
  'device-info': { name: "the vendor's device_info.json", given: 'give it with --device-info' },
  config: { name: 'an iotgw config', given: 'give it with --config' },
  registry: { name: 'a hub emulator registry', given: 'for iotgw hub --registry' },
};

/** What a parsed JSON document looks like, or undefined when it is none of the three. */
export function fileKindOf(json: unknown): FileKind | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const keys = Object.keys(json);
  // The vendor's file always has these at the top; a config or a registry never does.
  if (keys.some((k) => k === 'auth_mode' || k === 'key_deviceinfo' || k === 'cert_deviceinfo' || k === 'subDev')) return 'device-info';
  if (keys.includes('devices') && keys.every((k) => REGISTRY_KEYS.has(k))) return 'registry';
  if (keys.some((k) => k === 'links' || k === 'hub' || k === 'dataDir' || k === 'plugins' || k === 'control')) return 'config';
  return undefined;
}

/**
 * A file's kind from its text: by its top-level keys when it is a JSON object (a registry names
 * productIds too), else by the vendor's keys anywhere in it, so a device file with a typo still
 * goes to the parser that says where the typo is.
 */
export function fileKindOfText(text: string): FileKind | undefined {
  return fileKindOf(jsonObject(text)) ?? (/"(auth_mode|productId|deviceName|key_deviceinfo|subDev)"\s*:/.test(text) ? 'device-info' : undefined);
}

/** "this looks like …, not …": said instead of a schema's list when a file is another kind. */
export function wrongKindMessage(found: FileKind, expected: FileKind): string {
  return `this looks like ${KINDS[found].name} (${KINDS[found].given}), not ${KINDS[expected].name}`;
}
