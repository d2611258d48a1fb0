// Its own module with no imports: the gateway tells a registry apart from its own files without loading the emulator.
/** Every top-level key a registry file may hold. */
export const REGISTRY_KEYS: ReadonlySet<string> = new Set(['devices', 'bindings', 'products', 'productTopics']);
export const REGISTRY_SHAPE = '{"devices":[...],"bindings":[...]}';
