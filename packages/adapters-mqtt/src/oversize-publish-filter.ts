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

type State =
  | { readonly kind: 'header'; readonly bytes: number[] }
  | { readonly kind: 'pass'; remaining: number }
  | { readonly kind: 'skip'; remaining: number }
  | { readonly kind: 'publish-head'; readonly flags: number; readonly total: number; remaining: number; readonly head: number[] };

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
 * O(1) work per packet beyond the topic of an oversized one; pass-through bytes are not copied.
 */
export class OversizePublishFilter {
  #state: State = { kind: 'header', bytes: [] };

  constructor(
    readonly maxBytes: number,
    private readonly onDropped: (message: DroppedMessage) => void,
  ) {}

  feed(chunk: Uint8Array): FilteredBytes {
    const pass: Uint8Array[] = [];
    let at = 0;
    while (at < chunk.length) {
      const state = this.#state;
      switch (state.kind) {
        case 'pass': {
          const n = Math.min(state.remaining, chunk.length - at);
          pass.push(chunk.subarray(at, at + n));
          at += n;
          state.remaining -= n;
          if (state.remaining === 0) this.#state = { kind: 'header', bytes: [] };
          break;
        }
        case 'skip': {
          const n = Math.min(state.remaining, chunk.length - at);
          at += n;
          state.remaining -= n;
          if (state.remaining === 0) this.#state = { kind: 'header', bytes: [] };
          break;
        }
        case 'header': {
          state.bytes.push(chunk[at++]!);
          const parsed = parseFixedHeader(state.bytes);
          if (parsed === 'more') break;
          if (parsed === 'malformed') return { cut: 'the hub sent a packet with a malformed length' };
          const total = parsed.headerBytes + parsed.remainingLength;
          const type = state.bytes[0]! >> 4;
          if (total <= this.maxBytes) {
            pass.push(Uint8Array.from(state.bytes));
            this.#state = parsed.remainingLength > 0 ? { kind: 'pass', remaining: parsed.remainingLength } : { kind: 'header', bytes: [] };
          } else if (type === PUBLISH) {
            this.#state = { kind: 'publish-head', flags: state.bytes[0]! & 0x0f, total, remaining: parsed.remainingLength, head: [] };
          } else {
            return { cut: `the hub sent a packet of type ${type} and ${total} bytes, over maxPacketBytes ${this.maxBytes}` };
          }
          break;
        }
        case 'publish-head': {
          // Topic length (2 bytes), topic, packet id (2 bytes, QoS 1 and 2): the rest is skipped.
          state.head.push(chunk[at++]!);
          state.remaining--;
          const needed = publishHeadBytes(state.head, state.flags);
          if (needed === undefined || state.head.length < needed) {
            if (state.remaining === 0) return { cut: 'the hub sent a PUBLISH shorter than its own topic' };
            break;
          }
          const topicLength = (state.head[0]! << 8) | state.head[1]!;
          const topic = Buffer.from(state.head.slice(2, 2 + topicLength)).toString('utf8');
          pass.push(droppedPublish(state.flags, state.head.slice(2 + topicLength)));
          this.onDropped({ topic, bytes: state.total });
          this.#state = state.remaining > 0 ? { kind: 'skip', remaining: state.remaining } : { kind: 'header', bytes: [] };
          break;
        }
      }
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
