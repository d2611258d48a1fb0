import { z } from 'zod';
import { SUBDEVICE_KEY_PATTERN, parseSubdeviceKey, type SubdeviceId } from '@iotgw/domain';
import type { AdapterRegistry } from '@iotgw/app';
import { createAdapterRegistry } from '../bundled-adapters.js';
import { adapterSection, fieldNaming, namedSubdevices, type AdapterSection } from './adapter-sections.js';
import { parseWithSchema } from './schema-errors.js';
import { selfUpdateSchema } from './self-update-config.js';
import { enrolmentSchema } from './enrolment-config.js';
import { productChannelsSchema } from './channels-config.js';

const subdeviceRef = z.string().regex(SUBDEVICE_KEY_PATTERN, 'must be "PRODUCTID/deviceName", e.g. "SB00000001/sensor1"');

const secretRef = z.union(
  [
    z.object({ env: z.string().min(1) }).strict(),
    z.object({ file: z.string().min(1) }).strict(),
  ],
  { message: 'must be {"env": "VARIABLE"} or {"file": "path"}: secrets are referenced, never written in the config' },
);

/**
 * The gateway's own services at the hub. Log upload sends nothing until the console sets a level
 * (the hub's default is none); remote configuration applies what the console pushes, validated
 * like this file. Both on by default: the hub's console decides.
 */
const deviceServicesSchema = z
  .object({
    logUpload: z
      .object({
        enabled: z.boolean().default(true),
        /** Default Tencent's endpoint; the hub emulator serves `<http>/device/reportlog`. */
        url: z.url({ protocol: /^https?$/ }).optional(),
        intervalSec: z.number().int().min(1).max(3600).default(30),
      })
      .strict()
      .default({ enabled: true, intervalSec: 30 }),
    remoteConfig: z
      .object({
        enabled: z.boolean().default(true),
        /** After a restart on a pushed config, the hub must be reached within this time, or the config is rolled back. */
        healthyWithinSec: z.number().int().min(1).max(3600).default(120),
        /** Stop with exit code 75 when a pushed config needs a restart (a supervisor starts iotgw again). */
        restartToApply: z.boolean().default(true),
      })
      .strict()
      .default({ enabled: true, healthyWithinSec: 120, restartToApply: true }),
  })
  .strict()
  .default({ logUpload: { enabled: true, intervalSec: 30 }, remoteConfig: { enabled: true, healthyWithinSec: 120, restartToApply: true } });

/**
 * The iotgw config's schema, built from the adapters a registry knows: `hub`, `firmware` and each
 * of `links` name an adapter and carry its options, which that adapter's own schema checks.
 */
export function gatewayConfigSchema(registry: AdapterRegistry) {
  return z
    .object({
      /** Packages or files (relative to the config) whose adapters join the bundled ones. */
      plugins: z.array(z.string().min(1, 'must be a package name or a path like "./my-adapter.js"')).default([]),
      hub: adapterSection(registry, 'hub', defaultName(registry, 'hub')).prefault({ adapter: defaultName(registry, 'hub') }),
      firmware: adapterSection(registry, 'firmware', defaultName(registry, 'firmware')).prefault({ adapter: defaultName(registry, 'firmware') }),
      links: z
        .array(adapterSection(registry, 'link'))
        .default([])
        .superRefine((links, ctx) => {
          // A subdevice is reached over one link: listing it twice would make two links claim it.
          const seen = new Map<string, number>();
          for (const [i, link] of links.entries()) {
            for (const id of namedSubdevices(registry, link)) {
              const first = seen.get(id);
              if (first === undefined) seen.set(id, i);
              else ctx.addIssue({ code: 'custom', path: [i, ...(fieldNaming(link, id) ?? '').split('.').filter(Boolean)], message: `${id} is already listed by links[${first}]: list it on one link only` });
            }
          }
        }),
    secrets: z.record(subdeviceRef, secretRef).default({}),
    dataDir: z.string().min(1).default('./.iotgw'),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    dataChannels: z.array(z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be a topic word like "data" or "event"')).default(['data']),
    channels: productChannelsSchema,
    ota: z
      .object({
        concurrencyPerLink: z.number().int().min(1).max(16).default(1),
        allowedHosts: z
          .array(z.string().regex(/^(\*\.)?[A-Za-z0-9.\-_:[\]]+$/, 'must be a host name like "fw.example.com", "*.example.com" or an IP address'))
          .default([]),
        allowLoopback: z.boolean().default(false),
        allowLinkLocal: z.boolean().default(false),
        maxImageBytes: z.number().int().min(1).default(512 * 1024 * 1024),
      })
      .strict()
      .default({ concurrencyPerLink: 1, allowedHosts: [], allowLoopback: false, allowLinkLocal: false, maxImageBytes: 512 * 1024 * 1024 }),
    deviceServices: deviceServicesSchema,
    /** Downlink from the hub to subdevices: messages that may wait per subdevice (the oldest beyond it is dropped, counted). */
    downlink: z
      .object({ queueLength: z.number().int().min(1).max(100_000).default(64) })
      .strict()
      .default({ queueLength: 64 }),
    control: z
      .object({ port: z.number().int().min(0).max(65535).default(7380) })
      .strict()
      .default({ port: 7380 }),
    selfUpdate: selfUpdateSchema,
    subdevices: enrolmentSchema,
  })
  .strict();
}

export type GatewayConfig = z.infer<ReturnType<typeof gatewayConfigSchema>>;
export type DeviceServicesConfig = GatewayConfig['deviceServices'];
export type LinkConfig = AdapterSection;

/** The registry of the adapters the product bundles (no plugins). */
export function bundledRegistry(): AdapterRegistry {
  return createAdapterRegistry();
}

/**
 * Parses an iotgw config's text against the adapters `registry` knows (by default the bundled
 * ones: a config naming plugins goes through `loadGatewayConfig`, which loads them first).
 */
export function parseGatewayConfig(text: string, source = 'iotgw.json', registry: AdapterRegistry = bundledRegistry()): GatewayConfig {
  return parseWithSchema(gatewayConfigSchema(registry), text, source, 'config');
}

export function defaultGatewayConfig(registry: AdapterRegistry = bundledRegistry()): GatewayConfig {
  return gatewayConfigSchema(registry).parse({});
}

/** The adapter a config gets when it names none: the first of that kind in the registry. */
function defaultName(registry: AdapterRegistry, kind: 'hub' | 'firmware'): string | undefined {
  return registry.descriptors().find((d) => d.kind === kind)?.name;
}

/** Every subdevice a link names, as ids (as its adapter reads its options). */
export function linkSubdevices(link: LinkConfig, registry: AdapterRegistry = bundledRegistry()): SubdeviceId[] {
  return namedSubdevices(registry, link).map((key) => parseSubdeviceKey(key));
}
