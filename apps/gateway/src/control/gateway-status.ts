import type { Gateway } from '@iotgw/app';
import { SubdeviceSessions } from '@iotgw/app';
import { otaLegProgress, reportsUplinkBacklog, subdeviceKey, type HubConnectionState, type OtaJobState, type UplinkBacklogStats } from '@iotgw/domain';

export interface SubdeviceStatus {
  readonly id: string;
  readonly session: string;
  readonly attached: boolean;
  readonly link?: string;
  readonly firmwareVersion?: string;
  /**
   * A firmware job in progress: its phase and the percent of that phase, and each leg's percent
   * (`download`: the image to the gateway; `delivery`: the image to the subdevice), null for a
   * leg not reached.
   */
  readonly ota?: {
    readonly phase: string;
    readonly percent: number;
    readonly version: string;
    readonly download: number | null;
    readonly delivery: number | null;
  };
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
      ...(job ? { ota: otaStatus(job) } : {}),
      ...(uplink ? { held: uplink.held[id] ?? 0 } : {}),
    };
  });
  return { hub: gateway.hub.state, subdevices, uplink };
}

function otaStatus(job: OtaJobState): NonNullable<SubdeviceStatus['ota']> {
  const legs = otaLegProgress(job);
  return { phase: job.phase, percent: job.percent, version: job.job.version, download: legs.download ?? null, delivery: legs.delivery ?? null };
}
