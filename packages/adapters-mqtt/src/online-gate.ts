import type { MqttClient } from 'mqtt';
import { subdeviceKey, type SubdeviceId } from '@iotgw/domain';
import { subscribeInBatches, unsubscribeInBatches } from './subscription-batches.js';
import { broadcastTopic, dataTopic, gatewayOperationResultTopic, otaUpdateTopic, rrpcRequestFilter, shadowOperationResultTopic, systemOperationResultTopic } from '@iotgw/protocol-tencent';

/**
 * Which subdevices may use their topics right now, and what the connection subscribes.
 *
 * The hub drops a gateway that publishes or subscribes a subdevice's data topic while that
 * subdevice is not online, and it forgets every online subdevice when the gateway disconnects.
 * So a subdevice's gate opens only once the hub accepted it online on this connection and its
 * topics are subscribed, and it closes the moment its offline or unbind is about to be sent (a
 * reading published after that request would get the gateway disconnected: ACL denied).
 */
export class OnlineGate {
  /** Subdevice keys whose data may be sent on the current connection. */
  readonly #open = new Set<string>();
  /** topic → QoS: everything to (re)subscribe on a connection. */
  readonly #subscriptions = new Map<string, 0 | 1>();
  readonly #resultTopic: string;
  /** Topics of the gateway's own services, kept across connections. */
  readonly #always = new Set<string>();
  /** The gateway's own firmware updates: followed on every connection, like the result topic. */
  readonly #ownOtaTopic: string;
  readonly #opened: (keys: readonly string[]) => void;
  /** Subdevices whose topics are subscribed (or being subscribed) on this connection, by key. */
  readonly #followed = new Map<string, SubdeviceId>();

  constructor(
    gateway: SubdeviceId,
    /** The data channels followed for a subdevice of a product (read at each follow: the declaration may change). */
    private readonly channelsOf: (productId: string) => readonly string[],
    /** Called when gates open: held readings of those subdevices may go now. */
    opened: (keys: readonly string[]) => void,
  ) {
    this.#resultTopic = gatewayOperationResultTopic(gateway);
    this.#subscriptions.set(this.#resultTopic, 1);
    this.#ownOtaTopic = otaUpdateTopic(gateway);
    this.#subscriptions.set(this.#ownOtaTopic, 1);
    // The hub's time service answers on the gateway's own $sys result topic (QoS 0, as the C SDK).
    this.always(systemOperationResultTopic(gateway), 0);
    this.#opened = opened;
  }

  /** A topic of the gateway's own, subscribed on every connection (config, log level). */
  always(topic: string, qos: 0 | 1): void {
    this.#always.add(topic);
    this.#subscriptions.set(topic, qos);
  }

  isOpen(key: string): boolean {
    return this.#open.has(key);
  }

  /** Whether `topic` is subscribed (its uplink will come back to us as an echo). */
  isSubscribed(topic: string): boolean {
    return this.#subscriptions.has(topic);
  }

