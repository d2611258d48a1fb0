import { createHash } from 'node:crypto';
import { TypedEmitter, type Subscription } from '@iotgw/domain';
import { ByeReason, FirmwareResultCode, SubdeviceEngine, type FirmwareOffer, type FramingOptions, type Scheduler } from '@iotgw/link-protocol';
import type { ByteStream } from './byte-stream.js';

/** What the simulated subdevice does with an image: apply it, refuse it with a code, or die at an offset. */
export type SimulatedFirmwareBehaviour =
  | 'success'
  | { readonly fail: number; readonly message: string }
  /** Crash (go silent) once this many bytes arrived; keeps them, so the next delivery resumes. One-shot. */
  | { readonly cutAt: number }
  /**
   * Reboot once this many bytes arrived and say HELLO again at once, well before the gateway's
   * keepalive timeout (with `goodbye`, a BYE(reboot) first); keeps the bytes. One-shot.
   */
  | { readonly rebootAt: number; readonly goodbye?: boolean };

export interface SubdeviceSimulatorOptions {
  readonly productId: string;
  readonly deviceName: string;
  readonly firmwareVersion: string;
  /** Bus address 1..254. Default 1. */
  readonly address?: number;
  readonly framing?: FramingOptions;
  readonly scheduler?: Scheduler;
  /** Send a sensor reading this often while connected (0 = never). Default 0. */
  readonly sensorIntervalMs?: number;
  /** The reading to send; default a JSON temperature. */
  readonly sensorPayload?: (n: number) => Uint8Array;
  readonly firmware?: SimulatedFirmwareBehaviour;
  /** How long applying takes, reported in steps. Default 300 ms. */
  readonly applyMs?: number;
  /**
   * After a successful apply, reboot into the new version this many ms after FW_RESULT (a fresh
   * HELLO, as a real device would). Default: keep running without a reboot.
   */
  readonly rebootAfterApplyMs?: number;
  /** FW_CHUNKs kept after a gap (link-protocol REORDER_BUFFER); 0 = plain go-back-N. Default 8. */
  readonly reorderChunks?: number;
}

export interface SubdeviceSimulatorEvents {
  [event: string]: (payload: never) => void;
  connected: (info: { readonly version: string }) => void;
  disconnected: (info: Record<string, never>) => void;
  data: (payload: Uint8Array) => void;
  crashed: (info: { readonly offset: number }) => void;
  applied: (info: { readonly version: string; readonly ok: boolean }) => void;
}

/**
 * A subdevice that speaks the link protocol over any ByteStream: says HELLO, keeps alive,
 * exchanges DATA, sends periodic readings and takes firmware (keeping partial images across a
 * crash, like flash would).
 */
export class SubdeviceSimulator {
  readonly events = new TypedEmitter<SubdeviceSimulatorEvents>();
  /** Payloads the gateway sent, in order. */
  readonly received: Uint8Array[] = [];
  /** Offset each accepted offer resumed from. */
  readonly offersFrom: number[] = [];
  firmwareBehaviour: SimulatedFirmwareBehaviour;
  /** The last image fully received and applied successfully. */
  lastImage: Uint8Array | undefined;
  #engine: SubdeviceEngine;
  #version: string;
  #subscription: Subscription | undefined;
  #partial: { md5: string; bytes: Uint8Array; received: number } | undefined;
  #sensorTimer: (() => void) | undefined;
  #sensorCount = 0;
  #timers = new Set<() => void>();
  readonly #scheduler: Scheduler | undefined;

  constructor(
    private readonly stream: ByteStream,
    private readonly options: SubdeviceSimulatorOptions,
  ) {
    this.#version = options.firmwareVersion;
    this.firmwareBehaviour = options.firmware ?? 'success';
    this.#scheduler = options.scheduler;
    this.#engine = this.#makeEngine();
  }

  get version(): string {
    return this.#version;
  }

  get connected(): boolean {
    return this.#engine.state === 'connected';
  }

  /** Power on: listen to the stream and say HELLO. */
  start(): void {
    if (this.#subscription) return;
    this.#subscription = this.stream.onData((bytes) => this.#engine.feed(bytes));
    this.#engine.start();
  }

  /** Power off. With `goodbye`, sends BYE first; without, the gateway notices by keepalive. */
  stop(goodbye = false): void {
    this.#stopSensor();
    for (const cancel of this.#timers) cancel();
    this.#timers.clear();
    this.#engine.stop(goodbye ? 0 : undefined);
    this.#subscription?.close();
    this.#subscription = undefined;
    // A fresh engine for the next power-up: sequence numbers and session state start over.
    this.#engine = this.#makeEngine();
  }

  /** Power-cycle into a (possibly new) version. */
  restart(version = this.#version): void {
    this.stop();
    this.#version = version;
    this.#engine = this.#makeEngine();
    this.start();
  }

  /** Sends a reading up; if the HELLO handshake is still under way, waits for it first (up to `waitMs`). */
  async sendData(payload: Uint8Array, waitMs = 5000): Promise<void> {
    if (!this.connected && this.#subscription) {
      await new Promise<void>((resolve) => {
        const timer = this.#setTimer(waitMs, () => {
          sub.close();
          resolve();
        });
        const sub = this.events.on('connected', () => {
          timer();
          sub.close();
          resolve();
        });
      });
    }
    return this.#engine.sendData(payload);
  }

