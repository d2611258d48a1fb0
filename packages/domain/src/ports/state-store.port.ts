import type { CallOptions } from '../call-options.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Small JSON documents that survive a restart (OTA jobs, outbox, link sessions).
 *
 * Contract: `put` is atomic (a reader sees the old or the new document, never a mix, even after a
 * crash); `get` of a missing key resolves undefined; keys are `[a-z0-9._/-]+`; `list(prefix)`
 * returns keys in lexical order.
 */
export interface StateStore {
  get(key: string, options?: CallOptions): Promise<JsonValue | undefined>;
  put(key: string, value: JsonValue, options?: CallOptions): Promise<void>;
  delete(key: string, options?: CallOptions): Promise<void>;
  list(prefix: string, options?: CallOptions): Promise<string[]>;
}

/**
 * Modes of everything a gateway keeps in its data dir (state, outbox, firmware, partial images,
 * progress files with signed URLs): owner only. Adapters that write there use these.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

const STATE_KEY = /^[a-z0-9._/-]+$/;
export function isValidStateKey(key: string): boolean {
  return STATE_KEY.test(key) && !key.includes('..');
}
