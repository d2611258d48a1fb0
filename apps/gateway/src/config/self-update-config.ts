import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { CommandInstaller, DEFAULT_SELF_UPDATE_SETTINGS, NpmTarballInstaller, type SelfUpdateSettings } from '@iotgw/app';
import type { GatewayInstaller } from '@iotgw/domain';

const argv = z.array(z.string().min(1)).min(1, 'must be a command as an array, e.g. ["/usr/local/bin/install-gw"]');

/**
 * `selfUpdate` in the iotgw config: the gateway takes updates pushed on its own ids only when it
 * names an installer — `"npm-tarball"` (with `root`) or `{"command": [...], "rollback": [...]}`.
 */
export const selfUpdateSchema = z
  .object({
    installer: z.union(
      [z.literal('npm-tarball'), z.object({ command: argv, rollback: argv.optional() }).strict()],
      { message: 'must be "npm-tarball" or {"command": ["..."], "rollback": ["..."]}' },
    ),
    /** npm-tarball: the directory holding `versions/` and the `current` link. */
    root: z.string().min(1).optional(),
    /** command installer: the version running now (npm-tarball reads it from `current`). */
    version: z.string().min(1).max(32).optional(),
    healthyWithinMs: z.number().int().min(1000, 'must be at least 1000 ms').default(DEFAULT_SELF_UPDATE_SETTINGS.healthyWithinMs),
    installTimeoutMs: z.number().int().min(1000, 'must be at least 1000 ms').default(DEFAULT_SELF_UPDATE_SETTINGS.installTimeoutMs),
    maxProbationBoots: z.number().int().min(1).max(100).default(DEFAULT_SELF_UPDATE_SETTINGS.maxProbationBoots),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.installer === 'npm-tarball' && !s.root) {
      ctx.addIssue({ code: 'custom', path: ['root'], message: 'is required with the "npm-tarball" installer: the directory holding versions/ and the current link' });
    }
  })
  .optional();

export type SelfUpdateConfig = NonNullable<z.infer<typeof selfUpdateSchema>>;

/** The installer and settings `assembleGateway` takes; `fallbackVersion` is this CLI's own version. */
export function selfUpdateAssembly(
  config: SelfUpdateConfig | undefined,
  baseDir: string,
  fallbackVersion: string,
): { installer?: GatewayInstaller; settings?: Partial<Omit<SelfUpdateSettings, 'workDir'>> } {
  if (!config) return {};
  const settings = { healthyWithinMs: config.healthyWithinMs, installTimeoutMs: config.installTimeoutMs, maxProbationBoots: config.maxProbationBoots };
  if (config.installer === 'npm-tarball') {
    const root = config.root ?? '';
    return { installer: new NpmTarballInstaller({ root: isAbsolute(root) ? root : resolve(baseDir, root) }), settings };
  }
  const { command, rollback } = config.installer;
  return { installer: new CommandInstaller({ install: command, ...(rollback ? { rollback } : {}), version: config.version ?? fallbackVersion }), settings };
}
