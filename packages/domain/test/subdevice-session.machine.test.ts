import test from 'ava';
import { nextSessionState, SESSION_TRANSITIONS, type SessionEvent, type SessionState } from '../src/index.js';

const STATES: SessionState[] = ['unbound', 'bound', 'online', 'offline'];
const EVENTS: SessionEvent[] = [
  'bind_succeeded',
  'unbind_succeeded',
  'online_succeeded',
  'offline_succeeded',
  'hub_lost',
  'hub_bound',
  'hub_unbound',
];

// The whole table, written out: state × event → next state, or null when refused.
const EXPECTED: Record<SessionState, Record<SessionEvent, SessionState | null>> = {
  unbound: {
    bind_succeeded: 'bound',
    unbind_succeeded: 'unbound',
    online_succeeded: 'online',
    offline_succeeded: null,
    hub_lost: null,
    hub_bound: 'bound',
    hub_unbound: 'unbound',
  },
  bound: {
    bind_succeeded: 'bound',
    unbind_succeeded: 'unbound',
    online_succeeded: 'online',
    offline_succeeded: 'offline',
    hub_lost: null,
    hub_bound: 'bound',
    hub_unbound: 'unbound',
  },
  online: {
    bind_succeeded: 'online',
    unbind_succeeded: 'unbound',
    online_succeeded: 'online',
    offline_succeeded: 'offline',
    hub_lost: 'offline',
    hub_bound: 'online',
    hub_unbound: 'unbound',
  },
  offline: {
    bind_succeeded: 'offline',
    unbind_succeeded: 'unbound',
    online_succeeded: 'online',
    offline_succeeded: 'offline',
    hub_lost: 'offline',
    hub_bound: 'offline',
    hub_unbound: 'unbound',
  },
};

for (const state of STATES) {
  for (const event of EVENTS) {
    const expected = EXPECTED[state][event];
    const title =
      expected === null ? `session: ${state} refuses ${event} and stays ${state}` : `session: ${state} + ${event} → ${expected}`;
    test(title, (t) => {
      const result = nextSessionState(state, event);
      if (expected === null) {
        t.deepEqual(result, { state, accepted: false });
      } else {
        t.deepEqual(result, { state: expected, accepted: true });
      }
    });
  }
}

test('session: the table has exactly the four states and no unknown events', (t) => {
  t.deepEqual(Object.keys(SESSION_TRANSITIONS).sort(), [...STATES].sort());
  for (const state of STATES) {
    for (const event of Object.keys(SESSION_TRANSITIONS[state])) t.true(EVENTS.includes(event as SessionEvent), event);
  }
});

test('session: losing the hub takes online subdevices offline (the hub forgot them)', (t) => {
  t.is(nextSessionState('online', 'hub_lost').state, 'offline');
});