  #makeEngine(): SubdeviceEngine {
    const engine = new SubdeviceEngine(
      {
        // A powered-off (or crashed) engine must not get another byte out.
        transmit: (bytes) => {
          if (this.#engine === engine && this.#subscription) this.stream.write(bytes);
        },
        connected: () => {
          this.#startSensor();
          this.events.emit('connected', { version: this.#version });
        },
        disconnected: () => {
          this.#stopSensor();
          this.events.emit('disconnected', {});
        },
        data: (payload) => {
          this.received.push(payload);
          this.events.emit('data', payload);
        },
        firmwareOffer: (offer) => this.#onOffer(offer),
        firmwareChunk: (offset, bytes) => this.#onChunk(offset, bytes),
        firmwareCommit: (offer) => this.#onCommit(offer),
      },
      {
        address: this.options.address ?? 1,
        identity: { productId: this.options.productId, deviceName: this.options.deviceName, firmwareVersion: this.#version },
        framing: this.options.framing,
        scheduler: this.#scheduler,
        reorderChunks: this.options.reorderChunks,
      },
    );
    return engine;
  }

  #onOffer(offer: FirmwareOffer): number | { code: number; message: string } {
    const md5 = Buffer.from(offer.md5).toString('hex');
    if (!this.#partial || this.#partial.md5 !== md5 || this.#partial.bytes.length !== offer.size) {
      this.#partial = { md5, bytes: new Uint8Array(offer.size), received: 0 };
    }
    this.offersFrom.push(this.#partial.received);
    return this.#partial.received;
  }

  #onChunk(offset: number, bytes: Uint8Array): void {
    const partial = this.#partial;
    if (!partial) return;
    partial.bytes.set(bytes, offset);
    partial.received = offset + bytes.length;
    const behaviour = this.firmwareBehaviour;
    if (typeof behaviour === 'object' && 'cutAt' in behaviour && partial.received >= behaviour.cutAt) {
      this.firmwareBehaviour = 'success';
      this.events.emit('crashed', { offset: partial.received });
      // Die after this chunk is in "flash" but before acking it: nothing more is sent.
      this.stop();
    } else if (typeof behaviour === 'object' && 'rebootAt' in behaviour && partial.received >= behaviour.rebootAt) {
      this.firmwareBehaviour = 'success';
      this.events.emit('crashed', { offset: partial.received });
      // Same, but back at once: the gateway hears a HELLO while it still holds the old session.
      this.#engine.stop(behaviour.goodbye ? ByeReason.REBOOT : undefined);
      this.#later(0, () => this.restart());
    }
  }

  #onCommit(offer: FirmwareOffer): void {
    const partial = this.#partial;
    const engine = this.#engine;
    const applyMs = this.options.applyMs ?? 300;
    const steps = 3;
    for (let i = 1; i <= steps; i++) {
      this.#later((applyMs * i) / (steps + 1), () => engine.reportApplying((100 * i) / (steps + 1)));
    }
    this.#later(applyMs, () => {
      const behaviour = this.firmwareBehaviour;
      this.#partial = undefined;
      if (!partial || createHash('md5').update(partial.bytes).digest('hex') !== Buffer.from(offer.md5).toString('hex')) {
        engine.reportResult({ ok: false, code: FirmwareResultCode.MD5_MISMATCH, message: 'image MD5 does not match the offer' });
        this.events.emit('applied', { version: offer.version, ok: false });
        return;
      }
      if (typeof behaviour === 'object' && 'fail' in behaviour) {
        engine.reportResult({ ok: false, code: behaviour.fail, message: behaviour.message });
        this.events.emit('applied', { version: offer.version, ok: false });
        return;
      }
      this.lastImage = partial.bytes;
      this.#version = offer.version;
      engine.reportResult({ ok: true, version: offer.version });
      this.events.emit('applied', { version: offer.version, ok: true });
      const reboot = this.options.rebootAfterApplyMs;
      if (reboot !== undefined) this.#later(reboot, () => this.restart(offer.version));
    });
  }

  #later(ms: number, fn: () => void): void {
    const cancel = this.#setTimer(ms, () => {
      this.#timers.delete(cancel);
      fn();
    });
    this.#timers.add(cancel);
  }

  #setTimer(ms: number, fn: () => void): () => void {
    if (this.#scheduler) return this.#scheduler.setTimer(ms, fn);
    const handle = setTimeout(fn, ms);
    return () => clearTimeout(handle);
  }

  #startSensor(): void {
    const every = this.options.sensorIntervalMs ?? 0;
    if (every <= 0 || this.#sensorTimer) return;
    const fire = (): void => {
      this.#sensorTimer = this.#setTimer(every, () => {
        const n = ++this.#sensorCount;
        const payload = this.options.sensorPayload?.(n) ?? Buffer.from(JSON.stringify({ seq: n, temperature: 20 + (n % 10) / 10 }));
        this.#engine.sendData(payload).catch(() => undefined); // a lost reading is replaced by the next one
        fire();
      });
    };
    fire();
  }

  #stopSensor(): void {
    this.#sensorTimer?.();
    this.#sensorTimer = undefined;
  }
}
