import { injectable } from 'tsyringe';
import { nextSessionState, subdeviceKey, type SessionEvent, type SessionState, type SubdeviceId } from '@iotgw/domain';

/**
 * Each subdevice's standing with the hub, moved only through the domain's session table, and
 * shared by the presence and binding use cases of one gateway.
 */
@injectable()
export class SubdeviceSessions {
  readonly #states = new Map<string, { subdevice: SubdeviceId; state: SessionState }>();

  stateOf(subdevice: SubdeviceId): SessionState {
    return this.#states.get(subdeviceKey(subdevice))?.state ?? 'unbound';
  }

  /** Applies `event`; returns the new state (unchanged when the table does not accept it). */
  apply(subdevice: SubdeviceId, event: SessionEvent): SessionState {
    const key = subdeviceKey(subdevice);
    const { state } = nextSessionState(this.stateOf(subdevice), event);
    this.#states.set(key, { subdevice, state });
    return state;
  }

  inState(state: SessionState): SubdeviceId[] {
    return [...this.#states.values()].filter((e) => e.state === state).map((e) => e.subdevice);
  }
}
