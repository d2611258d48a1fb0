import { createHash } from 'node:crypto';
import {
  FrameDecoder,
  ManualScheduler,
  SubdeviceEngine,
  packetOf,
  type CrcKind,
  type FirmwareOffer,
  type Message,
  type Packet,
} from '../../src/index.js';

/** The subdevice a scenario runs: identity, link settings, and what its flash holds at power-on. */
export interface ScenarioConfig {
  readonly address: number;
  readonly productId: string;
  readonly deviceName: string;
  readonly firmwareVersion: string;
  readonly revision: number;
  readonly crc: CrcKind;
  readonly maxFrameSize: number;
  /** RELIABLE_DATA: acknowledge DATA and expect acknowledgements. */
  readonly reliableData: boolean;
  /** FW_CHUNKs buffered after a gap (0: no REORDER_BUFFER). */
  readonly reorderChunks: number;
  /** Whether the application takes firmware (FIRMWARE capability). */
  readonly firmware: boolean;
  /** Part of an image already in flash at power-on: offered again (same md5 and size), it resumes. */
  readonly flash?: { readonly md5: string; readonly size: number; readonly held: number };
  /** Feature REQUESTS: the application answers every REQUEST with "ok:" + its payload. */
  readonly requests?: boolean;
  /** Feature TIME announced. */
  readonly time?: boolean;
  /** Feature CHANNELS announced. */
  readonly channels?: boolean;
}

/** What the subdevice's application does at a step. */
export type AppAction =
  | { readonly sendData: string; readonly channel?: string }
  | { readonly reportApplying: number }
  | { readonly requestTime: true }
  | { readonly reportResult: { readonly ok: true; readonly version: string } | { readonly ok: false; readonly code: number; readonly message: string } };

export interface StepInput {
  /** Virtual ms since power-on. */
  readonly at: number;
  /** Frames the gateway sends at that time (hex wire bytes). */
  readonly in?: readonly string[];
  readonly app?: AppAction;
}

export interface StepOutput {
  /** Frames the subdevice sent since the previous step, in order (hex wire bytes). */
  readonly out: string[];
  /** Every DATA payload delivered to the application so far (hex). */
  readonly delivered: string[];
  /** The verdict is settled: FW_RESULT_ACK came, or resultHold passed (the moment to reboot). */
  readonly settled: boolean;
}

/** The housekeeping tick the TypeScript engine runs scenarios with (the spec allows any ≤ 10 ms). */
const TICK_MS = 5;

/**
 * Plays a scenario on the TypeScript SubdeviceEngine in virtual time, with the reference
 * application the vectors assume: a flash that keeps a partial image per md5, DATA handed to a
 * list, and the application's steps (send DATA, report applying, report the verdict).
 */
export function playScenario(config: ScenarioConfig, steps: readonly StepInput[]): StepOutput[] {
  const scheduler = new ManualScheduler(0);
  const written: Uint8Array[] = [];
  const delivered: string[] = [];
  let settled = false;
  const flash = config.flash ? { ...config.flash } : undefined;
  let current: { md5: string; size: number; held: number } | undefined = flash;
  const engine = new SubdeviceEngine(
    {
      transmit: (bytes) => written.push(bytes.slice()),
      // A payload of another channel than `data` is written `channel:hex`.
      data: (payload, channel) => delivered.push((channel === 'data' ? '' : `${channel}:`) + Buffer.from(payload).toString('hex')),
      ...(config.firmware
        ? {
            firmwareOffer: (offer: FirmwareOffer) => {
              const md5 = Buffer.from(offer.md5).toString('hex');
              if (!current || current.md5 !== md5 || current.size !== offer.size) current = { md5, size: offer.size, held: 0 };
              return current.held;
            },
            firmwareChunk: (offset: number, bytes: Uint8Array) => {
              if (current) current.held = offset + bytes.length;
            },
          }
        : {}),
      resultSettled: () => {
        settled = true;
      },
      ...(config.requests ? { request: (payload: Uint8Array) => Uint8Array.from([...Buffer.from('ok:'), ...payload]) } : {}),
    },
    {
      address: config.address,
      identity: { productId: config.productId, deviceName: config.deviceName, firmwareVersion: config.firmwareVersion },
      scheduler,
      framing: { crc: config.crc, maxFrameSize: config.maxFrameSize },
      reorderChunks: config.reorderChunks,
      reliableData: config.reliableData,
      revision: config.revision,
      tickMs: TICK_MS,
      ...(config.time ? { time: true } : {}),
      ...(config.channels ? { channels: true } : {}),
    },
  );
  engine.start();
  const outputs: StepOutput[] = [];
  for (const step of steps) {
    scheduler.advance(step.at - scheduler.now());
    for (const hex of step.in ?? []) engine.feed(Uint8Array.from(Buffer.from(hex, 'hex')));
    const app = step.app;
    if (app && 'sendData' in app) engine.sendData(Uint8Array.from(Buffer.from(app.sendData, 'hex')), app.channel).catch(() => undefined);
    if (app && 'reportApplying' in app) engine.reportApplying(app.reportApplying);
    if (app && 'requestTime' in app) engine.requestTime().catch(() => undefined);
    if (app && 'reportResult' in app) {
      if (current && app.reportResult.ok) current = undefined;
      engine.reportResult(app.reportResult);
    }
    outputs.push({ out: written.splice(0).map((b) => Buffer.from(b).toString('hex')), delivered: [...delivered], settled });
  }
  engine.stop();
  return outputs;
}

/** Decodes one wire frame for display and comparison. */
export function decodeWire(hex: string, crc: CrcKind): Packet | undefined {
  const frames = new FrameDecoder({ crc, maxFrameSize: 4096 }).push(Uint8Array.from(Buffer.from(hex, 'hex')));
  return frames.length === 1 ? packetOf(frames[0]!) : undefined;
}

export function md5Hex(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

export type { Message };
