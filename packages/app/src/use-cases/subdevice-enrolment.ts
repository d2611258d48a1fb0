import {
  subdeviceKey,
  toGatewayError,
  type DeviceRegistrar,
  type Logger,
  type SecretKeeper,
  type SubdeviceId,
  type Subscription,
} from '@iotgw/domain';
import type { GatewaySettings } from '../gateway-settings.js';
import { TaskTracker } from '../task-tracker.js';
import type { Binding } from './binding.js';
import type { SubdeviceDirectory } from './subdevice-directory.js';
import type { SubdevicePresence } from './subdevice-presence.js';

/**
 * Zero-touch subdevices (`onAttach: "register-bind-online"`): a subdevice that attaches on a link
 * without being declared, of a product the registrar holds a product secret for, gets its device
 * secret from the platform's dynamic registration (unless one is already kept), which is stored;
 * then it is bound and brought online like a declared one. A refusal (wrong product secret,
 * registration turned off) is logged with the platform's answer, once per attach; nothing retries
 * until the subdevice attaches again.
 */
export class SubdeviceEnrolment {
  readonly #tasks: TaskTracker;
  readonly #inProgress = new Set<string>();
  #subscription: Subscription | undefined;

  constructor(
    private readonly registrar: DeviceRegistrar,
    private readonly secrets: SecretKeeper,
    private readonly directory: SubdeviceDirectory,
    private readonly presence: SubdevicePresence,
    private readonly binding: Binding,
    private readonly settings: GatewaySettings,
    private readonly logger: Logger,
  ) {
    this.#tasks = new TaskTracker(logger);
  }

  /** Follows attaches (and enrols those already attached). */
  start(): void {
    this.directory.open();
    this.#subscription ??= this.directory.on('attached', ({ subdevice }) => this.#consider(subdevice));
    for (const entry of this.directory.all()) this.#consider(entry.subdevice);
  }

  async stop(): Promise<void> {
    this.#subscription?.close();
    this.#subscription = undefined;
    await this.#tasks.abort();
  }

  idle(): Promise<void> {
    return this.#tasks.idle();
  }

  /** True when an undeclared subdevice of this product is enrolled on attach. */
  enrols(productId: string): boolean {
    return this.settings.onUndeclaredAttach === 'register-bind-online' && this.registrar.canRegister(productId);
  }

  #consider(subdevice: SubdeviceId): void {
    const key = subdeviceKey(subdevice);
    if (this.presence.isDeclared(subdevice) || this.#inProgress.has(key)) return;
    if (!this.enrols(subdevice.productId)) {
      this.logger.warn(`an undeclared subdevice attached; ignoring it: no product secret for ${subdevice.productId} to register it with`, { subdevice: key });
      return;
    }
    this.#inProgress.add(key);
    this.#tasks.run(`enrolling ${key}`, async (signal) => {
      try {
        await this.#enrol(subdevice, signal);
      } finally {
        this.#inProgress.delete(key);
      }
    });
  }

  async #enrol(subdevice: SubdeviceId, signal: AbortSignal): Promise<void> {
    const key = subdeviceKey(subdevice);
    const log = this.logger.child({ subdevice: key });
    const timeoutMs = this.settings.hubTimeoutMs;
    let secret = await this.secrets.secretFor(subdevice, { signal });
    if (!secret) {
      log.info('an unknown subdevice attached: registering it with the platform (dynamic registration)');
      try {
        secret = await this.registrar.register(subdevice, { signal, timeoutMs });
      } catch (error) {
        if (!signal.aborted) log.error(`cannot enrol the subdevice: ${toGatewayError(error).message}`, { code: toGatewayError(error).code });
        return;
      }
      await this.secrets.remember(subdevice, secret, { signal });
      log.info('registered; its secret is kept in the data dir');
    }
    // Wanted online from now on, like a declared one: the bind below brings it online.
    this.presence.adopt(subdevice);
    const [result] = await this.binding.bind([subdevice], { signal, timeoutMs });
    if (!result?.ok) {
      this.presence.forget(subdevice);
      this.presence.unadopt(subdevice);
      log.warn(`the hub refused to bind the registered subdevice: ${result?.message ?? 'no answer'}`, { hubCode: result?.hubCode, ...(result?.error ? { reason: result.error.reason } : {}) });
      return;
    }
    log.info('enrolled: registered, bound; going online');
  }
}
