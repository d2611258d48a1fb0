import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, type AnyAdapterDescriptor } from '@iotgw/domain';
import { checkDescriptorShape } from './descriptor-shape.js';

/**
 * Loads the adapters of the config's "plugins": each entry is an npm package (looked up in the
 * node_modules folders from the config's directory upwards) or a path relative to the config (a
 * file, or a package directory). The module exports `adapters` (an array of descriptors made with
 * `defineAdapter`) or a default export (one descriptor or an array). Errors are ConfigErrors on
 * `plugins.N` naming the plugin and the problem, never a stack trace.
 */
export async function loadPlugins(
  specs: readonly string[],
  baseDir: string,
  bundled: readonly AnyAdapterDescriptor[],
): Promise<AnyAdapterDescriptor[]> {
  const owners = new Map<string, string>(bundled.map((d) => [`${d.kind}:${d.name}`, '']));
  const loaded: AnyAdapterDescriptor[] = [];
  for (const [i, spec] of specs.entries()) {
    const field = `plugins.${i}`;
    const fail = (problem: string): never => {
      throw new ConfigError(field, `plugin ${JSON.stringify(spec)}: ${problem}`);
    };
    const entry = await locatePlugin(spec, baseDir, fail);
    let module: Record<string, unknown>;
    try {
      module = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
    } catch (error) {
      return fail(`loading ${entry} failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
    const exported = exportedAdapters(module);
    if (exported === undefined) {
      return fail(`${entry} exports no adapter: export "adapters" (an array of descriptors made with defineAdapter from @iotgw/domain) or a default descriptor`);
    }
    for (const [j, candidate] of exported.entries()) {
      const problem = checkDescriptorShape(candidate);
      if (problem) fail(`adapters[${j}] ${problem}`);
      const descriptor = candidate as AnyAdapterDescriptor;
      const key = `${descriptor.kind}:${descriptor.name}`;
      const owner = owners.get(key);
      if (owner !== undefined) {
        fail(
          `its ${descriptor.kind} adapter "${descriptor.name}" has the name of ${owner ? `an adapter of plugin ${JSON.stringify(owner)}` : 'a bundled adapter'}: ` +
            'give it a name of its own (e.g. prefixed with your package name)',
        );
      }
      owners.set(key, spec);
      loaded.push(descriptor);
    }
  }
  return loaded;
}

function exportedAdapters(module: Record<string, unknown>): unknown[] | undefined {
  const fallback = module['default'];
  // A CommonJS module's exports arrive as the default export.
  const fromDefault = typeof fallback === 'object' && fallback !== null && 'adapters' in fallback ? fallback.adapters : fallback;
  const found = module['adapters'] ?? fromDefault;
  if (found === undefined || found === null) return undefined;
  return Array.isArray(found) ? (found as unknown[]) : [found];
}

/** The file to import for `spec`: a path (relative to the config) or an installed package. */
async function locatePlugin(spec: string, baseDir: string, fail: (problem: string) => never): Promise<string> {
  if (spec.startsWith('.') || isAbsolute(spec)) {
    const path = resolve(baseDir, spec);
    const kind = await kindOf(path);
    if (kind === 'file') return path;
    if (kind === 'dir') return packageEntry(path, fail);
    return fail(`${path} does not exist: paths are relative to the config file's directory (${baseDir})`);
  }
  for (let dir = baseDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', spec);
    if ((await kindOf(candidate)) === 'dir') return packageEntry(candidate, fail);
    if (dirname(dir) === dir) break;
  }
  return fail(`no package of that name is installed (looked in node_modules from ${baseDir} upwards): run "npm install ${spec}" beside the config`);
}

async function kindOf(path: string): Promise<'file' | 'dir' | undefined> {
  try {
    const st = await stat(path);
    return st.isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

/** A package directory's entry point for `import`: its exports' ".", else main, else index.js. */
async function packageEntry(dir: string, fail: (problem: string) => never): Promise<string> {
  let manifest: { exports?: unknown; main?: unknown };
  try {
    manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as typeof manifest;
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'has no package.json' : 'has an unreadable package.json';
    return fail(`${dir} ${why}: point at the package's directory or at a .js file`);
  }
  const exported = importTarget(rootExport(manifest.exports));
  const target = exported ?? (typeof manifest.main === 'string' ? manifest.main : 'index.js');
  const entry = resolve(dir, target);
  if ((await kindOf(entry)) !== 'file') return fail(`its entry point ${entry} does not exist: build the package first (npm run build)`);
  return entry;
}

function rootExport(exports: unknown): unknown {
  if (typeof exports !== 'object' || exports === null || Array.isArray(exports)) return exports;
  const map = exports as Record<string, unknown>;
  return Object.keys(map).some((k) => k.startsWith('.')) ? map['.'] : map;
}

function importTarget(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return undefined;
  const conditions = value as Record<string, unknown>;
  for (const condition of ['import', 'node', 'default']) {
    const target = importTarget(conditions[condition]);
    if (target) return target;
  }
  return undefined;
}
