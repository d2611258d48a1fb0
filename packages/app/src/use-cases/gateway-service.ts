import { inject, injectable } from 'tsyringe';
import {
  HUB_TRANSPORT,
  LOGGER,
  toGatewayError,
  type CallOptions,
  type HubTransport,
  type Logger,
  type Subscription,
} from '@iotgw/domain';
import { Binding } from './binding.js';
import { DataForwarding } from './data-forwarding.js';
import { OtaCoordinator } from './ota-coordinator.js';
import { SubdeviceDirectory } from './subdevice-directory.js';
import { SubdevicePresence } from './subdevice-presence.js';

/**
 * The running gateway: listeners first (so no event is missed), then the hub connection, then the
 * links, then OTA (listening, resuming persisted jobs), then presence. `stop` undoes it in reverse order and cancels everything.
 */
@injectable()
export class GatewayService {
  #started = false;
  #linksStarted = 0;
  #subscriptions: Subscription[] = [];

  constructor(
    @inject(HUB_TRANSPORT) private readonly hub: HubTransport,
    @inject(LOGGER) private readonly logger: Logger,
    readonly directory: SubdeviceDirectory,
    readonly presence: SubdevicePresence,
    readonly binding: Binding,
    readonly forwarding: DataForwarding,
    readonly ota: OtaCoordinator,
  ) {}

  async start(options: CallOptions = {}): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.directory.open();
    // Faults no caller waits for: logged with their code so an operator sees them.
    this.#subscriptions.push(
      this.hub.on('error', (error) => this.logger.warn(`hub: ${error.message}`, { code: error.code })),
      ...this.directory.links.map((link) =>
        link.on('error', (error) => this.logger.warn(`link ${link.name}: ${error.message}`, { code: error.code })),
      ),
    );
    this.binding.start();
    this.forwarding.start();
    await this.hub.connect(options);
    for (const link of this.directory.links) {
      await link.start(options);
      this.#linksStarted++;
    }
    // OTA listens before presence brings anything online, so every online gets its version report.
    await this.ota.start(options);
    await this.presence.start(options);
    this.logger.info('gateway started', { links: this.directory.links.length });
  }

  /** Resolves when no background work (online calls, forwarding, OTA) is running. */
  async idle(): Promise<void> {
    await Promise.all([this.presence.idle(), this.binding.idle(), this.forwarding.idle(), this.ota.idle()]);
  }

  /** Cancels the use cases, stops the links and closes the hub; errors are logged, not thrown. */
  async stop(options: CallOptions = {}): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    for (const s of this.#subscriptions) s.close();
    this.#subscriptions = [];
    await this.ota.stop();
    await this.forwarding.stop();
    await this.binding.stop();
    await this.presence.stop();
    const links = this.directory.links.slice(0, this.#linksStarted).reverse();
    this.#linksStarted = 0;
    for (const link of links) {
      await link.stop(options).catch((error: unknown) => {
        this.logger.warn(`stopping link ${link.name} failed: ${toGatewayError(error).message}`);
      });
    }
    await this.hub.close(options).catch((error: unknown) => {
      this.logger.warn(`closing the hub connection failed: ${toGatewayError(error).message}`);
    });
    this.directory.close();
    this.logger.info('gateway stopped');
  }
}
