/**
 * Recognises the hub's echo of our own uplink. The gateway publishes a subdevice's data on
 * `{pid}/{dev}/data` and is subscribed to the same topic for downlink; MQTT 3.1.1 has no no-local
 * flag, so the hub hands every uplink straight back. Without this, a subdevice would receive its
 * own readings as commands.
 *
 * Each publish is remembered (topic, QoS, exact bytes) for `windowMs`; an incoming message that
 * matches one is consumed as its echo. Bounded: at most `capacity` messages are remembered; past that a
 * topic's oldest are forgotten (a hub that does not echo costs this memory and nothing else).
 */
export class EchoFilter {
  /**
   * Per topic, the payloads sent and their send times, oldest first from `head` (a queue without
   * `shift`, which copies). An echo normally matches the head (the hub hands messages back in the
   * order we sent them); the scan goes further for reordered or lost ones. Compared byte for byte:
   * no string the size of each payload is built per message, and nothing is inserted into or
   * deleted from a map per message (both showed up as the adapter's main cost per reading).
   */
  readonly #byQos = [new Map<string, Sent>(), new Map<string, Sent>()] as const;
  #size = 0;

  constructor(
    private readonly windowMs = 30_000,
    private readonly capacity = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  remember(topic: string, payload: Uint8Array, qos: 0 | 1 = 1): void {
    const topics = this.#byQos[qos];
    let sent = topics.get(topic);
    if (!sent) topics.set(topic, (sent = { payloads: [], times: [], head: 0 }));
    sent.payloads.push(payload);
    sent.times.push(this.now());
    // Past capacity this topic's oldest goes (a hub that does not echo costs this much, no more).
    if (++this.#size > this.capacity) this.#consume(sent);
  }

  /**
   * True (and forgotten) when this message is the echo of one we published within the window.
   * `qos`: as delivered, which is what it was published with (our subscriptions are QoS 1). MQTT
   * keeps order per topic and QoS, so a match behind the head means the echoes before it were
   * lost (a broker drops what does not fit its queue): they are forgotten, not scanned again and
   * again (that cost 5x the CPU per reading with 1000 in flight on mosquitto defaults).
   */
  isEcho(topic: string, payload: Uint8Array, qos: 0 | 1 = 1): boolean {
    if (this.#size === 0) return false;
    const sent = this.#byQos[qos].get(topic);
    if (!sent) return false;
    const oldest = this.now() - this.windowMs;
    while (sent.head < sent.times.length && (sent.times[sent.head] ?? 0) < oldest) this.#consume(sent);
    for (let i = sent.head; i < sent.times.length; i++) {
      if (!sameBytes(sent.payloads[i]!, payload)) continue;
      // Counted, not compared to `head`: consuming may compact the queue and move `head` back.
      for (let n = i - sent.head + 1; n > 0; n--) this.#consume(sent);
      return true;
    }
    return false;
  }

  /** Messages remembered now. */
  get size(): number {
    return this.#size;
  }

  /** Forgets the oldest entry. */
  #consume(sent: Sent): void {
    const { payloads, times, head } = sent;
    payloads[head] = EMPTY; // let the payload go now, not at the next compaction
    sent.head++;
    this.#size--;
    if (sent.head === times.length) {
      // Emptied: reset in place (the next reading of this topic comes soon; no map churn per message).
      sent.payloads.length = 0;
      sent.times.length = 0;
      sent.head = 0;
    } else if (sent.head > 1024 && sent.head * 2 > times.length) {
      // Drop the consumed half now and then, so memory follows what is still pending.
      sent.times = times.slice(sent.head);
      sent.payloads = payloads.slice(sent.head);
      sent.head = 0;
    }
  }
}

interface Sent {
  payloads: Uint8Array[];
  times: number[];
  head: number;
}

const EMPTY = new Uint8Array(0);

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}
