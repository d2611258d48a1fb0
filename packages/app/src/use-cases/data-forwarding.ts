import { inject, injectable } from 'tsyringe';
import {
  CLOCK,
  GATEWAY_SETTINGS,
  HUB_TRANSPORT,
  LOGGER,
  ThrottledLog,
  subdeviceKey,
  type Clock,
  type HubTransport,
  type Logger,
  type SubdeviceId,
  type Subscription,
} from '@iotgw/domain';
import type { GatewaySettings } from '../gateway-settings.js';
import { TaskTracker } from '../task-tracker.js';
import { DownlinkQueues, type DownlinkDropReason } from './downlink-queues.js';
import { SubdeviceDirectory } from './subdevice-directory.js';

/**
 * Data both ways: what a subdevice sends over its link is published on the channel it names
 * (`{pid}/{dev}/data` when it names none; the hub transport refuses channels the product does not
 * declare), and the link acknowledges it to the subdevice only once the hub transport holds it
 * durably; what
 * the hub sends down to a subdevice (its data topics, broadcasts to its product) goes over the
 * link it is attached to with its channel, through a bounded queue per subdevice (see DownlinkQueues).
 */
@injectable()
export class DataForwarding {
  readonly #tasks: TaskTracker;
  readonly #warnings: ThrottledLog;
  readonly #downlink: DownlinkQueues;
  #subscriptions: Subscription[] = [];

  constructor(
    @inject(HUB_TRANSPORT) private readonly hub: HubTransport,
    @inject(LOGGER) private readonly logger: Logger,
    @inject(CLOCK) clock: Clock,
    @inject(GATEWAY_SETTINGS) settings: GatewaySettings,
    private readonly directory: SubdeviceDirectory,
  ) {
    this.#tasks = new TaskTracker(logger);
    this.#warnings = new ThrottledLog(logger, clock);
    this.#downlink = new DownlinkQueues(() => settings.downlinkQueueLength, this.#warnings, this.#tasks.signal);
  }

  /** Downlink messages not delivered since start, by reason. */
  get downlinkDropped(): Readonly<Record<DownlinkDropReason, number>> {
    return this.#downlink.dropped;
  }

  start(): void {
    if (this.#subscriptions.length > 0) return;
    this.directory.open();
    this.#subscriptions.push(
      // Every link, also one added while running (a configuration from the hub).
      this.directory.eachLink((link) =>
        link.on('data', ({ subdevice, payload, channel = 'data', acknowledgeWhen }) => {
          const key = subdeviceKey(subdevice);
          // The link acknowledges the reading to the subdevice once the hub transport holds it
          // durably (fsynced or acknowledged by the hub); until then the subdevice keeps it.
          const durable = this.#tasks.track(
            `forwarding data of ${key} to the hub`,
            (signal) => this.hub.publishData(subdevice, channel, payload, { signal }),
            (e) => this.#warnings.warn(`uplink:${e.code}`, `forwarding data of ${key} on channel "${channel}" to the hub failed (not acknowledged to the subdevice, which keeps it): ${e.message}`, { subdevice: key, channel, code: e.code }),
          );
          acknowledgeWhen?.(durable);
        }),
      ),
    );
    this.#subscriptions.push(
      this.hub.on('downlink', ({ subdevice, payload, channel }) => this.#down('downlink', subdevice, payload, channel)),
      // A broadcast to the product reaches each of its online subdevices on its own topic: as data.
      this.hub.on('broadcast', ({ subdevice, payload }) => this.#down('broadcast', subdevice, payload)),
    );
  }

  /** Through the subdevice's bounded queue (a broadcast counts as downlink: it is data for the subdevice). */
  #down(what: 'downlink' | 'broadcast', subdevice: SubdeviceId, payload: Uint8Array, channel = 'data'): void {
    const entry = this.directory.find(subdevice);
    if (!entry) {
      this.#downlink.drop('not_attached', subdevice, `${what} for a subdevice that is not attached; dropped`);
      return;
    }
    this.#downlink.push(subdevice, entry.link, payload, channel);
  }

  async stop(): Promise<void> {
    for (const s of this.#subscriptions) s.close();
    this.#subscriptions = [];
    await this.#tasks.abort();
    await this.#downlink.idle();
  }

  async idle(): Promise<void> {
    await this.#tasks.idle();
    await this.#downlink.idle();
  }
}
