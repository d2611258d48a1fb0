import { z } from 'zod';
import { parseSubdeviceKey, type SubdeviceId } from '@iotgw/domain';
import { parseWithSchema } from './schema-errors.js';

const subdeviceRef = z
  .string()
  .regex(/^[A-Z0-9]{10}\/[A-Za-z0-9_\-.:@]{1,48}$/, 'must be "PRODUCTID/deviceName", e.g. "SB00000001/sensor1"');

const secretRef = z.union(
  [
    z.object({ env: z.string().min(1) }).strict(),
    z.object({ file: z.string().min(1) }).strict(),
  ],
  { message: 'must be {"env": "VARIABLE"} or {"file": "path"}: secrets are referenced, never written in the config' },
);

/** The link protocol's frame checksum; both ends of a link must use the same one. */
const crcKind = z.enum(['crc32c', 'crc16'], { message: 'must be "crc32c" (the default) or "crc16", as the subdevices on this link use' });

/** A subdevice on a bus: its id, optionally with the bus address its firmware uses (1..254). */
const busSubdevice = z.union(
  [
    subdeviceRef,
    z
      .object({
        id: subdeviceRef,
        address: z.number().int().min(1, 'must be a bus address from 1 to 254').max(254, 'must be a bus address from 1 to 254'),
      })
      .strict(),
  ],
  { message: 'must be "PRODUCTID/deviceName" or {"id": "PRODUCTID/deviceName", "address": 1..254}' },
);

const serialLink = z
  .object({
    adapter: z.literal('serial'),
    name: z.string().min(1).optional(),
    path: z.string().min(1, 'must be the serial device path, e.g. "/dev/ttyUSB0"'),
    baudRate: z.number().int().positive().default(115200),
    crc: crcKind.default('crc32c'),
    subdevices: z.array(busSubdevice).default([]),
  })
  .strict()
  .superRefine((link, ctx) => {
    // One bus, one subdevice per address: a clash is a wiring mistake to fix before starting.
    const byAddress = new Map<number, string>();
    for (const [i, entry] of link.subdevices.entries()) {
      if (typeof entry === 'string') continue;
      const holder = byAddress.get(entry.address);
      if (holder) {
        ctx.addIssue({
          code: 'custom',
          path: ['subdevices', i, 'address'],
          message: `address ${entry.address} is already used by ${holder} on this bus: give each subdevice its own address`,
        });
      } else byAddress.set(entry.address, entry.id);
    }
  });

const linkSchema = z.discriminatedUnion(
  'adapter',
  [
    serialLink,
    z
      .object({
        adapter: z.literal('ble'),
        name: z.string().min(1).optional(),
        central: z.enum(['noble', 'simulated']).default('noble'),
        crc: crcKind.default('crc32c'),
        subdevices: z
          .array(z.object({ id: subdeviceRef, localName: z.string().min(1) }).strict())
          .default([]),
      })
      .strict(),
  ],
  { message: 'adapter must be "serial" or "ble"' },
);

const OFFLINE_STORE_DEFAULTS = {
  maxBytes: 256 * 1024 * 1024,
  maxAgeMs: 7 * 24 * 60 * 60 * 1000,
  overflow: 'drop-oldest',
  syncIntervalMs: 1000,
} as const;

/** Where QoS 1 readings wait while the hub is away: `<dataDir>/uplink`, bounded by bytes and age. */
const offlineStoreSchema = z
  .object({
    maxBytes: z.number().int().min(1024 * 1024, 'must be at least 1 MiB (1048576)').default(OFFLINE_STORE_DEFAULTS.maxBytes),
    maxAgeMs: z.number().int().positive().default(OFFLINE_STORE_DEFAULTS.maxAgeMs),
    overflow: z.enum(['drop-oldest', 'drop-newest', 'reject']).default(OFFLINE_STORE_DEFAULTS.overflow),
    syncIntervalMs: z.number().int().min(10).max(60_000).default(OFFLINE_STORE_DEFAULTS.syncIntervalMs),
  })
  .strict()
  .default(OFFLINE_STORE_DEFAULTS);

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

const gatewayConfigSchema = z
  .object({
    hub: z
      .object({
        adapter: z.literal('mqtt', { message: 'adapter must be "mqtt"' }).default('mqtt'),
        host: z.string().min(1).optional(),
        port: z.number().int().min(1).max(65535).optional(),
        tls: z.boolean().default(true),
        caFile: z.string().min(1).optional(),
        insecureSkipVerify: z.boolean().default(false),
        operationTimeoutMs: z.number().int().positive().default(10_000),
        batchSize: z.number().int().min(1).max(1000).default(50),
        /** How long a subdevice gets to answer an RRPC request (the hub's caller waits about 4 s). */
        rrpcTimeoutMs: z.number().int().min(100).max(60_000).default(3500),
        /** Largest MQTT packet taken from the hub (and largest reading sent). */
        maxPacketBytes: z.number().int().min(1024).max(256 * 1024 * 1024).default(1024 * 1024),
        offlineStore: offlineStoreSchema,
      })
      .strict()
      .default({
        adapter: 'mqtt',
        tls: true,
        insecureSkipVerify: false,
        operationTimeoutMs: 10_000,
        batchSize: 50,
        rrpcTimeoutMs: 3500,
        maxPacketBytes: 1024 * 1024,
        offlineStore: OFFLINE_STORE_DEFAULTS,
      }),
    links: z
      .array(linkSchema)
      .default([])
      .superRefine((links, ctx) => {
        // A subdevice is reached over one link: listing it twice would make two links claim it.
        const seen = new Map<string, number>();
        for (const [i, link] of links.entries()) {
          for (const [j, id] of linkSubdeviceKeys(link).entries()) {
            const first = seen.get(id);
            if (first === undefined) seen.set(id, i);
            else ctx.addIssue({ code: 'custom', path: [i, 'subdevices', j], message: `${id} is already listed by links[${first}]: list it on one link only` });
          }
        }
      }),
    secrets: z.record(subdeviceRef, secretRef).default({}),
    dataDir: z.string().min(1).default('./.iotgw'),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    dataChannels: z.array(z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be a topic word like "data" or "event"')).default(['data']),
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
    control: z
      .object({ port: z.number().int().min(0).max(65535).default(7380) })
      .strict()
      .default({ port: 7380 }),
    deviceServices: deviceServicesSchema,
  })
  .strict();

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
export type DeviceServicesConfig = GatewayConfig['deviceServices'];
export type LinkConfig = GatewayConfig['links'][number];

export function parseGatewayConfig(text: string, source = 'iotgw.json'): GatewayConfig {
  return parseWithSchema(gatewayConfigSchema, text, source);
}

export function defaultGatewayConfig(): GatewayConfig {
  return gatewayConfigSchema.parse({});
}

/** Every subdevice a link lists, as `PRODUCTID/deviceName` keys, in order. */
function linkSubdeviceKeys(link: { readonly subdevices: ReadonlyArray<string | { readonly id: string }> }): string[] {
  return link.subdevices.map((s) => (typeof s === 'string' ? s : s.id));
}

/** Every subdevice a link declares, as ids. */
export function linkSubdevices(link: LinkConfig): SubdeviceId[] {
  return linkSubdeviceKeys(link).map((key) => parseSubdeviceKey(key));
}

/** The bus address a serial link fixes for each listed subdevice that has one, by key. */
export function linkAddresses(link: LinkConfig): Map<string, number> {
  const out = new Map<string, number>();
  if (link.adapter !== 'serial') return out;
  for (const s of link.subdevices) if (typeof s !== 'string') out.set(s.id, s.address);
  return out;
}
