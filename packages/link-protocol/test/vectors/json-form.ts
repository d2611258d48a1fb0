import type { Message } from '../../src/index.js';

/** A message as the vectors write it: byte fields as lowercase hex. */
export type JsonMessage = Record<string, unknown> & { type: string };

const BYTE_FIELDS: Record<string, string> = {
  data: 'payload',
  channel_data: 'payload',
  fw_chunk: 'bytes',
  fw_offer: 'md5',
  request: 'payload',
  response: 'payload',
  shadow_delta: 'document',
  shadow_report: 'document',
};

export function toJson(m: Message): JsonMessage {
  const out: JsonMessage = { ...(m as unknown as JsonMessage) };
  const field = BYTE_FIELDS[m.type];
  if (field) out[field] = Buffer.from(out[field] as Uint8Array).toString('hex');
  return out;
}

export function fromJson(m: JsonMessage): Message {
  const out: Record<string, unknown> = { ...m };
  const field = BYTE_FIELDS[m.type];
  if (field) out[field] = Uint8Array.from(Buffer.from(out[field] as string, 'hex'));
  return out as unknown as Message;
}
