import type { Gateway } from '@iotgw/app';
import { SubdeviceSessions } from '@iotgw/app';
import { otaLegProgress, subdeviceKey, type HubConnectionState, type OtaJobState } from '@iotgw/domain';

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
      ...(job ? { ota: otaStatus(job) } : {}),
    };
  });
  return { hub: gateway.hub.state, subdevices, outboxDepth: outboxDepthOf(gateway.hub) };
}

function otaStatus(job: OtaJobState): NonNullable<SubdeviceStatus['ota']> {
  const legs = otaLegProgress(job);
  return { phase: job.phase, percent: job.percent, version: job.job.version, download: legs.download ?? null, delivery: legs.delivery ?? null };
}
