import { HubProtocolError } from '@iotgw/domain';

/**
 * Why a message was refused, as a value. A hub can send thousands of bad messages a second, and an
 * Error captures a stack trace when it is made (the costliest part of a refusal), so the
 * HubProtocolError is made only when someone reads `error`; `reason` is the same text for free.
 */
export class DecodeRefusal {
  readonly ok = false;
  #error: HubProtocolError | undefined;

  constructor(
    /** What is wrong with the message (the `message` of `error`). */
    readonly reason: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {}

  /** The refusal as a typed error (made on first read, then kept). */
  get error(): HubProtocolError {
    this.#error ??= new HubProtocolError(this.reason, this.details ? { details: this.details } : {});
    return this.#error;
  }
}

/** What every decoder returns: decoders never throw, a bad message is a value. */
export type DecodeResult<T> = { readonly ok: true; readonly value: T } | DecodeRefusal;

export interface DecodeOptions {
  /** Payloads larger than this many bytes are refused before parsing. Default 64 KiB. */
  readonly maxBytes?: number;
}

export const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024;

export function decoded<T>(value: T): DecodeResult<T> {
  return { ok: true, value };
}

export function refused<T>(message: string, details?: Record<string, unknown>): DecodeResult<T> {
  return new DecodeRefusal(message, details);
}
