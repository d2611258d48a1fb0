import { TypedEmitter, type ByteStream, type Subscription } from '@iotgw/domain';
import { ByeReason, LinkProtocolError, SubdeviceEngine, type FirmwareOffer, type FramingOptions, type HubTime, type Scheduler } from '@iotgw/link-protocol';
import { SimulatedFlash, type SimulatedFirmwareBehaviour } from './simulated-flash.js';

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
   * After a successful apply, reboot into the new version this many ms after the verdict settled
   * (FW_RESULT_ACK, or no FW_COMMIT asking again for 3 s): a fresh HELLO, as a real device would.
   * Default: keep running without a reboot.
   */
  readonly rebootAfterApplyMs?: number;
  /** FW_CHUNKs kept after a gap (link-protocol REORDER_BUFFER); 0 = plain go-back-N. Default 8. */
  readonly reorderChunks?: number;
  /** Link-protocol revision to speak: 1 plays a subdevice built against the first spec. Default the latest. */
  readonly revision?: number;
  /** Announce RELIABLE_DATA (acknowledged DATA both ways). Default true. */
  readonly reliableData?: boolean;
  /** Resend HELLO this often until answered. Default 500 ms (link-protocol). */
  readonly helloRetryMs?: number;
  /**
   * Answer the gateway's requests (the hub's RRPC; link feature REQUESTS). Default: answers
   * `ok:` + the request bytes at once. `false`: announces no REQUESTS (an older firmware).
   * Changeable later through `requestHandler` / `requestDelayMs`.
   */
  readonly requests?: false | { readonly delayMs?: number; readonly answer?: (payload: Uint8Array) => Uint8Array };
  /** Take shadow deltas (link feature SHADOW): apply them and report the new state back. Default true. */
  readonly shadow?: boolean;
  /** Announce the link feature TIME (so `requestTime` works). Default true. */
  readonly time?: boolean;
  /** Announce the link feature CHANNELS (data naming its channel both ways). Default true; `false` plays an older firmware. */
  readonly channels?: boolean;
}

export interface SubdeviceSimulatorEvents {
  [event: string]: (payload: never) => void;
  connected: (info: { readonly version: string }) => void;
  disconnected: (info: Record<string, never>) => void;
  data: (payload: Uint8Array) => void;
  crashed: (info: { readonly offset: number }) => void;
  applied: (info: { readonly version: string; readonly ok: boolean }) => void;
  /** The gateway answered HELLO_REFUSED (revision 2): what the device would show. */
  refused: (info: { readonly reason: number; readonly message: string; readonly retryAfterMs: number }) => void;
  /** The gateway cancelled the transfer in progress (FW_CANCEL); the bytes received are kept. */
  cancelled: (info: { readonly version: string }) => void;
  /** The gateway asked (a request handed down from the hub's RRPC). */
  request: (info: { readonly payload: Uint8Array }) => void;
  /** A shadow delta arrived (desired state); the simulator applies it to `shadowState` and reports back. */
  shadowDelta: (info: { readonly version: number; readonly state: Readonly<Record<string, unknown>> }) => void;
}

/**
 * A subdevice that speaks the link protocol over whatever ByteStream carries it (a pty, a serial
 * port, a BLE GATT session, an in-memory pipe): says HELLO, keeps alive, exchanges DATA, sends
 * periodic readings and takes firmware, keeping a partial image across crashes and lost streams
 * like flash would. Its power (`start`/`stop`) and its medium (`use`) are independent: the link
 * protocol runs while it is powered and has an open stream.
 */
