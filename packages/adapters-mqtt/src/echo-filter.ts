/**
 * Recognises the hub's echo of our own uplink. The gateway publishes a subdevice's data on
 * `{pid}/{dev}/data` and is subscribed to the same topic for downlink; MQTT 3.1.1 has no no-local
 * flag, so the hub hands every uplink straight back. Without this, a subdevice would receive its
 * own readings as commands.
 *
 * Each publish is remembered (topic + exact bytes) for `windowMs`; an incoming message that matches
 * one is consumed as its echo. Bounded: at most `capacity` distinct messages are remembered; past
 * that the oldest are forgotten (a hub that does not echo costs this memory and nothing else).
 */
export class EchoFilter {
  /**
   * Key → send times, oldest first from `head` (a queue without `shift`, which copies: the same
   * reading sent thousands of times would make every match cost the whole array).
   * Map order is insertion order, so the first key is the oldest.
   */
  readonly #sent = new Map<string, { times: number[]; head: number }>();

  constructor(
    private readonly windowMs = 30_000,
    private readonly capacity = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  remember(topic: string, payload: Uint8Array): void {
    const key = keyOf(topic, payload);
    const sent = this.#sent.get(key);
    if (sent) sent.times.push(this.now());
    else {
      this.#sent.set(key, { times: [this.now()], head: 0 });
      if (this.#sent.size > this.capacity) {
        const oldest = this.#sent.keys().next();
        if (!oldest.done) this.#sent.delete(oldest.value);
      }
    }
  }

  /** True (and forgotten) when this message is the echo of one we published within the window. */
  isEcho(topic: string, payload: Uint8Array): boolean {
    if (this.#sent.size === 0) return false;
    const key = keyOf(topic, payload);
    const sent = this.#sent.get(key);
    if (!sent) return false;
    const { times } = sent;
    const oldest = this.now() - this.windowMs;
    while (sent.head < times.length && (times[sent.head] ?? 0) < oldest) sent.head++;
    const matched = sent.head < times.length;
    if (matched) sent.head++;
    if (sent.head === times.length) this.#sent.delete(key);
    else if (sent.head > 1024 && sent.head * 2 > times.length) {
      // Drop the consumed half now and then, so memory follows what is still pending.
      sent.times = times.slice(sent.head);
      sent.head = 0;
    }
    return matched;
  }

  /** Distinct messages remembered now. */
  get size(): number {
    return this.#sent.size;
  }
}

function keyOf(topic: string, payload: Uint8Array): string {
  return `${topic}\u0000${Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('latin1')}`;
}
