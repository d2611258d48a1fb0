import { HubDisconnectedError, withDeadline, type CallOptions, type Clock, type GatewayIdentity } from '@iotgw/domain';
import { encodeTimeRequest, hubTimeAtReceipt, systemOperationTopic, type TimeReply } from '@iotgw/protocol-tencent';

interface Waiting {
  readonly sentAt: number;
  readonly resolve: (time: { unixMs: number; at: number }) => void;
}

/**
 * The hub's time service on the gateway's own `$sys/operation` topics. The reply carries no
 * token, so every waiting call takes the next reply (each computes its own round trip).
 */
export class TimeService {
  readonly #waiting = new Set<Waiting>();

  constructor(
    private readonly gateway: GatewayIdentity,
    private readonly publish: (topic: string, payload: string, options: CallOptions) => Promise<void>,
    private readonly connected: () => boolean,
    private readonly timeoutMs: number,
    private readonly clock: Clock,
  ) {}

  request(options: CallOptions): Promise<{ readonly unixMs: number; readonly at: number }> {
    if (!this.connected()) return Promise.reject(new HubDisconnectedError('not connected to the hub: no hub time'));
    return withDeadline('asking the hub for the time', options, this.timeoutMs, async (signal) => {
      let entry: Waiting | undefined;
      const answered = new Promise<{ unixMs: number; at: number }>((resolve) => {
        entry = { sentAt: this.clock.now(), resolve };
        this.#waiting.add(entry);
      });
      signal.addEventListener('abort', () => entry && this.#waiting.delete(entry), { once: true });
      await this.publish(systemOperationTopic(this.gateway), encodeTimeRequest(), { signal });
      return answered;
    }, this.clock);
  }

  reply(reply: TimeReply): void {
    const at = this.clock.now();
    for (const w of this.#waiting) w.resolve({ unixMs: hubTimeAtReceipt(reply, w.sentAt, at), at });
    this.#waiting.clear();
  }
}
