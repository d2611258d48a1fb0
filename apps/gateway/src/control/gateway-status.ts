import type { Gateway } from '@iotgw/app';
import { SubdeviceSessions } from '@iotgw/app';
import { reportsUplinkBacklog, subdeviceKey, type HubConnectionState, type UplinkBacklogStats } from '@iotgw/domain';

export interface SubdeviceStatus {
  readonly id: string;
  readonly session: string;
  readonly attached: boolean;
  readonly link?: string;
  readonly firmwareVersion?: string;
  /** Phase and percent of a firmware job in progress. */
  readonly ota?: { readonly phase: string; readonly percent: number; readonly version: string };
  /** Readings held for the hub (offline store), when the hub adapter keeps one. */
  readonly held?: number;
}

export interface GatewayStatus {
  readonly hub: HubConnectionState;
  readonly subdevices: readonly SubdeviceStatus[];
  /** QoS 1 readings waiting for the hub; undefined when the hub adapter keeps no offline store. */
  readonly uplink: UplinkBacklogStats | undefined;
}

/** A snapshot of what the gateway knows: hub connection, each declared subdevice, OTA jobs, held data. */
export function gatewayStatus(gateway: Gateway): GatewayStatus {
  const sessions = gateway.container.resolve(SubdeviceSessions);
  const { directory, ota } = gateway.service;
  const uplink = reportsUplinkBacklog(gateway.hub) ? gateway.hub.uplinkBacklog() : undefined;
  const subdevices = gateway.settings.subdevices.map((s) => {
    const id = subdeviceKey(s);
    const entry = directory.find(s);
    const job = ota.jobOf(s);
    return {
      id,
      session: sessions.stateOf(s),
      attached: entry !== undefined,
      ...(entry ? { link: entry.link.name, firmwareVersion: entry.firmwareVersion } : {}),
      ...(job ? { ota: { phase: job.phase, percent: job.percent, version: job.job.version } } : {}),
      ...(uplink ? { held: uplink.held[id] ?? 0 } : {}),
    };
  });
  return { hub: gateway.hub.state, subdevices, uplink };
}
