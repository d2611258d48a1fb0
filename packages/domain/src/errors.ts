/**
 * One error root for everything iotgw reports. Errors are values with stable, namespaced codes so
 * callers branch on `code`, never on message text. The hub's or the link's own status is kept as
 * data (`otaCode`, `linkCode`; a hub result's `hubCode`) so nothing the wire said is lost in translation.
 */
export type ErrorCode =
  | 'validation.invalid'
  | 'config.invalid'
  | 'operation.cancelled'
  | 'operation.timed_out'
  | 'hub.disconnected'
  | 'hub.protocol'
  | 'hub.refused'
  | 'hub.subdevice_refused'
  | 'hub.auth_failed'
  | 'firmware.download_failed'
  | 'firmware.not_found'
  | 'firmware.forbidden'
  | 'firmware.md5_mismatch'
  | 'firmware.apply_failed'
  | 'firmware.storage'
  | 'link.disconnected'
  | 'link.unknown_subdevice'
  | 'link.protocol'
  | 'link.unavailable'
  | 'state.corrupt'
  | 'store.full'
  | 'store.io'
  | 'store.dropped'
  | 'secret.missing'
  | 'self_update.failed'
  | 'registration.refused'
  | 'internal';

export interface GatewayErrorOptions {
  cause?: unknown;
  /** Extra facts for logs and callers; never secrets. */
  details?: Readonly<Record<string, unknown>>;
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** Bad input from a user or a peer: names the bad value and what to do. */
export class ValidationError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super('validation.invalid', message, options);
  }
}

/** A configuration file or option is wrong; `field` names where. */
export class ConfigError extends GatewayError {
  readonly field: string;
  constructor(field: string, message: string, options?: GatewayErrorOptions) {
    super('config.invalid', `${field}: ${message}`, options);
    this.field = field;
  }
}

/** The caller aborted. Distinct from a timeout and from a lost connection. */
export class CancelledError extends GatewayError {
  constructor(what: string, options?: GatewayErrorOptions) {
    super('operation.cancelled', `${what} was cancelled`, options);
  }
}

export class TimeoutError extends GatewayError {
  readonly timeoutMs: number;
  constructor(what: string, timeoutMs: number, options?: GatewayErrorOptions) {
    super('operation.timed_out', `${what} timed out after ${timeoutMs} ms`, options);
    this.timeoutMs = timeoutMs;
  }
}

/** The hub connection is down and the call cannot be queued. */
export class HubDisconnectedError extends GatewayError {
  constructor(message = 'not connected to the hub', options?: GatewayErrorOptions) {
    super('hub.disconnected', message, options);
  }
}

export class HubAuthError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super('hub.auth_failed', message, options);
  }
}

/** The hub answered but refused; `hubCode` is its `result` value (-1 not bound, -2 system error, ...). */
/** The hub answered a request with a non-zero result (a shadow operation): its code kept as `hubCode`. */
export class HubRefusedError extends GatewayError {
  readonly hubCode: number;
  constructor(message: string, hubCode: number, options?: GatewayErrorOptions) {
    super('hub.refused', message, options);
    this.hubCode = hubCode;
  }
}

/** The hub (or a peer posing as it) sent something that does not follow the protocol. */
export class HubProtocolError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super('hub.protocol', message, options);
  }
}

/** OTA failure codes the hub understands (`result_code` of a `fail` report). */
export const OTA_FAIL = {
  downloadTimeout: -1,
  fileNotFound: -2,
  authFailed: -3,
  md5Mismatch: -4,
  upgradeFailed: -5,
} as const;
export type OtaFailCode = (typeof OTA_FAIL)[keyof typeof OTA_FAIL];

const firmwareCodeFor: Record<OtaFailCode, ErrorCode> = {
  [-1]: 'firmware.download_failed',
  [-2]: 'firmware.not_found',
  [-3]: 'firmware.forbidden',
  [-4]: 'firmware.md5_mismatch',
  [-5]: 'firmware.apply_failed',
};

/** A firmware download or delivery failed; `otaCode` is what gets reported to the hub. */
export class FirmwareError extends GatewayError {
  readonly otaCode: OtaFailCode;
  constructor(otaCode: OtaFailCode, message: string, options?: GatewayErrorOptions) {
    super(firmwareCodeFor[otaCode], message, options);
    this.otaCode = otaCode;
  }
}

/** Local storage for firmware failed (disk full, permissions). Reported to the hub as -1. */
export class FirmwareStorageError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super('firmware.storage', message, options);
  }
}

export class LinkError extends GatewayError {
  /** The link's or the subdevice's own status code, when it sent one. */
  readonly linkCode: number | undefined;
  constructor(
    code: Extract<ErrorCode, `link.${string}`>,
    message: string,
    options?: GatewayErrorOptions & { linkCode?: number },
  ) {
    super(code, message, options);
    this.linkCode = options?.linkCode;
  }
}

export class StateCorruptError extends GatewayError {
  constructor(key: string, message: string, options?: GatewayErrorOptions) {
    super('state.corrupt', `state "${key}": ${message}`, options);
  }
}

export class SecretMissingError extends GatewayError {
  constructor(subdevice: string, options?: GatewayErrorOptions) {
    super(
      'secret.missing',
      `no secret for subdevice ${subdevice}: add it to the secret store (config "secrets") to bind it`,
      options,
    );
  }
}

/** Installing or rolling back the gateway's own software failed (the installer's own words kept). */
export class SelfUpdateError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super('self_update.failed', message, options);
  }
}

/** The platform refused a dynamic registration; `hubCode`/`hubMessage` keep what it answered. */
export class RegistrationRefusedError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super('registration.refused', message, options);
  }
}

export function isGatewayError(e: unknown): e is GatewayError {
  return e instanceof GatewayError;
}

/** Wraps anything thrown into a GatewayError, keeping the original as `cause`. */
export function toGatewayError(e: unknown, fallbackMessage = 'unexpected error'): GatewayError {
  if (e instanceof GatewayError) return e;
  const message = e instanceof Error ? `${fallbackMessage}: ${e.message}` : fallbackMessage;
  return new GatewayError('internal', message, { cause: e });
}
