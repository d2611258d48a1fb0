import {
  HubDisconnectedError,
  HubRefusedError,
  subdeviceKey,
  withDeadline,
  type CallOptions,
  type Clock,
  type ShadowDocument,
  type ShadowUpdate,
  type SubdeviceId,
} from '@iotgw/domain';
import { encodeShadowGet, encodeShadowUpdate, SHADOW_RESULT, shadowOperationTopic, type ShadowHubMessage } from '@iotgw/protocol-tencent';

type ShadowReply = Extract<ShadowHubMessage, { type: 'reply' }>;

interface Waiting {
  readonly resolve: (reply: ShadowReply) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Shadow get/update for online subdevices: each request carries a clientToken
 * (`{productId}-{n}`, as the C and Python SDKs make them) and the reply with the same token
 * settles it. QoS 0 both ways, as the SDKs; a lost message is a timeout.
 */
export class ShadowOperations {
  readonly #waiting = new Map<string, Waiting>();
  #counter = 0;

  constructor(
    /** Publishes QoS 0 on a subdevice's topic; rejects when it may not (offline, disconnected). */
    private readonly publish: (subdevice: SubdeviceId, topic: string, payload: string, options: CallOptions) => Promise<void>,
    private readonly isOnline: (subdevice: SubdeviceId) => boolean,
    private readonly timeoutMs: number,
    private readonly clock: Clock,
  ) {}

  async get(subdevice: SubdeviceId, options: CallOptions): Promise<ShadowDocument> {
    const reply = await this.#request(subdevice, 'get', (token) => encodeShadowGet(token), options);
    return { version: reply.version ?? 0, reported: reply.reported ?? {}, desired: reply.desired, delta: reply.delta };
  }

  async update(subdevice: SubdeviceId, update: ShadowUpdate, options: CallOptions): Promise<{ readonly version: number }> {
    const reply = await this.#request(subdevice, 'update', (token) => encodeShadowUpdate({ clientToken: token, ...update }), options);
    return { version: reply.version ?? 0 };
  }

  /** A get/update reply from the hub: settles the request with its clientToken (others are stale). */
  reply(reply: ShadowReply): boolean {
    const waiting = this.#waiting.get(reply.clientToken);
    if (!waiting) return false;
    this.#waiting.delete(reply.clientToken);
    waiting.resolve(reply);
    return true;
  }

  rejectAll(error: Error): void {
    const all = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const w of all) w.reject(error);
  }

  #request(subdevice: SubdeviceId, operation: 'get' | 'update', encode: (token: string) => string, options: CallOptions): Promise<ShadowReply> {
    if (!this.isOnline(subdevice)) {
      return Promise.reject(new HubDisconnectedError(`${subdeviceKey(subdevice)} is not online at the hub: its shadow can be used once it is`));
    }
    const token = `${subdevice.productId}-${this.#counter++}`;
    return withDeadline(`shadow ${operation} of ${subdeviceKey(subdevice)}`, options, this.timeoutMs, async (signal) => {
      const answered = new Promise<ShadowReply>((resolve, reject) => {
        this.#waiting.set(token, { resolve, reject });
        signal.addEventListener('abort', () => this.#waiting.delete(token), { once: true });
      });
      await this.publish(subdevice, shadowOperationTopic(subdevice), encode(token), { signal });
      const reply = await answered;
      if (reply.result !== SHADOW_RESULT.ok) {
        throw new HubRefusedError(`shadow ${operation} of ${subdeviceKey(subdevice)} refused by the hub (result ${reply.result}${reply.result === SHADOW_RESULT.versionConflict ? ': version conflict' : ''})`, reply.result);
      }
      return reply;
    }, this.clock);
  }
}
