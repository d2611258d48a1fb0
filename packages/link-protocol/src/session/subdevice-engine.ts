import { FrameDecoder } from '../frame-decoder.js';
import { DEFAULT_MAX_FRAME_SIZE, type FramingOptions } from '../frame.js';
import { Capability, LINK_PROTOCOL_REVISION, type Message } from '../messages.js';
import { encodePacket, packetOf } from '../packet.js';
import type { FirmwareOutcome } from './firmware-sender.js';
import { FirmwareReceiver, type FirmwareReceiverHooks } from './firmware-receiver.js';
import { LinkProtocolError } from './link-protocol.error.js';
import { dataWindowOf, ReliableSender } from './reliable-sender.js';
import { SeqHistory } from './seq-history.js';
import { DEFAULT_CHANNEL, Feature, isFeatureMessage, type FeatureMessage } from '../feature-messages.js';
import { SubdeviceFeatures, type HubTime, type RequestHandler } from './subdevice-features.js';
import { realScheduler, setTick, type Scheduler } from './scheduler.js';

export interface SubdeviceIdentity {
  readonly productId: string;
  readonly deviceName: string;
  readonly firmwareVersion: string;
}

export interface SubdeviceEngineOptions {
  /** 1..254, unique on the bus. */
  readonly address: number;
  readonly identity: SubdeviceIdentity;
  readonly scheduler?: Scheduler;
  readonly framing?: FramingOptions;
  /** Resend HELLO this often until HELLO_ACK. Default 500 ms. */
  readonly helloRetryMs?: number;
  /** Say HELLO again after this many keepalive intervals without hearing the gateway. Default 3. */
  readonly keepaliveMissLimit?: number;
  /** First retransmission after this long; each next one waits twice as long, up to 8× (§7). Default 300 ms. */
  readonly ackTimeoutMs?: number;
  readonly maxAttempts?: number;
  /** DATA frames unacknowledged at once (1 = stop-and-wait); more wait their turn. Default 32, at most 64. */
  readonly dataWindow?: number;
  readonly tickMs?: number;
  /**
   * FW_CHUNKs kept when they arrive after a gap (0 = none, plain go-back-N). Default 8. Announced
   * as HELLO capability REORDER_BUFFER so the gateway resends only what is missing.
   */
  readonly reorderChunks?: number;
  /**
   * Acknowledge DATA and expect acknowledgements (HELLO capability RELIABLE_DATA). Default true.
   * Without it DATA is sent once each way and nobody acknowledges it.
   */
  readonly reliableData?: boolean;
  /** The protocol revision to speak: 1 plays a subdevice built against the first spec. Default the latest. */
  readonly revision?: number;
  /** How long to hold a verdict without FW_RESULT_ACK before it counts as delivered. Default 3000 ms. */
  readonly resultHoldMs?: number;
  /** Announce the TIME feature (the application will call `requestTime`). Default false. */
  readonly time?: boolean;
  /** Announce the CHANNELS feature: data may name its channel both ways. Default false. */
  readonly channels?: boolean;
}

/** What HELLO_REFUSED said (revision 2). */
export interface Refusal {
  readonly reason: number;
  readonly message: string;
  readonly retryAfterMs: number;
}

export interface SubdeviceEngineHooks extends FirmwareReceiverHooks {
  transmit(bytes: Uint8Array): void;
  connected?(): void;
  disconnected?(): void;
  /** Downlink data; `channel` is `data` for DATA, the named one for CHANNEL_DATA (feature CHANNELS). */
  data?(payload: Uint8Array, channel: string): void;
  /** The gateway will not serve this subdevice; it says HELLO again after `retryAfterMs`. */
  refused?(refusal: Refusal): void;
  /** Answers the gateway's REQUESTs (feature REQUESTS, announced when set). */
  request?: RequestHandler;
  /** A shadow delta: the JSON bytes of the desired changes, and the shadow version (feature SHADOW, announced when set). */
  shadowDelta?(version: number, document: Uint8Array): void;
}

export type SubdeviceEngineState = 'idle' | 'connecting' | 'refused' | 'connected';