export class SubdeviceSimulator {
  readonly events = new TypedEmitter<SubdeviceSimulatorEvents>();
  /** Payloads the gateway sent, in order. */
  readonly received: Uint8Array[] = [];
  /** The channel of each of `received` (`data` for plain DATA), same order. */
  readonly receivedChannels: string[] = [];
  /** Whether it announces CHANNELS at its next HELLO (default `options.channels`, true): false plays an older firmware. */
  announceChannels: boolean | undefined;
  /** Request payloads the gateway sent, in order. */
  readonly requests: Uint8Array[] = [];
  /** Shadow deltas received, in order. */
  readonly shadowDeltas: Array<{ readonly version: number; readonly state: Readonly<Record<string, unknown>> }> = [];
  /** The device's state as shadow deltas set it (what it reports). */
  shadowState: Record<string, unknown> = {};
  /** How it answers requests (undefined: announces none at its next HELLO). */
  requestHandler: ((payload: Uint8Array) => Uint8Array) | undefined;
  /** How long it takes to answer a request, ms (a slow sensor, a busy MCU). */
  requestDelayMs: number;
  readonly #flash: SimulatedFlash;
  #version: string;
  #stream: ByteStream | undefined;
  #streamSubscriptions: Subscription[] = [];
  #powered = false;
  #engine: SubdeviceEngine | undefined;
  #sensorTimer: (() => void) | undefined;
  #sensorCount = 0;
  readonly #timers = new Set<() => void>();
  /** Version to reboot into once the verdict is settled (rebootAfterApplyMs). */
  #rebootInto: string | undefined;

  constructor(
    stream: ByteStream | undefined,
    private readonly options: SubdeviceSimulatorOptions,
  ) {
    this.#version = options.firmwareVersion;
    this.#flash = new SimulatedFlash(options.firmware ?? 'success');
    const requests = options.requests ?? {};
    this.requestHandler = requests === false ? undefined : (requests.answer ?? ((p) => Uint8Array.from([...new TextEncoder().encode('ok:'), ...p])));
    this.requestDelayMs = requests === false ? 0 : (requests.delayMs ?? 0);
    if (stream) this.use(stream);
  }

  get version(): string {
    return this.#version;
  }

  /** Powered, with a stream, and the gateway answered its HELLO. */
  get connected(): boolean {
    return this.#engine?.state === 'connected';
  }

  get powered(): boolean {
    return this.#powered;
  }

  /** What the subdevice does with the next image; one-shot behaviours reset to 'success'. */
  get firmwareBehaviour(): SimulatedFirmwareBehaviour {
    return this.#flash.behaviour;
  }

  set firmwareBehaviour(behaviour: SimulatedFirmwareBehaviour) {
    this.#flash.behaviour = behaviour;
  }

  /** Offset each accepted firmware offer resumed from (0 = a fresh start). */
  get offersFrom(): readonly number[] {
    return this.#flash.offersFrom;
  }

  /** The last image fully received and applied successfully. */
  get lastImage(): Uint8Array | undefined {
    return this.#flash.lastImage;
  }

