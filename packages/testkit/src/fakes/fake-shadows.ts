import { HubDisconnectedError, subdeviceKey, type ShadowDocument, type ShadowState, type ShadowUpdate, type SubdeviceId } from '@iotgw/domain';

interface Shadow {
  version: number;
  reported: ShadowState;
  desired: ShadowState | undefined;
}

/** The FakeHub's device shadows: what the hub keeps, with its delta rule (desired not reported yet). */
export class FakeShadows {
  readonly #shadows = new Map<string, Shadow>();

  of(subdevice: SubdeviceId): Shadow {
    const key = subdeviceKey(subdevice);
    let s = this.#shadows.get(key);
    if (!s) {
      s = { version: 0, reported: {}, desired: undefined };
      this.#shadows.set(key, s);
    }
    return s;
  }

  document(subdevice: SubdeviceId): ShadowDocument {
    const s = this.of(subdevice);
    return { version: s.version, reported: { ...s.reported }, desired: s.desired ? { ...s.desired } : undefined, delta: this.delta(s) };
  }

  delta(s: Shadow): ShadowState | undefined {
    if (!s.desired) return undefined;
    const delta: ShadowState = {};
    for (const [k, v] of Object.entries(s.desired)) if (JSON.stringify(s.reported[k]) !== JSON.stringify(v)) delta[k] = v;
    return Object.keys(delta).length > 0 ? delta : undefined;
  }

  update(subdevice: SubdeviceId, update: ShadowUpdate): { version: number } {
    const s = this.of(subdevice);
    for (const [k, v] of Object.entries(update.reported ?? {})) {
      if (v === null) delete s.reported[k];
      else s.reported[k] = v;
    }
    if (update.clearDesired) s.desired = undefined;
    s.version++;
    return { version: s.version };
  }

  /** Desired state set on the hub side; returns the delta to push (if any). */
  setDesired(subdevice: SubdeviceId, desired: ShadowState): { version: number; delta: ShadowState | undefined } {
    const s = this.of(subdevice);
    s.desired = { ...s.desired, ...desired };
    s.version++;
    return { version: s.version, delta: this.delta(s) };
  }
}

export function notOnline(subdevice: SubdeviceId): HubDisconnectedError {
  return new HubDisconnectedError(`${subdeviceKey(subdevice)} is not online at the hub: its shadow can be used once it is`);
}
