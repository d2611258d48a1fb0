import { inject, injectable } from 'tsyringe';
import {
  CLOCK,
  GATEWAY_SETTINGS,
  handlesRequests,
  HUB_TRANSPORT,
  isGatewayError,
  offersRrpc,
  LOGGER,
  subdeviceKey,
  ThrottledLog,
  toGatewayError,
  type Clock,
  type HubRrpc,
  type HubTransport,
  type Logger,
  type RrpcRequest,
  type Subscription,
} from '@iotgw/domain';
import type { GatewaySettings } from '../gateway-settings.js';
import { TaskTracker } from '../task-tracker.js';
import { SubdeviceDirectory } from './subdevice-directory.js';

/** How each RRPC request ended, counted since start. */
export interface RrpcStats {
  /** Requests the hub sent for our subdevices. */
  received: number;
  /** Answered: the reply went to the hub. */
  answered: number;
  /** The subdevice did not answer within the deadline: nothing was sent. */
  timedOut: number;
  /** The subdevice is not attached to any link now. */
  notAttached: number;
  /** Its link or its firmware takes no requests (an old subdevice). */
  unsupported: number;
  /** The subdevice's handler failed, the link broke, or the reply could not be sent. */
  failed: number;
}

/**
 * The hub's RRPC for subdevices: a request on `$rrpc/rxd/{pid}/{dev}/{processId}` is handed to the
 * subdevice over its link as a request with a deadline (the hub's caller waits about 4 s), and its
 * answer goes back under the same process id. No answer in time: nothing is sent (never a late
 * reply), the outcome is counted and logged, at most one line per kind per minute.
 */
@injectable()
export class RrpcForwarding {
  readonly stats: RrpcStats = { received: 0, answered: 0, timedOut: 0, notAttached: 0, unsupported: 0, failed: 0 };
  readonly #tasks: TaskTracker;
  readonly #warnings: ThrottledLog;
  #subscription: Subscription | undefined;

  constructor(
    @inject(HUB_TRANSPORT) private readonly hub: HubTransport,
    @inject(LOGGER) private readonly logger: Logger,
    @inject(CLOCK) private readonly clock: Clock,
    @inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
    private readonly directory: SubdeviceDirectory,
  ) {
    this.#tasks = new TaskTracker(logger);
    this.#warnings = new ThrottledLog(logger, clock);
  }

  start(): void {
    if (this.#subscription) return;
    const hub = this.hub;
    if (!offersRrpc(hub)) {
      this.logger.debug('the hub adapter offers no RRPC: requests for subdevices are not served');
      return;
    }
    this.directory.open();
    this.#subscription = hub.on('rrpcRequest', (request) => {
      this.stats.received++;
      this.#tasks.run(`RRPC ${request.processId} for ${subdeviceKey(request.subdevice)}`, (signal) => this.#forward(hub, request, signal));
    });
  }

  async stop(): Promise<void> {
    this.#subscription?.close();
    this.#subscription = undefined;
    await this.#tasks.abort();
  }

  idle(): Promise<void> {
    return this.#tasks.idle();
  }

  async #forward(hub: HubRrpc, request: RrpcRequest, signal: AbortSignal): Promise<void> {
    const key = subdeviceKey(request.subdevice);
    const context = { subdevice: key, processId: request.processId };
    const entry = this.directory.find(request.subdevice);
    if (!entry) {
      this.stats.notAttached++;
      this.#warnings.warn('rrpc-not-attached', 'RRPC request for a subdevice that is not attached; not answered', context);
      return;
    }
    const link = entry.link;
    if (!handlesRequests(link)) {
      this.stats.unsupported++;
      this.#warnings.warn('rrpc-unsupported', `RRPC request for a subdevice on link ${link.name}, which takes no requests; not answered`, context);
      return;
    }
    // The deadline counts from the request's arrival: time spent queued is the hub caller's too.
    const deadlineMs = this.settings.rrpcTimeoutMs;
    const remaining = deadlineMs - (this.clock.now() - request.receivedAt);
    if (remaining <= 0) return this.#late(context, deadlineMs);
    let answer: Uint8Array;
    try {
      answer = await link.request(request.subdevice, request.payload, { signal, timeoutMs: remaining });
    } catch (error) {
      if (signal.aborted) return;
      return this.#failed(error, context, deadlineMs);
    }
    if (this.clock.now() - request.receivedAt >= deadlineMs) return this.#late(context, deadlineMs);
    try {
      await hub.replyRrpc(request.subdevice, request.processId, answer, { signal, timeoutMs: Math.max(1, deadlineMs - (this.clock.now() - request.receivedAt)) });
      this.stats.answered++;
      this.logger.debug('RRPC answered', { ...context, bytes: answer.byteLength });
    } catch (error) {
      if (signal.aborted) return;
      this.stats.failed++;
      this.#warnings.warn('rrpc-reply-failed', `RRPC reply not sent: ${toGatewayError(error).message}`, context);
    }
  }

  #late(context: Record<string, string>, deadlineMs: number): void {
    this.stats.timedOut++;
    this.#warnings.warn('rrpc-timeout', `RRPC request not answered within ${deadlineMs} ms; no reply sent (the hub's caller has given up)`, context);
  }

  #failed(error: unknown, context: Record<string, string>, deadlineMs: number): void {
    const e = toGatewayError(error);
    if (e.code === 'operation.timed_out') return this.#late(context, deadlineMs);
    if (isGatewayError(e) && e.code === 'link.unavailable') {
      this.stats.unsupported++;
      this.#warnings.warn('rrpc-unsupported', `RRPC request not answered: ${e.message}`, { ...context, code: e.code });
      return;
    }
    this.stats.failed++;
    this.#warnings.warn('rrpc-failed', `RRPC request not answered: ${e.message}`, { ...context, code: e.code });
  }
}
