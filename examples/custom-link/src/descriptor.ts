import { z } from 'zod';
import { defineAdapter, parseSubdeviceKey, SUBDEVICE_KEY_PATTERN } from '@iotgw/domain';
import { TcpJsonLink } from './tcp-json-link.js';

/** The options a config gives this link: `{"adapter": "tcp-json", "subdevices": [...]}`. */
export const tcpJsonLinkOptions = z
  .object({
    name: z.string().min(1).default('tcp-json'),
    reconnectMs: z.number().int().min(10).default(1000),
    subdevices: z
      .array(
        z
          .object({
            id: z.string().regex(SUBDEVICE_KEY_PATTERN, 'must be "PRODUCTID/deviceName"'),
            host: z.string().min(1).default('127.0.0.1'),
            port: z.number().int().min(1, 'must be the TCP port the subdevice listens on').max(65535),
          })
          .strict(),
      )
      .min(1, 'list at least one subdevice: {"id": "PRODUCTID/deviceName", "port": 7000}'),
  })
  .strict();

export type TcpJsonLinkConfig = z.infer<typeof tcpJsonLinkOptions>;

/** The descriptor iotgw finds through "plugins": kind, name, options schema, factory. */
export const tcpJsonLinkAdapter = defineAdapter({
  kind: 'link',
  name: 'tcp-json',
  summary: 'subdevices that are TCP servers speaking one JSON object per line',
  options: tcpJsonLinkOptions,
  subdevicesOf: (options) => options.subdevices.map((s) => parseSubdeviceKey(s.id)),
  create: (options, context) =>
    new TcpJsonLink({
      name: options.name,
      reconnectMs: options.reconnectMs,
      subdevices: options.subdevices.map((s) => ({ subdevice: parseSubdeviceKey(s.id), host: s.host, port: s.port })),
      logger: context.logger,
      clock: context.clock,
    }),
});
