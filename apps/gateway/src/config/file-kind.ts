/** The three JSON files a user of iotgw handles, told apart by their top-level keys. */
export type FileKind = 'device-info' | 'config' | 'registry';

const WHAT: Record<FileKind, string> = {
  'device-info': `the vendor's device_info.json (give it with --device-info)`,
  config: 'an iotgw config (give it with --config)',
  registry: 'a hub emulator registry (for iotgw hub --registry)',
};

// The emulator's registry keys (hub-emulator's device-registry.ts).
const REGISTRY_KEYS = new Set(['devices', 'bindings', 'products', 'productTopics']);

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

/** "this looks like …, not …": said instead of a schema's list when a file is another kind. */
export function wrongKindMessage(found: FileKind, expected: FileKind): string {
  return `this looks like ${WHAT[found]}, not ${WHAT[expected].replace(/ \(.*\)$/, '')}`;
}
