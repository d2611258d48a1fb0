import { FROM_SUBDEVICE, encodeFrame, type Frame, type FramingOptions } from './frame.js';
import { decodeMessage, encodeMessage, messageTypeCode, type DecodeOptions, type Message } from './messages.js';

export type Direction = 'to_subdevice' | 'from_subdevice';

/** A decoded frame: who it is for/from, which way it goes, its seq and message. */
export interface Packet {
  readonly address: number;
  readonly direction: Direction;
  readonly seq: number;
  readonly message: Message;
}

export function encodePacket(packet: Packet, options: FramingOptions = {}): Uint8Array {
  const dir = packet.direction === 'from_subdevice' ? FROM_SUBDEVICE : 0;
  return encodeFrame(
    { address: packet.address, type: messageTypeCode(packet.message.type) | dir, seq: packet.seq & 0xffff, payload: encodeMessage(packet.message) },
    options,
  );
}

/** Undefined for an unknown type or a malformed payload (the frame's CRC was fine). */
export function packetOf(frame: Frame, options: DecodeOptions = {}): Packet | undefined {
  const message = decodeMessage(frame.type, frame.payload, options);
  if (!message) return undefined;
  return {
    address: frame.address,
    direction: frame.type & FROM_SUBDEVICE ? 'from_subdevice' : 'to_subdevice',
    seq: frame.seq,
    message,
  };
}
