import { subdeviceKey, toGatewayError, type SendOptions, type SubdeviceId, type SubdeviceLink, type ThrottledLog } from '@iotgw/domain';

/** Why a downlink message was not delivered to its subdevice. */
export type DownlinkDropReason = 'queue_full' | 'too_large' | 'not_attached' | 'send_failed';

export const DOWNLINK_DROP_REASONS: readonly DownlinkDropReason[] = ['queue_full', 'too_large', 'not_attached', 'send_failed'];

interface Queue {
  readonly subdevice: SubdeviceId;
  readonly items: Array<{ readonly link: SubdeviceLink; readonly payload: Uint8Array; readonly channel: string }>;
  running: boolean;
}

/**
 * Downlink to subdevices, one bounded queue per subdevice, sent one message at a time (each waits
 * for the link's acknowledgement before the next goes). So a hub that floods one subdevice costs a
 * bounded amount of memory (`limit` messages per subdevice; the oldest goes first: the newest
 * command is the one that matters), and the link never carries more than one downlink frame per
 * subdevice at a time: uplink DATA and its acknowledgements interleave with downlink instead of
 * queueing behind thousands of frames on a slow serial line. Every drop is counted by reason and
 * warned about through a throttled log (a line a minute per reason, never a line per message).
 */
export class DownlinkQueues {
  readonly #queues = new Map<string, Queue>();
  readonly #dropped: Record<DownlinkDropReason, number> = { queue_full: 0, too_large: 0, not_attached: 0, send_failed: 0 };
  readonly #running = new Set<Promise<void>>();

  constructor(
    /** Read at each message: a configuration from the hub may change it while running. */
    private readonly limit: () => number,
    private readonly warnings: ThrottledLog,
    private readonly signal: AbortSignal,
    /** Names the setting in the queue-full warning. */
    private readonly limitSetting = 'downlink.queueLength',
  ) {}

  /** Dropped messages since start, by reason. */
  get dropped(): Readonly<Record<DownlinkDropReason, number>> {
    return { ...this.#dropped };
  }

  /** Messages waiting, all subdevices. */
  get depth(): number {
    let n = 0;
    for (const q of this.#queues.values()) n += q.items.length;
    return n;
  }

  /**
   * Queues `payload` (from the hub's `{pid}/{dev}/{channel}`) for `subdevice` over `link`; drops
   * the oldest waiting one at the bound.
   */
  push(subdevice: SubdeviceId, link: SubdeviceLink, payload: Uint8Array, channel = 'data'): void {
    if (this.signal.aborted) return;
    const key = subdeviceKey(subdevice);
    const max = link.capabilities.maxPayloadSize;
    if (payload.byteLength > max) {
      // It can never go (a link does not split messages): it takes no place in the queue.
      this.drop('too_large', subdevice, `downlink to ${key} dropped: ${payload.byteLength} bytes, larger than link ${link.name}'s maxPayloadSize ${max}: the hub application must send smaller messages`);
      return;
    }
    let queue = this.#queues.get(key);
    if (!queue) this.#queues.set(key, (queue = { subdevice, items: [], running: false }));
    const limit = this.limit();
    if (queue.items.length >= Math.max(1, limit)) {
      queue.items.shift();
      this.drop('queue_full', subdevice, `downlink to ${key} dropped: ${limit} messages already wait for it (the hub sends faster than the link delivers); the oldest went. Raise ${this.limitSetting} if the subdevice needs them all`);
    }
    queue.items.push({ link, payload, channel });
    if (!queue.running) this.#pump(key, queue);
  }

  /** Counts a drop and warns (throttled per reason). */
  drop(reason: DownlinkDropReason, subdevice: SubdeviceId, message: string, context: Record<string, unknown> = {}): void {
    this.#dropped[reason]++;
    this.warnings.warn(`downlink:${reason}`, message, { subdevice: subdeviceKey(subdevice), reason, dropped: this.#dropped[reason], ...context });
  }

  /** Resolves when nothing is being sent. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  #pump(key: string, queue: Queue): void {
    queue.running = true;
    const run = (async () => {
      for (let next = queue.items.shift(); next && !this.signal.aborted; next = queue.items.shift()) {
        try {
          // The channel is named only when it is not `data`: links that know none see what they always saw.
          const options: SendOptions = next.channel === 'data' ? { signal: this.signal } : { signal: this.signal, channel: next.channel };
          await next.link.send(queue.subdevice, next.payload, options);
        } catch (error) {
          if (this.signal.aborted) break;
          const e = toGatewayError(error, `forwarding downlink to ${key}`);
          this.drop('send_failed', queue.subdevice, `forwarding downlink to ${key} failed: ${e.message}`, { code: e.code });
        }
      }
    })().finally(() => {
      queue.running = false;
      this.#running.delete(run);
      if (queue.items.length === 0) this.#queues.delete(key);
      else if (!this.signal.aborted) this.#pump(key, queue);
    });
    this.#running.add(run);
  }
}