  /**
   * The medium the subdevice talks over from now on (a new GATT session, a reopened port). The
   * session on the previous stream ends silently; when the stream closes the subdevice waits for
   * the next one, keeping its version and partial image.
   */
  use(stream: ByteStream): void {
    this.#halt();
    for (const s of this.#streamSubscriptions) s.close();
    this.#stream = stream;
    this.#streamSubscriptions = [
      stream.on('data', (bytes) => this.#engine?.feed(bytes)),
      stream.on('closed', () => {
        if (this.#stream !== stream) return;
        this.#halt();
        this.#stream = undefined;
      }),
    ];
    this.#run();
  }

  /** Power on: once it has a stream, it says HELLO. */
  start(): void {
    if (this.#powered) return;
    this.#powered = true;
    this.#run();
  }

  /** Power off. With `goodbye`, sends BYE first; without, the gateway notices by keepalive. */
  stop(goodbye = false): void {
    this.#powered = false;
    for (const cancel of this.#timers) cancel();
    this.#timers.clear();
    this.#halt(goodbye ? 0 : undefined);
  }

  /** Reboot as firmware does it: BYE(reboot) first, then power-cycle into `version` (HELLO at once). */
  reboot(version = this.#version): void {
    this.#halt(ByeReason.REBOOT);
    this.restart(version);
  }

  /** Power-cycle into a (possibly new) version. */
  restart(version = this.#version): void {
    this.stop();
    this.#version = version;
    this.start();
  }

  /**
   * Sends a reading up (on `channel`, default `data`: CHANNEL_DATA needs the CHANNELS feature
   * agreed); if the HELLO handshake is still under way, waits for it first (up to `waitMs`).
   */
  async sendData(payload: Uint8Array, waitMsOrOptions: number | { readonly waitMs?: number; readonly channel?: string } = 5000): Promise<void> {
    const { waitMs = 5000, channel = 'data' } = typeof waitMsOrOptions === 'number' ? { waitMs: waitMsOrOptions } : waitMsOrOptions;
    if (!this.connected && this.#powered) {
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
    const engine = this.#engine;
    if (!engine) throw new LinkProtocolError('detached', `${this.options.deviceName} is ${this.#powered ? 'not connected to a stream' : 'powered off'}`);
    return engine.sendData(payload, channel);
  }

  /** Asks the gateway for hub time (link feature TIME). */
  requestTime(): Promise<HubTime> {
    const engine = this.#engine;
    if (!engine) return Promise.reject(new LinkProtocolError('detached', `${this.options.deviceName} is not connected`));
    return engine.requestTime();
  }

  /** Reports its shadow state (link feature SHADOW). */
  reportShadow(state: Readonly<Record<string, unknown>> = this.shadowState): Promise<void> {
    const engine = this.#engine;
    if (!engine) return Promise.reject(new LinkProtocolError('detached', `${this.options.deviceName} is not connected`));
    return engine.reportShadow(new TextEncoder().encode(JSON.stringify(state)));
  }

  /** Starts a link-protocol session when powered with an open stream. */
  #run(): void {
    const stream = this.#stream;
    if (!this.#powered || !stream?.isOpen || this.#engine) return;
    const engine: SubdeviceEngine = new SubdeviceEngine(
      {
        // A halted (or crashed) engine must not get another byte out.
        transmit: (bytes) => {
          if (this.#engine === engine) stream.write(bytes);
        },
        connected: () => {
          this.#startSensor();
          this.events.emit('connected', { version: this.#version });
        },
        disconnected: () => {
          this.#stopSensor();
          this.events.emit('disconnected', {});
        },
        data: (payload, channel) => {
          this.received.push(payload);
          this.receivedChannels.push(channel);
          this.events.emit('data', payload);
        },
        firmwareOffer: (offer) => this.#flash.offer(offer),
        firmwareChunk: (offset, bytes) => this.#onChunk(offset, bytes),
        firmwareCommit: (offer) => this.#onCommit(engine, offer),
        firmwareCancelled: (offer) => this.events.emit('cancelled', { version: offer.version }),
        refused: (refusal) => this.events.emit('refused', refusal),
        resultSettled: () => this.#onSettled(),
        ...(this.requestHandler ? { request: (payload: Uint8Array) => this.#onRequest(payload) } : {}),
        ...(this.options.shadow === false ? {} : { shadowDelta: (version: number, document: Uint8Array) => this.#onShadowDelta(version, document) }),
      },
      {
        address: this.options.address ?? 1,
        identity: { productId: this.options.productId, deviceName: this.options.deviceName, firmwareVersion: this.#version },
        framing: this.options.framing,
        scheduler: this.options.scheduler,
        reorderChunks: this.options.reorderChunks,
        revision: this.options.revision,
        reliableData: this.options.reliableData,
        helloRetryMs: this.options.helloRetryMs,
        time: this.options.time ?? true,
        channels: this.announceChannels ?? this.options.channels ?? true,
      },
    );
    this.#engine = engine;
    engine.start();
  }

  /** Ends the session on the current stream (with BYE `bye` when given); the stream stays. */
  #halt(bye?: number): void {
    this.#stopSensor();
    const engine = this.#engine;
    if (!engine) return;
    // BYE still goes out: the engine is current until stop returns.
    engine.stop(bye);
    this.#engine = undefined;
  }

  #onRequest(payload: Uint8Array): Uint8Array | Promise<Uint8Array> {
    this.requests.push(payload);
    this.events.emit('request', { payload });
    const answer = (): Uint8Array => {
      const handler = this.requestHandler;
      if (!handler) throw new Error('no request handler');
      return handler(payload);
    };
    if (this.requestDelayMs <= 0) return answer();
    return new Promise((resolve, reject) =>
      this.#later(this.requestDelayMs, () => {
        try {
          resolve(answer());
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      }),
    );
  }

  /** As the vendor SDK samples do: apply what the delta asks, then report the new state. */
  #onShadowDelta(version: number, document: Uint8Array): void {
    let state: unknown;
    try {
      state = JSON.parse(new TextDecoder().decode(document));
    } catch {
      return; // not JSON: a device would ignore it
    }
    if (typeof state !== 'object' || state === null || Array.isArray(state)) return;
    const delta = state as Record<string, unknown>;
    this.shadowState = { ...this.shadowState, ...delta };
    this.shadowDeltas.push({ version, state: delta });
    this.events.emit('shadowDelta', { version, state: delta });
    this.#engine?.reportShadow(new TextEncoder().encode(JSON.stringify(delta))).catch(() => undefined); // a lost report is repeated by the next delta or get
  }

  #onChunk(offset: number, bytes: Uint8Array): void {
    const fault = this.#flash.write(offset, bytes);
    if (!fault) return;
    this.events.emit('crashed', { offset: fault.offset });
    if (fault.kind === 'crash') {
      // Die after this chunk is in "flash" but before acking it: nothing more is sent.
      this.stop();
      return;
    }
    // The same, but back at once: the gateway hears a HELLO while it still holds the old session.
    this.#halt(fault.goodbye ? ByeReason.REBOOT : undefined);
    this.#later(0, () => this.restart());
  }

  #onCommit(engine: SubdeviceEngine, offer: FirmwareOffer): void {
    const applyMs = this.options.applyMs ?? 300;
    const steps = 3;
    for (let i = 1; i <= steps; i++) {
      this.#later((applyMs * i) / (steps + 1), () => engine.reportApplying((100 * i) / (steps + 1)));
    }
    this.#later(applyMs, () => {
      const outcome = this.#flash.apply(offer);
      engine.reportResult(outcome);
      this.events.emit('applied', { version: offer.version, ok: outcome.ok });
      if (!outcome.ok) return;
      this.#version = offer.version;
      if (this.options.rebootAfterApplyMs !== undefined) this.#rebootInto = offer.version;
    });
  }

  /** The gateway has the verdict (FW_RESULT_ACK, or it stopped asking): a real device reboots now. */
  #onSettled(): void {
    const version = this.#rebootInto;
    this.#rebootInto = undefined;
    if (version !== undefined) this.#later(this.options.rebootAfterApplyMs ?? 0, () => this.restart(version));
  }

  #later(ms: number, fn: () => void): void {
    const cancel = this.#setTimer(ms, () => {
      this.#timers.delete(cancel);
      fn();
    });
    this.#timers.add(cancel);
  }

  #setTimer(ms: number, fn: () => void): () => void {
    const scheduler = this.options.scheduler;
    if (scheduler) return scheduler.setTimer(ms, fn);
    const handle = setTimeout(fn, ms);
    return () => clearTimeout(handle);
  }

  #startSensor(): void {
    const every = this.options.sensorIntervalMs ?? 0;
    if (every <= 0 || this.#sensorTimer) return;
    const fire = (): void => {
      this.#sensorTimer = this.#setTimer(every, () => {
        const n = ++this.#sensorCount;
        const payload = this.options.sensorPayload?.(n) ?? new TextEncoder().encode(JSON.stringify({ seq: n, temperature: 20 + (n % 10) / 10 }));
        this.#engine?.sendData(payload).catch(() => undefined); // a lost reading is replaced by the next one
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