  /** Subscribes everything this connection needs (only the gateway's own topics after a loss). */
  async subscribeAll(client: MqttClient): Promise<void> {
    await subscribeInBatches(client, this.#subscriptions);
  }

  /** The hub accepted `devices` online: subscribe their topics, then open their gates. */
  async follow(client: MqttClient | undefined, devices: readonly SubdeviceId[]): Promise<void> {
    if (devices.length === 0) return;
    const topics = this.#topicsOf(devices);
    for (const [topic, qos] of topics) this.#subscriptions.set(topic, qos);
    for (const d of devices) this.#followed.set(subdeviceKey(d), d);
    if (client) await subscribeInBatches(client, topics);
    const keys = devices.map(subdeviceKey);
    for (const key of keys) this.#open.add(key);
    this.#opened(keys);
  }

  /** Closes the gates of `devices` (before their offline/unbind request goes out). */
  close(devices: readonly SubdeviceId[]): string[] {
    const closed: string[] = [];
    for (const d of devices) {
      const key = subdeviceKey(d);
      if (this.#open.delete(key)) closed.push(key);
    }
    return closed;
  }

  /** Reopens gates `close` shut when the hub refused to take those subdevices offline. */
  reopen(keys: readonly string[]): void {
    for (const key of keys) this.#open.add(key);
    if (keys.length > 0) this.#opened(keys);
  }

  /** `devices` are offline or unbound: stop following their topics. Best effort on the wire. */
  async unfollow(client: MqttClient | undefined, devices: readonly SubdeviceId[]): Promise<void> {
    if (devices.length === 0) return;
    this.close(devices);
    for (const d of devices) this.#followed.delete(subdeviceKey(d));
    const topics = [...this.#topicsOf(devices).keys()];
    for (const topic of topics) this.#subscriptions.delete(topic);
    if (client) await unsubscribeInBatches(client, topics);
  }

  /**
   * The console unbound every subdevice (`unbind_all`): every gate closes and every subdevice topic
   * is let go, the gateway's own stay. Best effort on the wire: the hub already stopped routing them.
   */
  async unfollowAll(client: MqttClient | undefined): Promise<void> {
    this.#open.clear();
    this.#followed.clear();
    const own = (topic: string): boolean => topic === this.#resultTopic || topic === this.#ownOtaTopic || this.#always.has(topic);
    const topics = [...this.#subscriptions.keys()].filter((topic) => !own(topic));
    for (const topic of topics) this.#subscriptions.delete(topic);
    if (client && topics.length > 0) await unsubscribeInBatches(client, topics);
  }

  /** The connection is gone and the hub forgot who was online: back to the gateway's own topic. */
  forgetAll(): void {
    this.#open.clear();
    this.#followed.clear();
    // The gateway's own topics stay for the next connection; subdevices' wait for their online.
    for (const topic of [...this.#subscriptions.keys()]) {
      if (topic !== this.#resultTopic && topic !== this.#ownOtaTopic && !this.#always.has(topic)) this.#subscriptions.delete(topic);
    }
  }

  /**
   * The channel declaration changed: `channelsOf` answers by the new one from now on, `before` by
   * the old. Each followed subdevice's data topics are brought to the new declaration on this
   * connection: the bookkeeping at once (a follow after this call already subscribes the new
   * set), then the broker's SUBACK/UNSUBACK awaited. Gates stay open throughout.
   */
  async rechannel(client: MqttClient | undefined, before: (productId: string) => readonly string[]): Promise<void> {
    const added = new Map<string, 0 | 1>();
    const dropped: string[] = [];
    for (const d of this.#followed.values()) {
      const now = new Set(this.channelsOf(d.productId));
      const was = new Set(before(d.productId));
      for (const channel of now) {
        if (was.has(channel)) continue;
        this.#subscriptions.set(dataTopic(d, channel), 1);
        added.set(dataTopic(d, channel), 1);
      }
      for (const channel of was) {
        if (now.has(channel)) continue;
        this.#subscriptions.delete(dataTopic(d, channel));
        dropped.push(dataTopic(d, channel));
      }
    }
    if (!client) return;
    if (added.size > 0) await subscribeInBatches(client, added);
    if (dropped.length > 0) await unsubscribeInBatches(client, dropped);
  }

  /**
   * The topics an online subdevice is followed on, all at QoS 1. Data channels too: the hub echoes
   * each uplink to us, and at QoS 0 that echo needs no reply, so the broker's PUBACK for the next
   * reading waits behind Nagle for our delayed TCP ACK (~40 ms each on mosquitto defaults). Our
   * PUBACK for a QoS 1 echo carries the ACK at once. The hub accepts QoS 1 on data topics.
   * RRPC requests and shadow results at QoS 0, as the vendor SDKs subscribe them (we publish on
   * other topics: no echo).
   */
  #topicsOf(devices: readonly SubdeviceId[]): Map<string, 0 | 1> {
    const topics = new Map<string, 0 | 1>();
    for (const d of devices) {
      for (const channel of this.channelsOf(d.productId)) topics.set(dataTopic(d, channel), 1);
      topics.set(otaUpdateTopic(d), 1);
      topics.set(rrpcRequestFilter(d), 0);
      topics.set(shadowOperationResultTopic(d), 0);
      // QoS 1 as the C SDK subscribes broadcasts (the Python SDK uses 0).
      topics.set(broadcastTopic(d), 1);
    }
    return topics;
  }
}
