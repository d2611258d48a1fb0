import { inject, injectable } from 'tsyringe';
import {
  Backoff,
  CLOCK,
  GATEWAY_SETTINGS,
  HUB_TRANSPORT,
  LOGGER,
  TypedEmitter,
  sameSubdevice,
  subdeviceKey,
  type CallOptions,
  type Clock,
  type HubTransport,
  type Logger,
  type SubdeviceId,
  type SubdeviceResult,
  type Subscription,
} from '@iotgw/domain';
import type { GatewaySettings } from '../gateway-settings.js';
import { TaskTracker } from '../task-tracker.js';
import { SubdeviceTurns } from '../subdevice-turns.js';
import { SubdeviceDirectory } from './subdevice-directory.js';
import { SubdeviceSessions } from './subdevice-sessions.js';

/** Re-online retries while the hub's side comes back: 1 s doubling to 30 s (domain policy). */
const ONLINE_RETRY = { initialDelayMs: 1_000, maxDelayMs: 30_000 } as const;

export interface PresenceEvents {
  [event: string]: (payload: never) => void;
  /** The hub accepted the subdevice online (after start, attach or reconnect). */
  online: (subdevice: SubdeviceId) => void;
}

/**
 * Keeps the hub's view of which subdevices are online true:
 * - declared subdevices go online at start (policy `at_start`) or when their link announces them
 *   (policy `on_attach`), in batches of `batchSize`;
 * - a subdevice that detaches goes offline;
 * - after the hub connection comes back (the hub forgot everything), every subdevice that should
 *   be online goes online again.
 */
@injectable()
export class SubdevicePresence {
  readonly #events = new TypedEmitter<PresenceEvents>();
  readonly #tasks: TaskTracker;
  /** Subdevices that should be online now, by key. */
  readonly #wanted = new Map<string, SubdeviceId>();
  /** Subdevices enrolled at runtime (dynamic registration), declared as if configured. */
  readonly #adopted = new Set<string>();
  #subscriptions: Subscription[] = [];
  /** Whether the hub was ever connected since start (a gateway may start without it). */
  #hadConnection = false;
  /** Counts reconnects, so a retry loop of an earlier connection stops when a newer one starts. */
  #reconnects = 0;
  /** Per subdevice, the end of its queue of attach/detach work: one hub call at a time, in event order. */
  readonly #turns: SubdeviceTurns;

  constructor(
    @inject(HUB_TRANSPORT) private readonly hub: HubTransport,
    @inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
    @inject(LOGGER) private readonly logger: Logger,
    private readonly directory: SubdeviceDirectory,
    private readonly sessions: SubdeviceSessions,
    @inject(CLOCK) private readonly clock: Clock,
  ) {
    this.#tasks = new TaskTracker(logger);
    this.#turns = new SubdeviceTurns(this.#tasks);
  }

