import { LinkError, TimeoutError, isGatewayError, toGatewayError, type DetachReason, type GatewayError } from '@iotgw/domain';
import { LinkProtocolError, type PeerDetachReason } from '@iotgw/link-protocol';

/** The one mapping from link-protocol detach reasons to the port's (serial and BLE alike). */
export function detachReasonOf(reason: PeerDetachReason): DetachReason {
  return reason;
}

/**
 * The one mapping from a link-protocol failure to the port's errors, so every link over the
 * protocol reports the same reason with the same code:
 *
 * | LinkProtocolError reason | LinkError code |
 * |---|---|
 * | `detached` (the subdevice left mid-operation) | `link.disconnected` |
 * | `timeout` (no acknowledgement after every attempt, transfer stalled) | `link.disconnected` |
 * | `stopped` (the link stopped or the transfer was cancelled) | `link.disconnected` |
 * | `busy` (a transfer to that subdevice is already running) | `link.protocol` |
 * | `unsupported` (the subdevice announced no FIRMWARE capability) | `link.unavailable` |
 * | `read_failed` (the image could not be read) | the image's own error |
 */
export function linkErrorOf(error: unknown, where: string): GatewayError {
  if (isGatewayError(error)) return error;
  if (error instanceof LinkProtocolError) {
    switch (error.reason) {
      case 'busy':
        return new LinkError('link.protocol', `${where}: ${error.message}`, { cause: error });
      case 'unsupported':
        return new LinkError('link.unavailable', `${where}: ${error.message}`, { cause: error });
      case 'read_failed':
        return toGatewayError(error.cause ?? error, `${where}: reading the image`);
      case 'timeout':
        return new LinkError('link.disconnected', `${where}: the subdevice stopped acknowledging (${error.message})`, {
          cause: error,
          details: { reason: error.reason },
        });
      default:
        return new LinkError('link.disconnected', `${where}: ${error.message}`, { cause: error, details: { reason: error.reason } });
    }
  }
  return toGatewayError(error, where);
}

/** A request's failure: the engine's deadline is the caller's timeout, everything else as above. */
export function requestErrorOf(error: unknown, where: string, timeoutMs: number): GatewayError {
  if (error instanceof LinkProtocolError && error.reason === 'timeout') return new TimeoutError(where, timeoutMs, { cause: error });
  return linkErrorOf(error, where);
}
