import { Counter, Gauge, Registry } from 'prom-client';
import { DOWNLINK_DROP_REASONS, type Gateway, type RrpcStats } from '@iotgw/app';
import type { Subscription } from '@iotgw/domain';
import { gatewayStatus, type GatewayStatus } from './gateway-status.js';

/** Prometheus metrics of one gateway, read from its state at scrape time (no polling loop). */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #subscriptions: Subscription[] = [];

  constructor(gateway: Gateway) {
    const status = (): ReturnType<typeof gatewayStatus> => gatewayStatus(gateway);
    new Gauge({
      name: 'iotgw_hub_connected',
      help: '1 while the MQTT connection to the hub is up',
      registers: [this.registry],
      collect() {
        this.set(status().hub === 'connected' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'iotgw_subdevices',
      help: 'Declared subdevices by session state (unbound, bound, online, offline)',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const state of ['unbound', 'bound', 'online', 'offline']) this.set({ state }, 0);
        for (const s of status().subdevices) this.inc({ state: s.session });
      },
    });
    new Gauge({
      name: 'iotgw_subdevices_attached',
      help: 'Declared subdevices currently attached to a link',
      registers: [this.registry],
      collect() {
        this.set(status().subdevices.filter((s) => s.attached).length);
      },
    });
    const uplink = (): GatewayStatus['uplink'] => status().uplink;
    new Gauge({
      name: 'iotgw_uplink_backlog',
      help: 'QoS 1 readings held for the hub (offline store), in flight included',
      registers: [this.registry],
      collect() {
        this.set(uplink()?.depth ?? 0);
      },
    });
    new Gauge({
      name: 'iotgw_uplink_backlog_bytes',
      help: 'Bytes the offline store takes (segment files plus not yet written)',
      registers: [this.registry],
      collect() {
        this.set(uplink()?.bytes ?? 0);
      },
    });
    new Gauge({
      name: 'iotgw_uplink_backlog_oldest_seconds',
      help: 'Age of the oldest held reading',
      registers: [this.registry],
      collect() {
        this.set((uplink()?.oldestAgeMs ?? 0) / 1000);
      },
    });
    new Gauge({
      name: 'iotgw_uplink_held',
      help: 'Readings held for the hub, by subdevice',
      labelNames: ['subdevice'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const s of status().subdevices) if (s.held !== undefined) this.set({ subdevice: s.id }, s.held);
      },
    });
    new Gauge({
      name: 'iotgw_uplink_dropped_total',
      help: 'Readings the offline store dropped since start, by reason (max_bytes, max_age, disk_full)',
      labelNames: ['reason'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [reason, count] of Object.entries(uplink()?.dropped ?? {})) this.set({ reason }, count);
      },
    });
    new Gauge({
      name: 'iotgw_uplink_store_degraded',
      help: '1 while the offline store cannot write to disk (e.g. disk full): readings are held in memory, bounded',
      registers: [this.registry],
      collect() {
        this.set(uplink()?.degraded ? 1 : 0);
      },
    });
    new Gauge({
      name: 'iotgw_ota_jobs',
      help: 'Firmware jobs in progress by phase',
      labelNames: ['phase'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const s of status().subdevices) if (s.ota) this.inc({ phase: s.ota.phase });
      },
    });
    // Both legs of each job in progress, by subdevice (a leg not reached is absent).
    for (const leg of ['download', 'delivery'] as const) {
      new Gauge({
        name: `iotgw_ota_${leg}_percent`,
        help:
          leg === 'download'
            ? 'Firmware download progress (image to the gateway) of each job in progress, 0..100'
            : 'Firmware delivery progress (image to the subdevice over its link) of each job in progress, 0..100',
        labelNames: ['subdevice'],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const s of status().subdevices) {
            const percent = s.ota?.[leg];
            if (percent !== undefined && percent !== null) this.set({ subdevice: s.id }, percent);
          }
        },
      });
    }
    new Counter({
      name: 'iotgw_downlink_dropped_total',
      help: 'Downlink messages from the hub not delivered to their subdevice, by reason (queue_full: the per-subdevice queue was full and the oldest went; too_large: over the link maxPayloadSize; not_attached; send_failed)',
      labelNames: ['reason'],
      registers: [this.registry],
      collect() {
        const dropped = gateway.service.forwarding.downlinkDropped;
        this.reset();
        for (const reason of DOWNLINK_DROP_REASONS) this.inc({ reason }, dropped[reason]);
      },
    });
    const rrpc = (): RrpcStats => gateway.service.rrpc.stats;
    new Gauge({
      name: 'iotgw_rrpc_requests',
      help: 'RRPC requests for subdevices since start, by outcome (answered; timed_out, not_attached, unsupported, failed: no reply sent)',
      labelNames: ['outcome'],
      registers: [this.registry],
      collect() {
        const s = rrpc();
        this.set({ outcome: 'answered' }, s.answered);
        this.set({ outcome: 'timed_out' }, s.timedOut);
        this.set({ outcome: 'not_attached' }, s.notAttached);
        this.set({ outcome: 'unsupported' }, s.unsupported);
        this.set({ outcome: 'failed' }, s.failed);
      },
    });
    const linkErrors = new Counter({
      name: 'iotgw_link_errors_total',
      help: 'Subdevices lost by a link (link lost or keepalive timeout), by link',
      labelNames: ['link'],
      registers: [this.registry],
    });
    this.#subscriptions.push(
      gateway.service.directory.on('detached', ({ link, reason }) => {
        if (reason === 'link_lost' || reason === 'keepalive_timeout') linkErrors.inc({ link: link.name });
      }),
    );
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  close(): void {
    for (const s of this.#subscriptions) s.close();
  }
}