  on<K extends keyof PresenceEvents & string>(event: K, listener: PresenceEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  /** Follows attach/detach/reconnect; with `at_start`, brings every declared subdevice online. */
  async start(options: CallOptions = {}): Promise<void> {
    this.directory.open();
    this.#hadConnection = this.hub.state === 'connected';
    this.#subscriptions.push(
      this.directory.on('attached', ({ subdevice }) => {
        if (!this.isDeclared(subdevice)) {
          // With register-bind-online, SubdeviceEnrolment decides (and says) what happens to it.
          if (this.settings.onUndeclaredAttach === 'ignore') this.logger.warn('an undeclared subdevice attached; ignoring it', { subdevice: subdeviceKey(subdevice) });
          return;
        }
        this.#inTurn(subdevice, 'bringing an attached subdevice online', async (signal) => {
          // Already online (policy at_start, or a detach's offline never went out): the hub knows;
          // listeners still learn it is reachable now. Decided in turn, not when the event came.
          if (this.sessions.stateOf(subdevice) === 'online' && this.#wanted.has(subdeviceKey(subdevice))) {
            this.#events.emit('online', subdevice);
            return;
          }
          await this.bringOnline([subdevice], { signal });
        });
      }),
      this.directory.on('detached', ({ subdevice }) => {
        if (!this.#wanted.has(subdeviceKey(subdevice))) return;
        this.#inTurn(subdevice, 'taking a detached subdevice offline', async (signal) => {
          // Attached again before this turn came (a quick reboot): it stays online.
          if (this.directory.find(subdevice) !== undefined) return;
          await this.takeOffline([subdevice], { signal });
        });
      }),
      // The hub forgets online subdevices the moment the gateway's connection drops: say so at
      // once (status, metrics), not only when the connection is back.
      this.hub.on('state', (state) => {
        if (state === 'reconnecting') for (const s of this.sessions.inState('online')) this.sessions.apply(s, 'hub_lost');
        // The first connection of a gateway that started without its hub: bring the wanted ones online.
        if (state === 'connected' && !this.#hadConnection) {
          this.#hadConnection = true;
          this.#onNewConnection();
        }
      }),
      this.hub.on('reconnected', () => this.#onNewConnection()),
    );
    const declared = this.settings.subdevices;
    const first =
      this.settings.onlinePolicy === 'at_start'
        ? declared
        : declared.filter((s) => this.directory.find(s) !== undefined);
    if (first.length === 0) return;
    // Without the hub yet, they are wanted now and go online when it connects (see 'state').
    if (this.hub.state === 'connected') await this.bringOnline(first, options);
    else for (const s of first) this.#wanted.set(subdeviceKey(s), s);
  }

  /** A new connection knows no online subdevice: every wanted one goes online (with retries). */
  #onNewConnection(): void {
    for (const s of this.sessions.inState('online')) this.sessions.apply(s, 'hub_lost');
    const generation = ++this.#reconnects;
    this.#tasks.run('bringing subdevices online again after reconnect', (signal) => this.#onlineAgain(generation, signal));
  }

  /** Stops following events and cancels background work. Does not take anything offline. */
  async stop(): Promise<void> {
    for (const s of this.#subscriptions) s.close();
    this.#subscriptions = [];
    await this.#tasks.abort();
  }

  /** Resolves when no background online/offline call is running (tests and orderly shutdown). */
  idle(): Promise<void> {
    return this.#tasks.idle();
  }

  isDeclared(subdevice: SubdeviceId): boolean {
    return this.#adopted.has(subdeviceKey(subdevice)) || this.settings.subdevices.some((d) => sameSubdevice(d, subdevice));
  }

  /** Treats `subdevice` as declared from now on (enrolled by dynamic registration). */
  adopt(subdevice: SubdeviceId): void {
    this.#adopted.add(subdeviceKey(subdevice));
  }

  unadopt(subdevice: SubdeviceId): void {
    this.#adopted.delete(subdeviceKey(subdevice));
  }

  /** True when the policy wants `subdevice` online now: declared, and attached unless policy is at_start. */
  shouldBeOnline(subdevice: SubdeviceId): boolean {
    if (!this.isDeclared(subdevice)) return false;
    return this.settings.onlinePolicy === 'at_start' || this.directory.find(subdevice) !== undefined;
  }

  /** Asks the hub to put `subdevices` online, in batches; one result per subdevice, in order. */
  async bringOnline(subdevices: readonly SubdeviceId[], options: CallOptions = {}): Promise<SubdeviceResult[]> {
    for (const s of subdevices) this.#wanted.set(subdeviceKey(s), s);
    const results = await this.#batched(subdevices, (batch) =>
      this.hub.online(batch, { timeoutMs: this.settings.hubTimeoutMs, ...options }),
    );
    for (const r of results) {
      const key = subdeviceKey(r.subdevice);
      if (r.ok) {
        this.sessions.apply(r.subdevice, 'online_succeeded');
        this.logger.info('subdevice online', { subdevice: key });
        this.#events.emit('online', r.subdevice);
      } else {
        this.logger.warn(`the hub refused to put the subdevice online: ${r.message}`, { subdevice: key, hubCode: r.hubCode, ...(r.error ? { reason: r.error.reason } : {}) });
      }
    }
    return results;
  }

  async takeOffline(subdevices: readonly SubdeviceId[], options: CallOptions = {}): Promise<SubdeviceResult[]> {
    for (const s of subdevices) this.#wanted.delete(subdeviceKey(s));
    const results = await this.#batched(subdevices, (batch) =>
      this.hub.offline(batch, { timeoutMs: this.settings.hubTimeoutMs, ...options }),
    );
    for (const r of results) {
      const key = subdeviceKey(r.subdevice);
      if (r.ok) {
        this.sessions.apply(r.subdevice, 'offline_succeeded');
        this.logger.info('subdevice offline', { subdevice: key });
      } else {
        this.logger.warn(`the hub refused to take the subdevice offline: ${r.message}`, { subdevice: key, hubCode: r.hubCode, ...(r.error ? { reason: r.error.reason } : {}) });
      }
    }
    return results;
  }

  /** Stops keeping `subdevice` online (the hub unbound it: it cannot be online anyway). */
  forget(subdevice: SubdeviceId): void {
    this.#wanted.delete(subdeviceKey(subdevice));
  }

  /** Subdevices the gateway keeps online (re-onlined after a reconnect). */
  wanted(): SubdeviceId[] {
    return [...this.#wanted.values()];
  }

  /**
   * After a reconnect the hub has forgotten every online subdevice, and their data waits for the
   * online. The hub's side may still be coming back itself, so a call that gets no answer is
   * retried with backoff; a subdevice the hub answers (even with a refusal) is not asked again.
   */
  async #onlineAgain(generation: number, signal: AbortSignal): Promise<void> {
    const backoff = new Backoff(ONLINE_RETRY);
    for (;;) {
      const pending = [...this.#wanted.values()].filter((s) => this.sessions.stateOf(s) !== 'online');
      if (pending.length === 0) return;
      try {
        await this.bringOnline(pending, { signal });
        return;
      } catch (error) {
        if (signal.aborted || generation !== this.#reconnects || this.hub.state !== 'connected') return;
        const delayMs = backoff.next();
        this.logger.warn(`bringing subdevices online again got no answer; retrying in ${delayMs} ms`, {
          subdevices: pending.length,
          reason: (error as Error).message,
        });
        await this.clock.sleep(delayMs, signal);
      }
    }
  }

  /**
   * Runs `work` after the subdevice's earlier attach/detach work, so a detach's offline and the
   * re-attach's online (a subdevice rebooting after a firmware update) reach the hub in order and
   * the later one sees the state the earlier one left.
   */
  #inTurn(subdevice: SubdeviceId, what: string, work: (signal: AbortSignal) => Promise<void>): void {
    this.#turns.run(subdevice, what, work);
  }

  async #batched(
    subdevices: readonly SubdeviceId[],
    call: (batch: SubdeviceId[]) => Promise<SubdeviceResult[]>,
  ): Promise<SubdeviceResult[]> {
    const size = Math.max(1, this.settings.batchSize);
    const results: SubdeviceResult[] = [];
    for (let i = 0; i < subdevices.length; i += size) {
      results.push(...(await call(subdevices.slice(i, i + size))));
    }
    return results;
  }
}
