import type { ByteStreamCapabilities } from '@iotgw/domain';
import { DEFAULT_MAX_FRAME_SIZE, type GatewayEngineOptions } from '@iotgw/link-protocol';
import type { LinkProtocolSubdeviceLinkOptions } from './link-protocol-subdevice-link.options.js';

/** COBS, delimiters, header and CRC around each chunk, in bytes (an upper bound). */
const FRAME_OVERHEAD = 24;

/**
 * Session engine settings for one stream. On a medium that states its line rate, timeouts must
 * outlast the bytes queued on the line, or every queued frame is sent twice.
 */
export function engineOptionsFor(options: LinkProtocolSubdeviceLinkOptions, medium: ByteStreamCapabilities): GatewayEngineOptions {
  const framing = options.framing ?? {};
  const firmware = options.firmware ?? {};
  const base: GatewayEngineOptions = {
    framing,
    ...(options.scheduler ? { scheduler: options.scheduler } : {}),
    ...(options.keepaliveIntervalMs !== undefined ? { keepaliveIntervalMs: options.keepaliveIntervalMs } : {}),
    ...(options.keepaliveTimeoutMs !== undefined ? { keepaliveTimeoutMs: options.keepaliveTimeoutMs } : {}),
    ...(options.revision !== undefined ? { revision: options.revision } : {}),
  };
  const rate = medium.bytesPerSecond;
  if (!rate) {
    return { ...base, firmware, ...(options.ackTimeoutMs !== undefined ? { ackTimeoutMs: options.ackTimeoutMs } : {}) };
  }
  const bytesPerMs = rate / 1000;
  const frameMs = (framing.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE) / bytesPerMs;
  const window = firmware.window ?? 4;
  const chunk = firmware.chunkSize ?? 512;
  return {
    ...base,
    ackTimeoutMs: Math.max(options.ackTimeoutMs ?? 300, Math.ceil(3 * frameMs) + 50),
    firmware: { ...firmware, retransmitMs: Math.max(firmware.retransmitMs ?? 1000, Math.ceil((2 * window * (chunk + FRAME_OVERHEAD)) / bytesPerMs) + 100) },
  };
}
