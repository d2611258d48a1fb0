import type { HubTransport, Subscription } from '@iotgw/domain';

/**
 * Runs `ask` now if the hub is connected, and again on every (re)connection: what the gateway
 * asks the hub for (its log level, its configuration) may have changed while it was away.
 */
export function onEveryConnection(hub: Pick<HubTransport, 'on' | 'state'>, ask: () => void): Subscription {
  const subscription = hub.on('state', (state) => {
    if (state === 'connected') ask();
  });
  if (hub.state === 'connected') ask();
  return subscription;
}
