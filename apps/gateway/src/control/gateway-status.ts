import type { Gateway } from '@iotgw/app';
import { SubdeviceSessions } from '@iotgw/app';
import { subdeviceKey, type HubConnectionState } from '@iotgw/domain';

export interface SubdeviceStatus {
  readonly id: string;
  readonly session: string;
  readonly attached: boolean;
  readonly link?: string;
  readonly firmwareVersion?: string;
  /** Phase and percent of a firmware job in progress. */
  readonly ota?: { readonly phase: string; readonly percent: number; readonly version: string };
}

export interface GatewayStatus {
  readonly hub: HubConnectionState;
  readonly subdevices: readonly SubdeviceStatus[];
  /** QoS 1 messages waiting for the hub; undefined when the hub adapter does not say. */
  readonly outboxDepth: number | undefined;
}

/** The MQTT transport reports its outbox; other hub adapters may not. */
function outboxDepthOf(hub: unknown): number | undefined {
  const stats = (hub as { outboxStats?: { size?: unknown } }).outboxStats;
  return typeof stats?.size === 'number' ? stats.size : undefined;
}

/** A snapshot of what the gateway knows: hub connection, each declared subdevice, OTA jobs. */
export function gatewayStatus(gateway: Gateway): GatewayStatus {
  const sessions = gateway.container.resolve(SubdeviceSessions);
  const { directory, ota } = gateway.service;
  const subdevices = gateway.settings.subdevices.map((s) => {
    const entry = directory.find(s);
    const job = ota.jobOf(s);
    return {
      id: subdeviceKey(s),
      session: sessions.stateOf(s),
      attached: entry !== undefined,
      ...(entry ? { link: entry.link.name, firmwareVersion: entry.firmwareVersion } : {}),
      ...(job ? { ota: { phase: job.phase, percent: job.percent, version: job.job.version } } : {}),
    };
  });
  return { hub: gateway.hub.state, subdevices, outboxDepth: outboxDepthOf(gateway.hub) };
}
