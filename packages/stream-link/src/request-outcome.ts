import { LinkError } from '@iotgw/domain';
import { ResponseStatus, type RequestOutcome } from '@iotgw/link-protocol';

/** A RESPONSE as the port promises it: the bytes, or a LinkError carrying the subdevice's status. */
export function requestOutcomeOf(outcome: RequestOutcome, where: string): Uint8Array {
  if (outcome.status === ResponseStatus.OK) return outcome.payload;
  if (outcome.status === ResponseStatus.UNSUPPORTED) {
    return fail(new LinkError('link.unavailable', `${where}: the subdevice does not handle this request`, { linkCode: outcome.status }));
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(outcome.payload);
  return fail(new LinkError('link.protocol', `${where}: the subdevice's handler failed: ${text || 'no message'}`, { linkCode: outcome.status }));
}

function fail(error: LinkError): never {
  throw error;
}
