import { HubProtocolError } from '@iotgw/domain';

/** What every decoder returns: decoders never throw, a bad message is a value. */
export type DecodeResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: HubProtocolError };

export interface DecodeOptions {
  /** Payloads larger than this many bytes are refused before parsing. Default 64 KiB. */
  readonly maxBytes?: number;
}

export const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024;

export function decoded<T>(value: T): DecodeResult<T> {
  return { ok: true, value };
}

export function refused<T>(message: string, details?: Record<string, unknown>): DecodeResult<T> {
  return { ok: false, error: new HubProtocolError(message, details ? { details } : {}) };
}
