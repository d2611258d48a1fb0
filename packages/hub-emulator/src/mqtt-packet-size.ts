import type { Duplex } from 'node:stream';

/** Default largest MQTT packet (its remaining length) a device may send: 1 MiB. */
export const DEFAULT_MAX_PACKET_BYTES = 1024 * 1024;

/**
 * Follows MQTT framing over a byte stream (fixed header byte, remaining length as a 1..4 byte
 * varint, then that many bytes) and says when a packet announces more than `maxBytes`. It only
 * reads lengths, so it knows at the packet's second byte, before the broker buffers the body.
 */
export class MqttPacketSizeMeter {
  private phase: 'header' | 'length' | 'body' = 'header';
  private remaining = 0;
  private multiplier = 1;
  private lengthBytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Feeds the next chunk; returns the announced size (a lower bound) once one is over the limit. */
  inspect(chunk: Uint8Array): number | undefined {
    let i = 0;
    while (i < chunk.length) {
      if (this.phase === 'header') {
        i += 1;
        this.phase = 'length';
        this.remaining = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
      } else if (this.phase === 'length') {
        const byte = chunk[i] ?? 0;
        i += 1;
        this.remaining += (byte & 0x7f) * this.multiplier;
        this.multiplier *= 128;
        this.lengthBytes += 1;
        // The value read so far only grows: over the limit now means over it in the end.
        if (this.remaining > this.maxBytes) return this.remaining;
        // A fifth length byte is malformed MQTT: the broker's parser refuses it, we stop counting.
        if ((byte & 0x80) === 0 || this.lengthBytes === 4) this.phase = this.remaining === 0 ? 'header' : 'body';
      } else {
        const take = Math.min(this.remaining, chunk.length - i);
        i += take;
        this.remaining -= take;
        if (this.remaining === 0) this.phase = 'header';
      }
    }
    return undefined;
  }
}

/**
 * Watches what a connection sends to the broker and destroys it when a packet announces more
 * than `maxBytes`. Call it right after the broker attached its own reader: with a 'readable'
 * listener in place, a 'data' listener only observes the chunks the broker reads (it does not
 * switch the stream to flowing mode), so nothing is read twice or out of order.
 */
export function watchPacketSize(stream: Duplex, maxBytes: number, onOversize: (bytes: number) => void): void {
  const meter = new MqttPacketSizeMeter(maxBytes);
  const onData = (chunk: Buffer | string): void => {
    const over = meter.inspect(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    if (over === undefined) return;
    stream.off('data', onData);
    onOversize(over);
    stream.destroy();
  };
  stream.on('data', onData);
}
