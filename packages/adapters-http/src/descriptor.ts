import { z } from 'zod';
import { defineAdapter } from '@iotgw/domain';
import { HttpFirmwareStore } from './http-firmware-store.js';

/** The http firmware store's options, as a config's `firmware` section writes them. */
export const httpFirmwareOptions = z
  .object({
    /** An attempt with no byte for this long is retried. */
    stallTimeoutMs: z.number().int().min(1000, 'must be at least 1000 ms').optional(),
    /** Completed images kept beyond this many bytes are evicted once released. */
    cacheLimitBytes: z.number().int().positive().optional(),
  })
  .strict();

export type HttpFirmwareOptions = z.infer<typeof httpFirmwareOptions>;

/**
 * The `http` firmware store: resumable HTTP(S) downloads into the data dir. Which local addresses
 * a download may reach is the gateway's firmware source policy (`ota.allowLoopback`, ...), the
 * same one the OTA use case checks URLs with.
 */
export const httpFirmwareAdapter = defineAdapter({
  kind: 'firmware',
  name: 'http',
  summary: 'firmware images downloaded over HTTP(S) with Range resume, a durable progress file and an MD5 check',
  options: httpFirmwareOptions,
  create: (options, context) =>
    new HttpFirmwareStore({
      dataDir: context.dataDir,
      logger: context.logger,
      sourceGuard: context.gateway?.firmwareSources ?? {},
      ...(options.stallTimeoutMs !== undefined ? { stallTimeoutMs: options.stallTimeoutMs } : {}),
      ...(options.cacheLimitBytes !== undefined ? { cacheLimitBytes: options.cacheLimitBytes } : {}),
    }),
});
