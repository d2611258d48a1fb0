import { inject, injectable } from 'tsyringe';
import {
  CancelledError,
  CLOCK,
  GATEWAY_SETTINGS,
  HUB_TRANSPORT,
  LOGGER,
  type Clock,
  toGatewayError,
  type CallOptions,
  type HubTransport,
  type Logger,
  type SubdeviceLink,
  type Subscription,
} from '@iotgw/domain';
import type { GatewaySettings } from '../gateway-settings.js';
import { Binding } from './binding.js';
import { DataForwarding } from './data-forwarding.js';
import { OtaCoordinator } from './ota-coordinator.js';
import { RrpcForwarding } from './rrpc-forwarding.js';
import { ShadowSync } from './shadow-sync.js';
import { HubClockSync } from './hub-clock-sync.js';
import { SubdeviceDirectory } from './subdevice-directory.js';
import { SubdevicePresence } from './subdevice-presence.js';

/**
 * The running gateway: listeners first (so no event is missed), then the hub connection, then the
 * links, then OTA (listening, resuming persisted jobs), then presence. `stop` undoes it in reverse order and cancels everything.
 */
@injectable()
export class GatewayService {
  #started = false;
  /** Links started (in order), so a stop stops exactly those, last first. */
  #startedLinks: SubdeviceLink[] = [];
  #subscriptions: Subscription[] = [];

  constructor(
    @inject(HUB_TRANSPORT) private readonly hub: HubTransport,
    @inject(LOGGER) private readonly logger: Logger,
    readonly directory: SubdeviceDirectory,
    readonly presence: SubdevicePresence,
    readonly binding: Binding,
    readonly forwarding: DataForwarding,
    readonly ota: OtaCoordinator,
    readonly rrpc: RrpcForwarding,
    readonly shadow: ShadowSync,
    readonly hubClock: HubClockSync,
    @inject(CLOCK) private readonly clock: Clock,
    @inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {}

  async start(options: CallOptions = {}): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.directory.open();
    // Faults no caller waits for: logged with their code so an operator sees them.
    this.#subscriptions.push(
      this.hub.on('error', (error) => this.logger.warn(`hub: ${error.message}`, { code: error.code })),
      this.directory.eachLink((link) =>
        link.on('error', (error) => this.logger.warn(`link ${link.name}: ${error.message}`, { code: error.code })),
      ),
    );
    this.binding.start();
    this.forwarding.start();
    this.rrpc.start();
    this.shadow.start();
    this.hubClock.start();
    await this.#connectHub(options);
    for (const link of [...this.directory.links]) {
      await link.start(options);
      this.#startedLinks.push(link);
    }
    // OTA listens before presence brings anything online, so every online gets its version report.
    await this.ota.start(options);
    await this.presence.start(options);
    this.logger.info('gateway started', { links: this.directory.links.length });
  }

  /**
   * Waits for the hub up to `timeoutMs` (default the hub timeout), then goes on without it: a
   * gateway that boots before its uplink (power cut, a slow cellular modem) serves its
   * subdevices and holds their data, and the transport keeps connecting in the background.
   * Refused credentials within the wait still fail the start: that is a configuration error.
   */
  async #connectHub(options: CallOptions): Promise<void> {
    const connecting = this.hub.connect({ ...(options.signal ? { signal: options.signal } : {}), timeoutMs: Number.POSITIVE_INFINITY });
    const wait = new AbortController();
    const waitMs = options.timeoutMs ?? this.settings.hubTimeoutMs;
    try {
      const connected = await Promise.race([
        connecting.then(() => true),
        this.clock.sleep(waitMs, wait.signal).then(() => false, () => false),
      ]);
      if (connected) return;
    } finally {
      wait.abort();
    }
    this.logger.warn(`the hub is not reachable after ${waitMs} ms; running without it: readings are held and sent once it connects (the connection is retried with backoff)`);
    connecting.then(
      () => this.logger.info('connected to the hub'),
      (error: unknown) => {
        if (error instanceof CancelledError || !this.#started) return;
        this.logger.error(`connecting to the hub failed for good: ${toGatewayError(error).message}`, { code: toGatewayError(error).code });
      },
    );
  }

  /**
   * Takes on a link while running (a configuration from the hub added one): followed by every use
   * case like the links of the start, then started, so its subdevices attach and come online as at
   * start. The hub connection is not touched. A link that fails to start is let go again and the
   * error thrown. Before `start`, the link is only added (start starts it).
   */
  async addLink(link: SubdeviceLink, options: CallOptions = {}): Promise<void> {
    this.directory.addLink(link);
    if (!this.#started) return;
    try {
      await link.start(options);
    } catch (error) {
      await link.stop().catch(() => undefined);
      this.directory.removeLink(link);
      throw error;
    }
    this.#startedLinks.push(link);
    this.logger.info(`link ${link.name} added`, { links: this.directory.links.length });
  }

  /**
   * Lets go of a link while running: it is stopped (its subdevices detach as 'stopped', so they go
   * offline at the hub), then no longer followed. The hub connection and what it holds for other
   * subdevices are not touched. A failing stop is logged, not thrown. A link never started is
   * stopped too (stop is idempotent): an adapter may hold something from its construction.
   */
  async removeLink(link: SubdeviceLink, options: CallOptions = {}): Promise<void> {
    const at = this.#startedLinks.indexOf(link);
    if (at >= 0) this.#startedLinks.splice(at, 1);
    await this.#stopLink(link, options);
    this.directory.removeLink(link);
    if (this.#started) this.logger.info(`link ${link.name} removed`, { links: this.directory.links.length });
  }

  /** Resolves when no background work (online calls, forwarding, OTA) is running. */
  async idle(): Promise<void> {
    await Promise.all([this.presence.idle(), this.binding.idle(), this.forwarding.idle(), this.rrpc.idle(), this.shadow.idle(), this.ota.idle()]);
  }

  /** Cancels the use cases, stops the links and closes the hub; errors are logged, not thrown. */
  async stop(options: CallOptions = {}): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    for (const s of this.#subscriptions) s.close();
    this.#subscriptions = [];
    await this.ota.stop();
    await this.forwarding.stop();
    await this.rrpc.stop();
    await this.shadow.stop();
    await this.hubClock.stop();
    await this.binding.stop();
    await this.presence.stop();
    const links = this.#startedLinks.reverse();
    this.#startedLinks = [];
    for (const link of links) await this.#stopLink(link, options);
    await this.hub.close(options).catch((error: unknown) => {
      this.logger.warn(`closing the hub connection failed: ${toGatewayError(error).message}`);
    });
    this.directory.close();
    this.logger.info('gateway stopped');
  }

  /** Stops a link; a failure is logged, not thrown (the rest of a stop or change goes on). */
  async #stopLink(link: SubdeviceLink, options: CallOptions): Promise<void> {
    await link.stop(options).catch((error: unknown) => {
      this.logger.warn(`stopping link ${link.name} failed: ${toGatewayError(error).message}`);
    });
  }
}
