import { GatewayError, type GatewayErrorOptions } from './errors.js';
import { subdeviceKey, type SubdeviceId } from './subdevice-id.js';

/**
 * Why the hub refused a gateway operation for one subdevice: one stable name per `result` code the
 * platform documents (0, -1, -2 in the gateway docs; -801..-810 from the vendor C SDK's
 * `QCLOUD_ERR_BIND_*`). Callers branch on these names, never on the number or the message.
 */
export type SubdeviceRefusalReason =
  | 'not_bound'
  | 'hub_system_error'
  | 'invalid_parameters'
  | 'subdevice_not_found'
  | 'signature_mismatch'
  | 'sign_method_unsupported'
  | 'signature_expired'
  | 'bound_to_another_gateway'
  | 'not_bindable'
  | 'not_permitted'
  | 'already_bound'
  | 'subdevice_unsupported'
  /** A code the platform does not document: kept as `hubCode`, not guessed at. */
  | 'undocumented';

/** The gateway operation a refusal answers. */
export type SubdeviceOperation = 'online' | 'offline' | 'bind' | 'unbind';

/**
 * The hub refused `operation` for `subdevice`: `reason` names why, `hubCode` is the hub's own
 * `result`, the message gives the platform's meaning and what to do.
 */
export class SubdeviceOperationRefusedError extends GatewayError {
  constructor(
    readonly operation: SubdeviceOperation,
    readonly subdevice: SubdeviceId,
    readonly reason: SubdeviceRefusalReason,
    readonly hubCode: number,
    meaning: string,
    options: GatewayErrorOptions = {},
  ) {
    super('hub.subdevice_refused', `the hub refused ${operation} of ${subdeviceKey(subdevice)}: ${meaning} (${reason}, hub code ${hubCode})`, {
      ...options,
      details: { operation, subdevice: subdeviceKey(subdevice), reason, hubCode, ...options.details },
    });
  }
}