/** Subdevice side of the link protocol: what an MCU runs, and what the simulator uses. */
export class SubdeviceEngine {
  readonly decoder: FrameDecoder;
  #state: SubdeviceEngineState = 'idle';
  #identity: SubdeviceIdentity;
  #txSeq = 0;
  #dataSeen = new SeqHistory();
  #keepaliveIntervalMs = 1000;
  #lastHeard = 0;
  #nextHelloAt = 0;
  #nextKeepaliveAt = 0;
  #cancelTick: (() => void) | undefined;
  /** Counts HELLO_ACKs: which gateway session we are in. */
  #session = 0;
  /** Revision agreed in the last HELLO_ACK. */
  #agreedRevision = 1;
  /** Features agreed in the last HELLO_ACK. */
  #agreedFeatures = 0;
  readonly #features: SubdeviceFeatures;
  readonly #revision: number;
  readonly #reliable: boolean;
  readonly #firmware: FirmwareReceiver;
  readonly #sender: ReliableSender;
  readonly #scheduler: Scheduler;
  readonly #framing: FramingOptions;

  constructor(
    private readonly hooks: SubdeviceEngineHooks,
    private readonly options: SubdeviceEngineOptions,
  ) {
    this.#identity = options.identity;
    this.#scheduler = options.scheduler ?? realScheduler;
    this.#framing = options.framing ?? {};
    this.#revision = Math.max(1, Math.min(options.revision ?? LINK_PROTOCOL_REVISION, LINK_PROTOCOL_REVISION));
    this.#reliable = options.reliableData ?? true;
    this.decoder = new FrameDecoder(this.#framing);
    this.#sender = new ReliableSender(options.ackTimeoutMs ?? 300, options.maxAttempts ?? 5, (w) => this.hooks.transmit(w), dataWindowOf(options.dataWindow));
    this.#firmware = new FirmwareReceiver(hooks, (m) => this.#send(m), () => this.#scheduler.now(), {
      reorderChunks: this.#reorderChunks,
      resultHoldMs: options.resultHoldMs ?? 3000,
      // A revision-2 subdevice talking to a revision-1 gateway behaves as revision 1 (no -101 answers).
      revision: () => this.#agreedRevision,
    });
    this.#features = new SubdeviceFeatures(
      hooks.request,
      (m) => {
        const seq = this.#nextSeq();
        const wire = this.#encode(seq, m);
        this.hooks.transmit(wire);
        return { seq, wire };
      },
      (wire) => this.hooks.transmit(wire),
      () => this.#scheduler.now(),
      () => this.#agreedFeatures,
    );
  }

  /** Feature bits this subdevice announces in HELLO (revision 2 and later only). */
  get #announcedFeatures(): number {
    if (this.#revision < 2) return 0;
    return (this.options.channels ? Feature.CHANNELS : 0) | (this.hooks.request ? Feature.REQUESTS : 0) | (this.hooks.shadowDelta ? Feature.SHADOW : 0) | (this.options.time ? Feature.TIME : 0);
  }

  /** The features agreed with the gateway in the current session (0 before any). */
  get agreedFeatures(): number {
    return this.#agreedFeatures;
  }

  get #reorderChunks(): number {
    return this.options.reorderChunks ?? 8;
  }

  get state(): SubdeviceEngineState {
    return this.#state;
  }

  get identity(): SubdeviceIdentity {
    return this.#identity;
  }

  /** The revision agreed with the gateway in the current session (1 before any). */
  get agreedRevision(): number {
    return this.#agreedRevision;
  }

  /** Starts saying HELLO. */
  start(): void {
    if (this.#state !== 'idle') return;
    this.#state = 'connecting';
    this.#nextHelloAt = this.#scheduler.now();
    this.tick();
    this.#arm();
  }

  /** Goes silent; with `bye`, tells the gateway first. */
  stop(bye?: number): void {
    if (this.#state === 'idle') return;
    if (bye !== undefined && this.#state === 'connected') this.#send({ type: 'bye', reason: bye });
    const wasConnected = this.#state === 'connected';
    this.#state = 'idle';
    this.#cancelTick?.();
    this.#cancelTick = undefined;
    this.#sender.failAll(new LinkProtocolError('stopped', 'subdevice stopped'));
    this.#features.reset(new LinkProtocolError('stopped', 'subdevice stopped'));
    if (wasConnected) this.hooks.disconnected?.();
  }

  /** A new identity (after an update, say): announce it with a fresh HELLO. */
  rehello(identity: SubdeviceIdentity = this.#identity): void {
    this.#identity = identity;
    if (this.#state === 'idle') return;
    this.#toConnecting();
  }

  feed(bytes: Uint8Array): void {
    for (const frame of this.decoder.push(bytes)) {
      const packet = packetOf(frame, { revision: this.#revision });
      if (!packet || packet.direction !== 'to_subdevice' || packet.address !== this.options.address) continue;
      this.#receive(packet.seq, packet.message);
    }
  }

  /**
   * Resolves on DATA_ACK; without RELIABLE_DATA, once the frame is handed to the link. A channel
   * other than `data` goes as CHANNEL_DATA, only when the gateway agreed to CHANNELS.
   */
  sendData(payload: Uint8Array, channel = DEFAULT_CHANNEL): Promise<void> {
    if (this.#state !== 'connected') return Promise.reject(new LinkProtocolError('detached', 'not connected to a gateway'));
    if (channel === DEFAULT_CHANNEL) return this.#sendReliably({ type: 'data', payload });
    if ((this.#agreedFeatures & Feature.CHANNELS) === 0) return Promise.reject(new LinkProtocolError('unsupported', 'the gateway did not agree to the CHANNELS feature'));
    return this.#sendReliably({ type: 'channel_data', channel, payload });
  }

  #sendReliably(message: Message): Promise<void> {
    const seq = this.#nextSeq();
    const wire = this.#encode(seq, message);
    if (!this.#reliable) {
      this.hooks.transmit(wire);
      return Promise.resolve();
    }
    return this.#sender.send(seq, wire, this.#scheduler.now());
  }

  /** Reports shadow state (feature SHADOW): the JSON bytes of `reported`. Resolves like `sendData`. */
  reportShadow(document: Uint8Array): Promise<void> {
    if (this.#state !== 'connected') return Promise.reject(new LinkProtocolError('detached', 'not connected to a gateway'));
    if ((this.#agreedFeatures & Feature.SHADOW) === 0) return Promise.reject(new LinkProtocolError('unsupported', 'the gateway did not agree to the SHADOW feature'));
    return this.#sendReliably({ type: 'shadow_report', document });
  }

  /** Asks the gateway for hub time (feature TIME): resends up to 3 times, 500 ms apart. */
  requestTime(): Promise<HubTime> {
    if (this.#state !== 'connected') return Promise.reject(new LinkProtocolError('detached', 'not connected to a gateway'));
    return this.#features.requestTime();
  }

  reportApplying(percent: number): void {
    this.#firmware.reportApplying(percent);
  }

  /**
   * The verdict of the apply. A success means the subdevice now runs `result.version`: every later
   * HELLO carries it. When the gateway session changed since the offer (the gateway restarted or
   * the link was lost while applying), the gateway now listening never offered this image and
   * ignores FW_RESULT, so the subdevice says HELLO again: the gateway then sees the version it
   * actually runs instead of the one it announced before the apply finished.
   */
  reportResult(result: FirmwareOutcome): void {
    if (result.ok && result.version !== this.#identity.firmwareVersion) {
      this.#identity = { ...this.#identity, firmwareVersion: result.version };
    }
    this.#firmware.reportResult(result);
    if (this.#state === 'connected' && this.#firmware.offerSession !== this.#session) this.#toConnecting();
  }

  tick(): void {
    const now = this.#scheduler.now();
    this.#firmware.tick();
    if (this.#state === 'refused' && now >= this.#nextHelloAt) this.#state = 'connecting';
    if (this.#state === 'connecting' && now >= this.#nextHelloAt) {
      this.#nextHelloAt = now + (this.options.helloRetryMs ?? 500);
      this.#send({
        type: 'hello',
        productId: this.#identity.productId,
        deviceName: this.#identity.deviceName,
        firmwareVersion: this.#identity.firmwareVersion,
        maxFrameSize: this.#framing.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE,
        capabilities:
          (this.hooks.firmwareOffer ? Capability.FIRMWARE : 0) |
          (this.#reliable ? Capability.RELIABLE_DATA : 0) |
          (this.#reorderChunks > 0 ? Capability.REORDER_BUFFER : 0),
        revision: this.#revision,
        features: this.#announcedFeatures,
      });
    } else if (this.#state === 'connected') {
      if (now - this.#lastHeard > this.#keepaliveIntervalMs * (this.options.keepaliveMissLimit ?? 3)) {
        this.#toConnecting();
        return;
      }
      if (now >= this.#nextKeepaliveAt) {
        this.#nextKeepaliveAt = now + this.#keepaliveIntervalMs;
        this.#send({ type: 'keepalive' });
      }
      this.#sender.tick(now);
      this.#features.tick();
    }
  }

  #toConnecting(): void {
    const was = this.#state;
    this.#state = 'connecting';
    this.#nextHelloAt = this.#scheduler.now();
    this.#sender.failAll(new LinkProtocolError('detached', 'gateway session lost'));
    this.#features.reset(new LinkProtocolError('detached', 'gateway session lost'));
    if (was === 'connected') this.hooks.disconnected?.();
    this.tick();
  }

  #arm(): void {
    this.#cancelTick = setTick(this.#scheduler, this.options.tickMs ?? 25, (stalledMs) => {
      if (this.#state === 'idle') return;
      // Our own stall is not the gateway's silence (see setTick).
      this.#lastHeard += stalledMs;
      this.tick();
      this.#arm();
    });
  }

  #receive(seq: number, m: Message): void {
    if (this.#state === 'idle') return;
    const now = this.#scheduler.now();
    if (m.type === 'hello_ack') {
      this.#lastHeard = now;
      if (this.#state === 'connecting') {
        this.#state = 'connected';
        this.#session++;
        this.#agreedRevision = Math.min(this.#revision, m.revision);
        this.#agreedFeatures = this.#agreedRevision >= 2 ? m.features & this.#announcedFeatures : 0;
        this.#features.reset(new LinkProtocolError('detached', 'new gateway session'));
        this.#keepaliveIntervalMs = Math.max(50, m.keepaliveIntervalMs);
        this.#nextKeepaliveAt = now + this.#keepaliveIntervalMs;
        this.#dataSeen = new SeqHistory();
        this.hooks.connected?.();
      }
      return;
    }
    if (m.type === 'hello_refused') {
      // Only an answer to our HELLO counts; a late one after HELLO_ACK is stale.
      if (this.#state !== 'connecting') return;
      this.#state = 'refused';
      this.#nextHelloAt = now + m.retryAfterMs;
      this.hooks.refused?.({ reason: m.reason, message: m.message, retryAfterMs: m.retryAfterMs });
      return;
    }
    if (this.#state !== 'connected') return;
    this.#lastHeard = now;
    if (isFeatureMessage(m)) {
      this.#feature(seq, m);
      return;
    }
    switch (m.type) {
      case 'keepalive_ack':
        return;
      case 'bye':
        // Any BYE from the gateway (shutdown, reboot, unknown session): say HELLO again.
        this.#toConnecting();
        return;
      case 'data':
        this.#data(seq, m.payload, DEFAULT_CHANNEL);
        return;
      case 'data_ack':
        this.#sender.ack(seq, this.#scheduler.now());
        return;
      default:
        this.#firmware.receive(m, this.#session);
        return;
    }
  }

  /** Feature messages: only those of an agreed feature count (§4.1); others are dropped. */
  #feature(seq: number, m: FeatureMessage): void {
    if (m.type === 'channel_data') {
      if ((this.#agreedFeatures & Feature.CHANNELS) !== 0) this.#data(seq, m.payload, m.channel);
      return;
    }
    if (m.type === 'shadow_delta') {
      if ((this.#agreedFeatures & Feature.SHADOW) === 0) return;
      if (this.#reliable) this.#reply(seq, { type: 'data_ack' });
      if (this.#dataSeen.seenBefore(seq)) return;
      this.hooks.shadowDelta?.(m.version, m.document);
      return;
    }
    if (m.type === 'request' && (this.#agreedFeatures & Feature.REQUESTS) === 0) return;
    if (m.type === 'time_response' && (this.#agreedFeatures & Feature.TIME) === 0) return;
    if (m.type === 'request' || m.type === 'time_response') this.#features.receive(m, seq);
  }

  /** DATA and CHANNEL_DATA share the seq history: acknowledged each time, delivered once. */
  #data(seq: number, payload: Uint8Array, channel: string): void {
    if (this.#reliable) this.#reply(seq, { type: 'data_ack' });
    if (this.#dataSeen.seenBefore(seq)) return;
    this.hooks.data?.(payload, channel);
  }

  #nextSeq(): number {
    this.#txSeq = (this.#txSeq + 1) & 0xffff;
    return this.#txSeq;
  }

  #send(m: Message): void {
    this.hooks.transmit(this.#encode(this.#nextSeq(), m));
  }

  #reply(seq: number, m: Message): void {
    this.hooks.transmit(this.#encode(seq, m));
  }

  #encode(seq: number, m: Message): Uint8Array {
    return encodePacket({ address: this.options.address, direction: 'from_subdevice', seq, message: m }, this.#framing);
  }
}
