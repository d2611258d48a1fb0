/** What took the place of a message over the limit: the MQTT parser sees this topic, nobody subscribes it. */
export const DROPPED_MESSAGE_TOPIC = '$iotgw/dropped';

const PUBLISH = 3;
const DROPPED_TOPIC_BYTES = Buffer.from(DROPPED_MESSAGE_TOPIC, 'utf8');

/** A message the filter left out: its topic and its size on the wire. */
export interface DroppedMessage {
  readonly topic: string;
  readonly bytes: number;
}

/** The filter's answer to a chunk: the bytes for the MQTT parser, or why the connection must go. */
export type FilteredBytes = { readonly pass: readonly Uint8Array[] } | { readonly cut: string };

type Phase = 'header' | 'pass' | 'skip' | 'publish-head';

/**
 * Sits between the socket and mqtt.js's parser and keeps any packet over `maxBytes` out of
 * memory. mqtt.js bounds packets only for MQTT 5 and only once it has read them whole; the hub
 * speaks 3.1.1, so a hostile or broken hub could make the gateway hold a 100 MB message.
 *
 * A PUBLISH over the limit is not a reason to lose the connection (and every reading with it):
 * its body is skipped as it streams by, and the parser gets an empty PUBLISH on
 * `DROPPED_MESSAGE_TOPIC` with the same flags and packet id in its place, so mqtt.js acknowledges
 * it as usual (the hub does not resend it) and the gateway ignores it. Any other packet over the
 * limit, or a malformed length, cannot be made sense of: the connection is cut.
 *
 * Every inbound packet (each PUBACK, each echo) goes through here, so the common case costs no
 * allocation per packet: the packets of a chunk that pass reach the parser as one view of the
 * chunk (split only around a dropped message), and the filter's state is fields, not objects. Only
 * a fixed header split across two chunks is copied (its first bytes, at most 4).
 */
export class OversizePublishFilter {
  #phase: Phase = 'header';
  /** The fixed header read so far (phase 'header'); reused from packet to packet. */
  readonly #header: number[] = [];
  /** How many of `#header`'s bytes came in earlier chunks (not yet given to the parser). */
  #carried = 0;
  /** Bytes of the current packet still to pass or skip (phases 'pass', 'skip', 'publish-head'). */
  #remaining = 0;
  /** An oversized PUBLISH: its flags, its size, and its variable header read so far. */
  #flags = 0;
  #total = 0;
  readonly #head: number[] = [];

  constructor(
    readonly maxBytes: number,
    private readonly onDropped: (message: DroppedMessage) => void,
  ) {}

  feed(chunk: Uint8Array): FilteredBytes {
    const pass: Uint8Array[] = [];
    /** Bytes [runStart, at) of this chunk reach the parser unchanged, as one view. */
    let runStart = 0;
    let at = 0;
    while (at < chunk.length) {
      switch (this.#phase) {
        case 'pass': {
          const n = Math.min(this.#remaining, chunk.length - at);
          at += n;
          this.#remaining -= n;
          if (this.#remaining === 0) this.#phase = 'header';
          break;
        }
        case 'skip': {
          const n = Math.min(this.#remaining, chunk.length - at);
          at += n;
          this.#remaining -= n;
          if (this.#remaining === 0) {
            this.#phase = 'header';
            runStart = at;
          }
          break;
        }
        case 'header': {
          const header = this.#header;
          header.push(chunk[at++]!);
          const parsed = parseFixedHeader(header);
          if (parsed === 'more') break;
          if (parsed === 'malformed') return { cut: 'the hub sent a packet with a malformed length' };
          const total = parsed.headerBytes + parsed.remainingLength;
          const type = header[0]! >> 4;
          const carried = this.#carried;
          this.#carried = 0;
          if (total <= this.maxBytes) {
            // The header's bytes from an earlier chunk go first; the rest is in this chunk's run.
            if (carried > 0) pass.push(Uint8Array.from(header.slice(0, carried)));
            header.length = 0;
            if (parsed.remainingLength > 0) {
              this.#phase = 'pass';
              this.#remaining = parsed.remainingLength;
            }
          } else if (type === PUBLISH) {
            // The run ends where this packet's header began; nothing of it reaches the parser.
            const headerStart = at - (header.length - carried);
            if (headerStart > runStart) pass.push(chunk.subarray(runStart, headerStart));
            this.#phase = 'publish-head';
            this.#flags = header[0]! & 0x0f;
            this.#total = total;
            this.#remaining = parsed.remainingLength;
            this.#head.length = 0;
            header.length = 0;
          } else {
            return { cut: `the hub sent a packet of type ${type} and ${total} bytes, over maxPacketBytes ${this.maxBytes}` };
          }
          break;
        }
        case 'publish-head': {
          // Topic length (2 bytes), topic, packet id (2 bytes, QoS 1 and 2): the rest is skipped.
          const head = this.#head;
          head.push(chunk[at++]!);
          this.#remaining--;
          const needed = publishHeadBytes(head, this.#flags);
          if (needed === undefined || head.length < needed) {
            if (this.#remaining === 0) return { cut: 'the hub sent a PUBLISH shorter than its own topic' };
            break;
          }
          const topicLength = (head[0]! << 8) | head[1]!;
          const topic = Buffer.from(head.slice(2, 2 + topicLength)).toString('utf8');
          pass.push(droppedPublish(this.#flags, head.slice(2 + topicLength)));
          this.onDropped({ topic, bytes: this.#total });
          if (this.#remaining > 0) this.#phase = 'skip';
          else {
            this.#phase = 'header';
            runStart = at;
          }
          break;
        }
      }
    }
    // What ends the chunk: the run up to here, less a fixed header not complete yet (it goes with
    // its packet once the next chunk completes it, or not at all if that packet is dropped).
    if (this.#phase === 'pass' || this.#phase === 'header') {
      const end = at - (this.#header.length - this.#carried);
      if (end > runStart) pass.push(chunk.subarray(runStart, end));
      this.#carried = this.#header.length;
    }
    return { pass };
  }
}

/** Bytes of a PUBLISH's variable header once the topic length is known (undefined before). */
function publishHeadBytes(head: readonly number[], flags: number): number | undefined {
  if (head.length < 2) return undefined;
  const qos = (flags >> 1) & 0x03;
  return 2 + ((head[0]! << 8) | head[1]!) + (qos > 0 ? 2 : 0);
}

/** An empty PUBLISH on DROPPED_MESSAGE_TOPIC with the original flags and packet id. */
function droppedPublish(flags: number, packetId: readonly number[]): Uint8Array {
  const remaining = 2 + DROPPED_TOPIC_BYTES.length + packetId.length; // < 128: one length byte
  return Uint8Array.from([(PUBLISH << 4) | flags, remaining, DROPPED_TOPIC_BYTES.length >> 8, DROPPED_TOPIC_BYTES.length & 0xff, ...DROPPED_TOPIC_BYTES, ...packetId]);
}

/** Type byte + remaining length (1..4 bytes, 7 bits each, high bit = more). */
function parseFixedHeader(bytes: readonly number[]): { headerBytes: number; remainingLength: number } | 'more' | 'malformed' {
  if (bytes.length < 2) return 'more';
  let value = 0;
  for (let i = 1; i < bytes.length; i++) {
    const b = bytes[i]!;
    value += (b & 0x7f) * 128 ** (i - 1);
    if ((b & 0x80) === 0) return { headerBytes: i + 1, remainingLength: value };
    if (i === 4) return 'malformed';
  }
  return 'more';
}
