import { inject, injectable } from 'tsyringe';
import {
  GATEWAY_SETTINGS,
  HUB_TRANSPORT,
  LOGGER,
  SECRET_STORE,
  SecretMissingError,
  subdeviceKey,
  type BindRequest,
  type CallOptions,
  type HubTransport,
  type Logger,
  type SecretStore,
  type SubdeviceId,
  type SubdeviceResult,
  type Subscription,
} from '@iotgw/domain';
import type { GatewaySettings } from '../gateway-settings.js';
import { TaskTracker } from '../task-tracker.js';
import { SubdevicePresence } from './subdevice-presence.js';
import { SubdeviceSessions } from './subdevice-sessions.js';

/**
 * Binding subdevices to this gateway on the hub:
 * - `bind` signs with each subdevice's secret from the SecretStore (a missing secret fails the
 *   whole call with SecretMissingError before anything is sent); binding an already bound
 *   subdevice succeeds;
 * - `unbind` (the subdevice is no longer kept online), `listBound`;
 * - a binding changed here or on the console (`bindingChanged`) updates the sessions; a subdevice
 *   bound that the online policy wants online (declared, and attached unless `at_start`) goes online;
 * - the console's "unbind all" (`allUnbound`) makes every subdevice unbound here, none is brought
 *   back online (the vendor C SDK drops every subdevice session); the console's "search for
 *   subdevices" (`deviceSearch`) is logged: the transport has acknowledged it, and which
 *   subdevices attach is the links' business (zero-touch enrolment is configured, not switched on
 *   by the console).
 */
@injectable()
export class Binding {
  readonly #tasks: TaskTracker;
  #subscriptions: Subscription[] | undefined;

  constructor(
    @inject(HUB_TRANSPORT) private readonly hub: HubTransport,
    @inject(SECRET_STORE) private readonly secrets: SecretStore,
    @inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
    @inject(LOGGER) private readonly logger: Logger,
    private readonly sessions: SubdeviceSessions,
    private readonly presence: SubdevicePresence,
  ) {
    this.#tasks = new TaskTracker(logger);
  }

  start(): void {
    this.#subscriptions ??= [
      this.#onBindingChanged(),
      this.hub.on('allUnbound', () => {
        const bound = [...this.sessions.inState('bound'), ...this.sessions.inState('online'), ...this.sessions.inState('offline')];
        for (const s of bound) {
          this.sessions.apply(s, 'hub_unbound');
          this.presence.forget(s);
        }
        this.logger.warn(`the hub unbound every subdevice of this gateway (console "unbind all"): ${bound.length} were bound here`, { subdevices: bound.length });
      }),
      this.hub.on('deviceSearch', ({ status, searching }) => {
        this.logger.info(searching ? 'the console asks the gateway to search for new subdevices' : 'the console asks the gateway to stop searching for subdevices', { status });
      }),
    ];
  }

  #onBindingChanged(): Subscription {
    return this.hub.on('bindingChanged', ({ subdevices, bound }) => {
      for (const s of subdevices) {
        this.sessions.apply(s, bound ? 'hub_bound' : 'hub_unbound');
        if (!bound) this.presence.forget(s);
        this.logger.info(bound ? 'the hub bound a subdevice' : 'the hub unbound a subdevice', { subdevice: subdeviceKey(s) });
      }
      if (bound) this.#onlineIfWanted(subdevices);
    });
  }

  /** Newly bound subdevices the online policy wants online (declared, attached unless `at_start`) go online. */
  #onlineIfWanted(subdevices: readonly SubdeviceId[]): void {
    const toOnline = subdevices.filter((s) => this.presence.shouldBeOnline(s) && this.sessions.stateOf(s) !== 'online');
    if (toOnline.length === 0) return;
    this.#tasks.run('bringing newly bound subdevices online', (signal) => this.presence.bringOnline(toOnline, { signal }).then(() => {}));
  }

  async stop(): Promise<void> {
    for (const s of this.#subscriptions ?? []) s.close();
    this.#subscriptions = undefined;
    await this.#tasks.abort();
  }

  idle(): Promise<void> {
    return this.#tasks.idle();
  }

  async bind(subdevices: readonly SubdeviceId[], options: CallOptions = {}): Promise<SubdeviceResult[]> {
    const requests: BindRequest[] = [];
    for (const subdevice of subdevices) {
      const secret = await this.secrets.secretFor(subdevice, options);
      if (secret === undefined || secret === '') throw new SecretMissingError(subdeviceKey(subdevice));
      requests.push({ subdevice, secret });
    }
    const results = await this.hub.bind(requests, { timeoutMs: this.settings.hubTimeoutMs, ...options });
    this.#apply(results, 'bind_succeeded', 'bind');
    // Bound from here or from the console, the outcome is the same: a wanted subdevice goes online.
    this.#onlineIfWanted(results.filter((r) => r.ok).map((r) => r.subdevice));
    return results;
  }

  async unbind(subdevices: readonly SubdeviceId[], options: CallOptions = {}): Promise<SubdeviceResult[]> {
    const results = await this.hub.unbind(subdevices, { timeoutMs: this.settings.hubTimeoutMs, ...options });
    this.#apply(results, 'unbind_succeeded', 'unbind');
    // An unbound subdevice cannot be online: do not ask for it again after a reconnect.
    for (const r of results) if (r.ok) this.presence.forget(r.subdevice);
    return results;
  }

  /** What the hub says is bound; the sessions learn it too. */
  async listBound(options: CallOptions = {}): Promise<SubdeviceId[]> {
    const bound = await this.hub.listBound({ timeoutMs: this.settings.hubTimeoutMs, ...options });
    for (const s of bound) this.sessions.apply(s, 'hub_bound');
    return bound;
  }

  #apply(results: readonly SubdeviceResult[], event: 'bind_succeeded' | 'unbind_succeeded', what: string): void {
    for (const r of results) {
      const subdevice = subdeviceKey(r.subdevice);
      if (r.ok) {
        this.sessions.apply(r.subdevice, event);
        this.logger.info(`${what} succeeded`, { subdevice });
      } else {
        this.logger.warn(`the hub refused to ${what}: ${r.message}`, { subdevice, hubCode: r.hubCode, ...(r.error ? { reason: r.error.reason } : {}) });
      }
    }
  }
}
