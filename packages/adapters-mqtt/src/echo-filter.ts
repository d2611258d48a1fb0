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
  /** Key → send times, oldest first. Map order is insertion order, so the first key is the oldest. */
  readonly #sent = new Map<string, number[]>();

  constructor(
    private readonly windowMs = 30_000,
    private readonly capacity = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  remember(topic: string, payload: Uint8Array): void {
    const key = keyOf(topic, payload);
    const times = this.#sent.get(key);
    if (times) times.push(this.now());
    else {
      this.#sent.set(key, [this.now()]);
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
    const times = this.#sent.get(key);
    if (!times) return false;
    const oldest = this.now() - this.windowMs;
    while (times.length > 0 && (times[0] ?? 0) < oldest) times.shift();
    const matched = times.length > 0;
    if (matched) times.shift();
    if (times.length === 0) this.#sent.delete(key);
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
