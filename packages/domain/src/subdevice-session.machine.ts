/**
 * A subdevice's standing with the hub, as the gateway knows it. Pure: the table decides,
 * callers do the I/O. `offline` means bound and known not online (it was online before).
 */
export type SessionState = 'unbound' | 'bound' | 'online' | 'offline';

export type SessionEvent =
  | 'bind_succeeded'
  | 'unbind_succeeded'
  | 'online_succeeded'
  | 'offline_succeeded'
  /** The hub connection dropped: the hub forgets every online subdevice. */
  | 'hub_lost'
  /** The console bound/unbound it (hub `change` message). */
  | 'hub_bound'
  | 'hub_unbound';

export const SESSION_TRANSITIONS: Readonly<Record<SessionState, Partial<Record<SessionEvent, SessionState>>>> = {
  unbound: {
    bind_succeeded: 'bound',
    hub_bound: 'bound',
    // The hub only lets bound subdevices online, so a successful online proves a binding we missed.
    online_succeeded: 'online',
    unbind_succeeded: 'unbound',
    hub_unbound: 'unbound',
  },
  bound: {
    online_succeeded: 'online',
    offline_succeeded: 'offline',
    bind_succeeded: 'bound',
    hub_bound: 'bound',
    unbind_succeeded: 'unbound',
    hub_unbound: 'unbound',
  },
  online: {
    online_succeeded: 'online',
    offline_succeeded: 'offline',
    hub_lost: 'offline',
    bind_succeeded: 'online',
    hub_bound: 'online',
    unbind_succeeded: 'unbound',
    hub_unbound: 'unbound',
  },
  offline: {
    online_succeeded: 'online',
    offline_succeeded: 'offline',
    hub_lost: 'offline',
    bind_succeeded: 'offline',
    hub_bound: 'offline',
    unbind_succeeded: 'unbound',
    hub_unbound: 'unbound',
  },
};

export interface Transition<S> {
  readonly state: S;
  /** False when the event does not apply in this state; `state` is then unchanged. */
  readonly accepted: boolean;
}

export function nextSessionState(state: SessionState, event: SessionEvent): Transition<SessionState> {
  const next = SESSION_TRANSITIONS[state][event];
  return next === undefined ? { state, accepted: false } : { state: next, accepted: true };
}
