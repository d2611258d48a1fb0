import { inject, injectable } from 'tsyringe';
import {
  CLOCK,
  GATEWAY_SETTINGS,
  HUB_TRANSPORT,
  LOGGER,
  offersHubTime,
  servesTime,
  toGatewayError,
  type CallOptions,
  type Clock,
  type HubTimeReading,
  type HubTransport,
  type Logger,
  type Subscription,
} from '@iotgw/domain';
import type { GatewaySettings } from '../gateway-settings.js';
import { TaskTracker } from '../task-tracker.js';
import { onEveryConnection } from './on-every-connection.js';
import { SubdeviceDirectory } from './subdevice-directory.js';

/** How often the offset is measured again while connected. */
const RESYNC_MS = 30 * 60_000;

/**
 * Hub time for subdevices without a clock: the gateway measures the offset between its clock and
 * the hub's (the hub's time service, NTP-corrected for the round trip) at every connection and
 * every 30 minutes, and its links answer subdevices' time requests from it at once. Until the first
 * measurement they answer with the gateway's own clock, marked unsynced.
 */
@injectable()
export class HubClockSync {
  #offsetMs: number | undefined;
  #subscriptions: Subscription[] = [];
  readonly #tasks: TaskTracker;

  constructor(
    @inject(HUB_TRANSPORT) private readonly hub: HubTransport,
    @inject(LOGGER) private readonly logger: Logger,
    @inject(CLOCK) private readonly clock: Clock,
    @inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
    private readonly directory: SubdeviceDirectory,
  ) {
    this.#tasks = new TaskTracker(logger);
  }

  /** Hub time now, as the links hand it to subdevices. */
  now(): HubTimeReading {
    const local = this.clock.now();
    return this.#offsetMs === undefined ? { unixMs: local, synced: false } : { unixMs: local + this.#offsetMs, synced: true };
  }

  /** The last measured offset (hub − gateway, ms), undefined before the first. */
  get offsetMs(): number | undefined {
    return this.#offsetMs;
  }

  start(): void {
    if (this.#subscriptions.length > 0) return;
    // Every link, also one added while running (a configuration from the hub).
    this.#subscriptions.push(
      this.directory.eachLink((link) => {
        if (servesTime(link)) link.serveTime(() => this.now());
      }),
    );
    if (!offersHubTime(this.hub)) {
      this.logger.debug("the hub adapter offers no time service: subdevices get the gateway's own clock, marked unsynced");
      return;
    }
    this.#subscriptions.push(onEveryConnection(this.hub, () => this.#tasks.run('measuring hub time', (signal) => this.sync({ signal }))));
    this.#tasks.run('measuring hub time periodically', async (signal) => {
      for (;;) {
        await this.clock.sleep(RESYNC_MS, signal);
        if (this.hub.state === 'connected') await this.sync({ signal }).catch((error: unknown) => this.logger.warn(`measuring hub time failed: ${toGatewayError(error).message}`));
      }
    });
  }

  async stop(): Promise<void> {
    for (const s of this.#subscriptions) s.close();
    this.#subscriptions = [];
    await this.#tasks.abort();
  }

  idle(): Promise<void> {
    return Promise.resolve();
  }

  /** Measures the offset now. */
  async sync(options: CallOptions = {}): Promise<void> {
    if (!offersHubTime(this.hub)) return;
    const { unixMs, at } = await this.hub.hubTime({ timeoutMs: this.settings.hubTimeoutMs, ...options });
    const offset = unixMs - at;
    const first = this.#offsetMs === undefined;
    this.#offsetMs = offset;
    if (first || Math.abs(offset) > 2000) this.logger.info('hub time measured', { offsetMs: offset });
  }
}
