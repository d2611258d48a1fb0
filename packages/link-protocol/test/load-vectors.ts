import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Tests run from dist/test; the vectors live beside the sources in test/.
const path = fileURLToPath(new URL('../../test/vectors.json', import.meta.url));

export interface FrameVector {
  name: string;
  crc: 'crc32c' | 'crc16';
  address: number;
  direction: 'to_subdevice' | 'from_subdevice';
  seq: number;
  message: Record<string, unknown> & { type: string };
  payload: string;
  wire: string;
}

export const vectors = JSON.parse(readFileSync(path, 'utf8')) as {
  crc: { input: string; crc32c: string; crc16: string };
  cobs: { raw: string; encoded: string }[];
  frames: FrameVector[];
};

export const fromHex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
