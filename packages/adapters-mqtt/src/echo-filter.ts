/**
 * Recognises the hub's echo of our own uplink. The gateway publishes a subdevice's data on
 * `{pid}/{dev}/data` and is subscribed to the same topic for downlink; MQTT 3.1.1 has no no-local
 * flag, so the hub hands every uplink straight back. Without this, a subdevice would receive its
 * own readings as commands.
 *
 * Each publish is remembered (topic, QoS, exact bytes) for `windowMs`; an incoming message that
 * matches one is consumed as its echo. Bounded: at most `capacity` messages and `maxBytes` of
 * their payloads are remembered; past that a topic's oldest are forgotten (a hub that does not
 * echo costs this memory and nothing else).
 */
export class EchoFilter {
  /**
   * Per topic, the payloads sent, their fingerprints and send times, oldest first from `head` (a
   * queue without `shift`, which copies). An echo normally matches the head (the hub hands
   * messages back in the order we sent them); the scan goes further for reordered or lost ones.
   * Fingerprints are compared before bytes, and nothing is inserted into or deleted from a map
   * per message (both showed up as the adapter's main cost per reading).
   */
  readonly #byQos = [new Map<string, Sent>(), new Map<string, Sent>()] as const;
  /**
   * How many remembered messages fall in each slot of (topic, fingerprint): an incoming message
   * whose slot is empty is no echo, known without a scan. Without it, each message that matched
   * nothing (real downlink, or the echo of a reading forgotten past the bound) scanned the whole
   * queue: 20,000 QoS 0 readings at once spent 45% of the adapter's CPU there.
   */
  readonly #pending = new Int32Array(SLOTS);
  #size = 0;
  #bytes = 0;

  constructor(
    private readonly windowMs = 30_000,
    private readonly capacity = 100_000,
    private readonly now: () => number = Date.now,
    private readonly maxBytes = 8 * 1024 * 1024,
  ) {}

  remember(topic: string, payload: Uint8Array, qos: 0 | 1 = 1): void {
    const topics = this.#byQos[qos];
    let sent = topics.get(topic);
    if (!sent) topics.set(topic, (sent = { payloads: [], fingerprints: [], times: [], head: 0, salt: fingerprintOf(Buffer.from(topic)) ^ qos }));
    const fingerprint = fingerprintOf(payload);
    sent.payloads.push(Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
    sent.fingerprints.push(fingerprint);
    sent.times.push(this.now());
    this.#pending[(fingerprint ^ sent.salt) & SLOT_MASK]!++;
    this.#bytes += payload.byteLength;
    // Past a bound this topic's oldest goes (a hub that does not echo costs this much, no more).
    if (++this.#size > this.capacity || this.#bytes > this.maxBytes) this.#consume(sent);
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
    const fingerprint = fingerprintOf(payload);
    if (this.#pending[(fingerprint ^ sent.salt) & SLOT_MASK] === 0) return false;
    for (let i = sent.head; i < sent.times.length; i++) {
      if (sent.fingerprints[i] !== fingerprint || !sent.payloads[i]!.equals(payload)) continue;
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
    const { payloads, fingerprints, times, head } = sent;
    this.#pending[(fingerprints[head]! ^ sent.salt) & SLOT_MASK]!--;
    this.#bytes -= payloads[head]!.byteLength;
    payloads[head] = EMPTY; // let the payload go now, not at the next compaction
    sent.head++;
    this.#size--;
    if (sent.head === times.length) {
      // Emptied: reset in place (the next reading of this topic comes soon; no map churn per message).
      sent.payloads.length = 0;
      sent.fingerprints.length = 0;
      sent.times.length = 0;
      sent.head = 0;
    } else if (sent.head > 1024 && sent.head * 2 > times.length) {
      // Drop the consumed half now and then, so memory follows what is still pending.
      sent.times = times.slice(sent.head);
      sent.fingerprints = fingerprints.slice(sent.head);
      sent.payloads = payloads.slice(sent.head);
      sent.head = 0;
    }
  }
}

interface Sent {
  payloads: Buffer[];
  fingerprints: number[];
  times: number[];
  head: number;
  /** Mixed into the fingerprint's slot, so topics spread over the slots. */
  readonly salt: number;
}

const SLOTS = 1 << 16;
const SLOT_MASK = SLOTS - 1;
const EMPTY = Buffer.alloc(0);
/** Bytes of each end hashed: readings differ in their values and times, not in their length alone. */
const ENDS = 32;

/**
 * FNV-1a over the length and up to ENDS bytes at each end: cheap for any size, and only a
 * filter (an exact comparison follows), so a collision costs a comparison, never a wrong answer.
 */
function fingerprintOf(bytes: Uint8Array): number {
  const n = bytes.byteLength;
  let h = Math.imul(0x811c9dc5 ^ n, 0x01000193);
  const front = Math.min(n, ENDS);
  for (let i = 0; i < front; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  for (let i = Math.max(front, n - ENDS); i < n; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}
