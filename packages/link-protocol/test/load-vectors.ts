import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AppAction, ScenarioConfig } from './vectors/scenario-player.js';

// Tests run from dist/test; the vectors live beside the sources in test/.
const path = fileURLToPath(new URL('../../test/vectors.json', import.meta.url));

export interface FrameVector {
  name: string;
  crc: 'crc32c' | 'crc16';
  /** The revision whose layout the frame uses. */
  revision: number;
  address: number;
  direction: 'to_subdevice' | 'from_subdevice';
  seq: number;
  message: Record<string, unknown> & { type: string };
  payload: string;
  wire: string;
}

export interface PayloadVector {
  why: string;
  type: number;
  payload: string;
  wire: string;
}

export interface ScenarioVector {
  name: string;
  spec: string;
  config: ScenarioConfig;
  steps: Array<{
    at: number;
    in?: Array<{ wire: string; seq?: number; message?: Record<string, unknown> }>;
    app?: AppAction;
    out: Array<{ wire: string; seq: number; message: Record<string, unknown> & { type: string }; ignore?: string[] }>;
    delivered: string[];
    settled: boolean;
  }>;
}

export const vectors = JSON.parse(readFileSync(path, 'utf8')) as {
  revision: number;
  crc: { input: string; crc32c: string; crc16: string };
  cobs: { raw: string; encoded: string }[];
  frames: FrameVector[];
  malformed: PayloadVector[];
  accepted: PayloadVector[];
  scenarios: ScenarioVector[];
  /** Optional features (README §12), apart from the core sections. */
  features: { frames: Array<FrameVector & { feature: string }>; malformed: PayloadVector[]; scenarios: ScenarioVector[] };
};

export const fromHex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
