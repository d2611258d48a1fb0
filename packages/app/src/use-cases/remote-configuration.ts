import {
  REMOTE_CONFIG_DISABLED_RESULT,
  toGatewayError,
  type GatewayDeviceServices,
  type HubTransport,
  type Logger,
  type RemoteConfigMessage,
  type Subscription,
} from '@iotgw/domain';
import { onEveryConnection } from './on-every-connection.js';

/** What the host did with a configuration from the hub. */
export interface RemoteConfigOutcome {
  readonly ok: boolean;
  /** For the hub and the log: what was wrong, or what was applied and what waits for a restart. */
  readonly message: string;
}

/**
 * Applies a configuration document from the hub: validate it with the same schema as the file,
 * persist it, apply what can change at runtime. Never throws: a bad document is `ok: false`.
 */
export type RemoteConfigApplier = (config: Readonly<Record<string, unknown>>, source: 'reply' | 'push') => Promise<RemoteConfigOutcome>;

export interface RemoteConfigurationOptions {
  readonly hub: HubTransport & GatewayDeviceServices;
  readonly apply: RemoteConfigApplier;
  readonly logger: Logger;
}

/**
 * Remote configuration: asks the hub for the gateway's configuration on every connection and
 * takes the console's pushes; each document goes to the host's applier, and the outcome is
 * reported on the gateway's own `event` topic (`{"type":"config_result","result":0|1,"message"}`),
 * since the platform has no reply topic for it. The same document twice is applied once.
 */
export class RemoteConfiguration {
  readonly #o: RemoteConfigurationOptions;
  #subscriptions: Subscription[] = [];
  #last: string | undefined;
  #applying: Promise<void> = Promise.resolve();
  #disabledSaid = false;

  constructor(options: RemoteConfigurationOptions) {
    this.#o = options;
  }

  start(): void {
    const { hub } = this.#o;
    this.#subscriptions.push(
      hub.on('remoteConfig', (message) => {
        this.#applying = this.#applying.then(() => this.#take(message));
      }),
      onEveryConnection(hub, () => this.#ask()),
    );
  }

  /** Resolves when every document received so far has been handled. */
  idle(): Promise<void> {
    return this.#applying;
  }

  async stop(): Promise<void> {
    for (const s of this.#subscriptions) s.close();
    this.#subscriptions = [];
    await this.#applying;
  }

  #ask(): void {
    this.#o.hub.requestRemoteConfig({ timeoutMs: 10_000 }).catch((error: unknown) => {
      this.#o.logger.warn(`asking the hub for the gateway's configuration failed: ${toGatewayError(error).message}`);
    });
  }

  async #take(message: RemoteConfigMessage): Promise<void> {
    const { logger } = this.#o;
    if (message.result === REMOTE_CONFIG_DISABLED_RESULT) {
      if (!this.#disabledSaid) logger.info('remote configuration is disabled for this product at the hub (result 1001): the local config file applies');
      this.#disabledSaid = true;
      return;
    }
    if (message.result !== 0) {
      logger.warn(`the hub answered the configuration request with result ${message.result}: nothing applied`);
      return;
    }
    if (!message.config) return; // nothing configured at the hub yet
    const text = JSON.stringify(message.config);
    if (text === this.#last) return;
    let outcome: RemoteConfigOutcome;
    try {
      outcome = await this.#o.apply(message.config, message.type);
    } catch (error) {
      outcome = { ok: false, message: toGatewayError(error).message };
    }
    if (outcome.ok) {
      this.#last = text;
      logger.info(`configuration from the hub (${message.type}) applied: ${outcome.message}`);
    } else {
      logger.warn(`configuration from the hub (${message.type}) refused, nothing applied: ${outcome.message}`);
    }
    const report = JSON.stringify({ type: 'config_result', result: outcome.ok ? 0 : 1, message: outcome.message });
    await this.#o.hub.publishGatewayEvent(new TextEncoder().encode(report), { timeoutMs: 10_000 }).catch((error: unknown) => {
      logger.warn(`reporting the configuration outcome to the hub failed: ${toGatewayError(error).message}`);
    });
  }
}
