import { readFile, readdir, rm } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import {
  StateCorruptError,
  ValidationError,
  isValidStateKey,
  throwIfAborted,
  type CallOptions,
  type JsonValue,
  type StateStore,
} from '@iotgw/domain';
import { writeFileAtomic } from '@iotgw/durable-file';
import { ensureDir } from './ensure-dir.js';

/**
 * StateStore on disk: one JSON file per key under `<dir>`, owner-only (dirs 0700, files 0600). A put writes a temp file, fsyncs it,
 * renames it over the old one and fsyncs the directory, so a crash leaves the old or the new
 * document, never a torn one.
 */
export class FileStateStore implements StateStore {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** The gateway's state store in its data dir (`<dataDir>/state`): one place says where it lives. */
  static inDataDir(dataDir: string): FileStateStore {
    return new FileStateStore(join(dataDir, 'state'));
  }

  async get(key: string, options: CallOptions = {}): Promise<JsonValue | undefined> {
    throwIfAborted(options.signal, `reading state ${key}`);
    let text: string;
    try {
      text = await readFile(this.#path(key), 'utf8');
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    try {
      return JSON.parse(text) as JsonValue;
    } catch (error) {
      throw new StateCorruptError(key, 'not valid JSON', { cause: error });
    }
  }

  async put(key: string, value: JsonValue, options: CallOptions = {}): Promise<void> {
    throwIfAborted(options.signal, `writing state ${key}`);
    const file = this.#path(key);
    await ensureDir(dirname(file));
    // Owner-only from its first byte; a crash leaves the old or the new document, never a torn one.
    await writeFileAtomic(file, JSON.stringify(value));
  }

  async delete(key: string, options: CallOptions = {}): Promise<void> {
    throwIfAborted(options.signal, `deleting state ${key}`);
    await rm(this.#path(key), { force: true });
  }

  async list(prefix: string, options: CallOptions = {}): Promise<string[]> {
    throwIfAborted(options.signal, 'listing state');
    const keys: string[] = [];
    await this.#walk(this.#dir, keys);
    return keys.filter((k) => k.startsWith(prefix)).sort();
  }

  async #walk(dir: string, out: string[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    for (const e of entries) {
      const full = join(dir, e.name);
      if (e.isDirectory()) await this.#walk(full, out);
      else if (e.name.endsWith('.json')) out.push(relative(this.#dir, full).slice(0, -'.json'.length).split(sep).join('/'));
    }
  }

  #path(key: string): string {
    if (!isValidStateKey(key)) {
      throw new ValidationError(`state key ${JSON.stringify(key)} is not valid: use [a-z0-9._/-] without ".."`);
    }
    return join(this.#dir, `${key}.json`);
  }
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ENOENT';
}
