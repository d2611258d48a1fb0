import { inject, injectable } from 'tsyringe';
import {
  handlesShadow,
  HUB_TRANSPORT,
  LOGGER,
  offersShadows,
  STATE_STORE,
  subdeviceKey,
  toGatewayError,
  type HubShadows,
  type HubTransport,
  type JsonValue,
  type Logger,
  type ShadowState,
  type StateStore,
  type SubdeviceId,
  type Subscription,
} from '@iotgw/domain';
import { TaskTracker } from '../task-tracker.js';
import { SubdeviceTurns } from '../subdevice-turns.js';
import { SubdeviceDirectory } from './subdevice-directory.js';
import { SubdevicePresence } from './subdevice-presence.js';

/** A delta waiting for its subdevice, as kept in the StateStore. */
interface PendingDelta {
  readonly version: number;
  readonly state: ShadowState;
}

/** Where a subdevice's pending delta lives (hex keeps any device name a valid key). */
export function shadowStateKey(subdevice: SubdeviceId): string {
  return `shadow/${Buffer.from(subdeviceKey(subdevice), 'utf8').toString('hex')}`;
}

/**
 * The hub's device shadow for subdevices, sleepy ones included:
 * - what a subdevice reports over its link (`shadowReported`) updates `reported` at the hub;
 * - desired state becomes a delta for the subdevice: pushed by the hub while it is online, or
 *   read with `get` when it comes online (the hub keeps desired for offline devices);
 * - each delta is kept in the StateStore until the subdevice took it over its link, so a
 *   subdevice that was detached (asleep) gets it the moment it next attaches, also after a
 *   gateway restart; then `desired` is cleared at the hub, as the vendor SDK samples do.
 * Work for one subdevice runs one step at a time, in event order.
 */
@injectable()
export class ShadowSync {
  readonly #tasks: TaskTracker;
  readonly #turns: SubdeviceTurns;
  #subscriptions: Subscription[] = [];
  /** Deltas handed to subdevices, since start. */
  delivered = 0;

  constructor(
    @inject(HUB_TRANSPORT) private readonly hub: HubTransport,
    @inject(LOGGER) private readonly logger: Logger,
    @inject(STATE_STORE) private readonly store: StateStore,
    private readonly directory: SubdeviceDirectory,
    private readonly presence: SubdevicePresence,
  ) {
    this.#tasks = new TaskTracker(logger);
    this.#turns = new SubdeviceTurns(this.#tasks);
  }

  start(): void {
    if (this.#subscriptions.length > 0) return;
    const hub = this.hub;
    if (!offersShadows(hub)) {
      this.logger.debug('the hub adapter offers no device shadows: subdevices get no shadow deltas');
      return;
    }
    this.directory.open();
    this.#subscriptions.push(
      hub.on('shadowDelta', ({ subdevice, version, state }) => this.#inTurn(subdevice, 'taking a shadow delta', () => this.#keep(hub, subdevice, version, state))),
      this.presence.on('online', (subdevice) => this.#inTurn(subdevice, 'reading the shadow', () => this.#readHub(hub, subdevice))),
      this.directory.on('attached', ({ subdevice }) => this.#inTurn(subdevice, 'delivering a kept shadow delta', () => this.#deliver(hub, subdevice))),
      this.directory.eachLink((link) =>
        link.on('shadowReported', ({ subdevice, reported }) =>
          this.#inTurn(subdevice, 'reporting shadow state', async (signal) => {
            await hub.updateShadow(subdevice, { reported }, { signal });
          }),
        ),
      ),
    );
  }

  async stop(): Promise<void> {
    for (const s of this.#subscriptions) s.close();
    this.#subscriptions = [];
    await this.#tasks.abort();
  }

  idle(): Promise<void> {
    return this.#tasks.idle();
  }

  /** The delta kept for a subdevice, if any. */
  async pending(subdevice: SubdeviceId): Promise<PendingDelta | undefined> {
    const value = await this.store.get(shadowStateKey(subdevice));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const { version, state } = value as { version?: unknown; state?: unknown };
    if (typeof version !== 'number' || typeof state !== 'object' || state === null || Array.isArray(state)) return undefined;
    return { version, state: state as ShadowState };
  }

  #inTurn(subdevice: SubdeviceId, what: string, work: (signal: AbortSignal) => Promise<void>): void {
    this.#turns.run(subdevice, `${what} for ${subdeviceKey(subdevice)}`, work);
  }

  /** Merges a delta into what is kept (a newer value of a field wins), then tries to deliver. */
  async #keep(hub: HubShadows, subdevice: SubdeviceId, version: number, state: ShadowState): Promise<void> {
    const kept = await this.pending(subdevice);
    if (kept && version < kept.version) return; // an older delta than what we hold
    const merged: PendingDelta = { version, state: { ...kept?.state, ...state } };
    await this.store.put(shadowStateKey(subdevice), merged as unknown as JsonValue);
    this.logger.info('shadow delta kept for the subdevice', { subdevice: subdeviceKey(subdevice), version });
    await this.#deliver(hub, subdevice);
  }

  /** Online at the hub: the hub may hold desired state set while it was away. */
  async #readHub(hub: HubShadows, subdevice: SubdeviceId): Promise<void> {
    const doc = await hub.getShadow(subdevice);
    if (doc.delta) await this.#keep(hub, subdevice, doc.version, doc.delta);
    else await this.#deliver(hub, subdevice);
  }

  async #deliver(hub: HubShadows, subdevice: SubdeviceId): Promise<void> {
    const kept = await this.pending(subdevice);
    if (!kept) return;
    const entry = this.directory.find(subdevice);
    const key = subdeviceKey(subdevice);
    if (!entry) return; // asleep: delivered when it attaches
    if (!handlesShadow(entry.link) || !entry.link.acceptsShadow(subdevice)) {
      this.logger.warn('shadow delta kept: the subdevice takes no shadow deltas over its link (update its firmware)', { subdevice: key, link: entry.link.name });
      return;
    }
    await entry.link.sendShadowDelta(subdevice, kept);
    this.delivered++;
    // Only what was delivered is forgotten: a delta merged in meanwhile stays for the next turn.
    const now = await this.pending(subdevice);
    if (now && now.version === kept.version && JSON.stringify(now.state) === JSON.stringify(kept.state)) await this.store.delete(shadowStateKey(subdevice));
    this.logger.info('shadow delta delivered', { subdevice: key, version: kept.version });
    await hub.updateShadow(subdevice, { clearDesired: true }).catch((error: unknown) => {
      // The hub still shows the delta: the next online reads it again and delivers it again (idempotent).
      this.logger.warn(`clearing desired at the hub failed: ${toGatewayError(error).message}`, { subdevice: key });
    });
  }
}
