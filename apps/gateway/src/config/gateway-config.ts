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

const linkSchema = z.discriminatedUnion(
  'adapter',
  [
    z
      .object({
        adapter: z.literal('serial'),
        name: z.string().min(1).optional(),
        path: z.string().min(1, 'must be the serial device path, e.g. "/dev/ttyUSB0"'),
        baudRate: z.number().int().positive().default(115200),
        subdevices: z.array(subdeviceRef).default([]),
      })
      .strict(),
    z
      .object({
        adapter: z.literal('ble'),
        name: z.string().min(1).optional(),
        central: z.enum(['noble', 'simulated']).default('noble'),
        subdevices: z
          .array(z.object({ id: subdeviceRef, localName: z.string().min(1) }).strict())
          .default([]),
      })
      .strict(),
    z
      .object({
        adapter: z.literal('memory'),
        name: z.string().min(1).optional(),
        subdevices: z.array(subdeviceRef).default([]),
      })
      .strict(),
  ],
  { message: 'adapter must be "serial", "ble" or "memory"' },
);

const gatewayConfigSchema = z
  .object({
    hub: z
      .object({
        adapter: z.enum(['mqtt', 'memory']).default('mqtt'),
        host: z.string().min(1).optional(),
        port: z.number().int().min(1).max(65535).optional(),
        tls: z.boolean().default(true),
        caFile: z.string().min(1).optional(),
        insecureSkipVerify: z.boolean().default(false),
        operationTimeoutMs: z.number().int().positive().default(10_000),
        batchSize: z.number().int().min(1).max(1000).default(50),
      })
      .strict()
      .default({ adapter: 'mqtt', tls: true, insecureSkipVerify: false, operationTimeoutMs: 10_000, batchSize: 50 }),
    links: z.array(linkSchema).default([]),
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
  })
  .strict();

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
export type LinkConfig = GatewayConfig['links'][number];

export function parseGatewayConfig(text: string, source = 'iotgw.json'): GatewayConfig {
  return parseWithSchema(gatewayConfigSchema, text, source);
}

export function defaultGatewayConfig(): GatewayConfig {
  return gatewayConfigSchema.parse({});
}

/** Every subdevice a link declares, as ids. */
export function linkSubdevices(link: LinkConfig): SubdeviceId[] {
  return link.adapter === 'ble'
    ? link.subdevices.map((s) => parseSubdeviceKey(s.id))
    : link.subdevices.map((s) => parseSubdeviceKey(s));
}
