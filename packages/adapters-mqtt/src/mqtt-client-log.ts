import createDebug from 'debug';

const quiet = (): void => undefined;

/**
 * The `log` option for mqtt.js: its own `debug` logger when DEBUG enables it (as `debug` itself
 * decides, exclusions and wildcards included), otherwise a no-op. A disabled `debug` logger still
 * builds an arguments array on each of the several calls mqtt.js makes per packet: 20 % of what
 * the gateway allocated while draining its store (allocation profile of the offline-store bench).
 */
export function mqttClientLog(): { log?: () => void } {
  return createDebug.enabled('mqttjs:client') ? {} : { log: quiet };
}
