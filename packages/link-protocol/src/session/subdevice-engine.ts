import { FrameDecoder } from '../frame-decoder.js';
import { DEFAULT_MAX_FRAME_SIZE, type FramingOptions } from '../frame.js';
import { ByeReason, Capability, FirmwareResultCode, type Message } from '../messages.js';
import { encodePacket, packetOf } from '../packet.js';
import type { FirmwareOutcome } from './firmware-sender.js';
import { LinkProtocolError } from './link-protocol.error.js';
import { ReliableSender } from './reliable-sender.js';
import { SeqHistory } from './seq-history.js';
import { realScheduler, type Scheduler } from './scheduler.js';

export interface SubdeviceIdentity {
  readonly productId: string;
  readonly deviceName: string;
  readonly firmwareVersion: string;
}

export interface FirmwareOffer {
  readonly version: string;
  readonly size: number;
  readonly md5: Uint8Array;
  readonly chunkSize: number;
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
  readonly ackTimeoutMs?: number;
  readonly maxAttempts?: number;
  readonly tickMs?: number;
  /**
   * FW_CHUNKs kept when they arrive after a gap (0 = none, plain go-back-N). Default 8. Announced
   * as HELLO capability REORDER_BUFFER so the gateway resends only what is missing.
   */
  readonly reorderChunks?: number;
}

export interface SubdeviceEngineHooks {
  transmit(bytes: Uint8Array): void;
  connected?(): void;
  disconnected?(): void;
  data?(payload: Uint8Array): void;
  /**
   * A firmware offer: return how many bytes of this very image are already held (0 for a fresh
   * start) to accept, or a refusal. Called again for a repeated offer.
   */
  firmwareOffer?(offer: FirmwareOffer): number | { readonly code: number; readonly message: string };
  /** In-order bytes of the offered image. */
  firmwareChunk?(offset: number, bytes: Uint8Array): void;
  /** Every byte arrived: start applying, then call `reportApplying`/`reportResult`. */
  firmwareCommit?(offer: FirmwareOffer): void;
}

export type SubdeviceEngineState = 'idle' | 'connecting' | 'connected';

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
  #offer: FirmwareOffer | undefined;
  #received = 0;
  readonly #early = new Map<number, Uint8Array>();
  #applying: number | undefined;
  #result: FirmwareOutcome | undefined;
  /** Counts HELLO_ACKs: which gateway session we are in. */
  #session = 0;
  /** The session the current image was offered in: only that gateway can read its FW_RESULT. */
  #offerSession = 0;
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
    this.decoder = new FrameDecoder(this.#framing);
    this.#sender = new ReliableSender(options.ackTimeoutMs ?? 300, options.maxAttempts ?? 5, (w) => this.hooks.transmit(w));
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
      const packet = packetOf(frame);
      if (!packet || packet.direction !== 'to_subdevice' || packet.address !== this.options.address) continue;
      this.#receive(packet.seq, packet.message);
    }
  }

  sendData(payload: Uint8Array): Promise<void> {
    if (this.#state !== 'connected') return Promise.reject(new LinkProtocolError('detached', 'not connected to a gateway'));
    const seq = this.#nextSeq();
    return this.#sender.send(seq, this.#encode(seq, { type: 'data', payload }), this.#scheduler.now());
  }

  reportApplying(percent: number): void {
    this.#applying = Math.max(0, Math.min(100, Math.round(percent)));
    this.#send({ type: 'fw_applying', percent: this.#applying });
  }

  /**
   * The verdict of the apply. A success means the subdevice now runs `result.version`: every later
   * HELLO carries it. When the gateway session changed since the offer (the gateway restarted or
   * the link was lost while applying), the gateway now listening never offered this image and
   * ignores FW_RESULT, so the subdevice says HELLO again: the gateway then sees the version it
   * actually runs instead of the one it announced before the apply finished.
   */
  reportResult(result: FirmwareOutcome): void {
    this.#applying = undefined;
    this.#result = result;
    this.#offer = undefined;
    this.#received = 0;
    this.#early.clear();
    if (result.ok && result.version !== this.#identity.firmwareVersion) {
      this.#identity = { ...this.#identity, firmwareVersion: result.version };
    }
    this.#sendResult();
    if (this.#state === 'connected' && this.#offerSession !== this.#session) this.#toConnecting();
  }

  tick(): void {
    const now = this.#scheduler.now();
    if (this.#state === 'connecting' && now >= this.#nextHelloAt) {
      this.#nextHelloAt = now + (this.options.helloRetryMs ?? 500);
      this.#send({
        type: 'hello',
        productId: this.#identity.productId,
        deviceName: this.#identity.deviceName,
        firmwareVersion: this.#identity.firmwareVersion,
        maxFrameSize: this.#framing.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE,
        capabilities: Capability.FIRMWARE | Capability.RELIABLE_DATA | (this.#reorderChunks > 0 ? Capability.REORDER_BUFFER : 0),
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
    }
  }

  #toConnecting(): void {
    const was = this.#state;
    this.#state = 'connecting';
    this.#nextHelloAt = this.#scheduler.now();
    this.#sender.failAll(new LinkProtocolError('detached', 'gateway session lost'));
    if (was === 'connected') this.hooks.disconnected?.();
    this.tick();
  }

  #arm(): void {
    this.#cancelTick = this.#scheduler.setTimer(this.options.tickMs ?? 25, () => {
      if (this.#state === 'idle') return;
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
        this.#keepaliveIntervalMs = Math.max(50, m.keepaliveIntervalMs);
        this.#nextKeepaliveAt = now + this.#keepaliveIntervalMs;
        this.#dataSeen = new SeqHistory();
        this.hooks.connected?.();
      }
      return;
    }
    if (this.#state !== 'connected') return;
    this.#lastHeard = now;
    switch (m.type) {
      case 'keepalive_ack':
        return;
      case 'bye':
        if (m.reason === ByeReason.UNKNOWN_SESSION || m.reason === ByeReason.SHUTDOWN || m.reason === ByeReason.REBOOT) this.#toConnecting();
        return;
      case 'data':
        this.#reply(seq, { type: 'data_ack' });
        if (this.#dataSeen.seenBefore(seq)) return;
        this.hooks.data?.(m.payload);
        return;
      case 'data_ack':
        this.#sender.ack(seq);
        return;
      case 'fw_offer':
        this.#onOffer(m);
        return;
      case 'fw_chunk':
        if (!this.#offer || this.#applying !== undefined) return;
        if (m.offset === this.#received && m.bytes.length > 0 && this.#received + m.bytes.length <= this.#offer.size) {
          this.#accept(m.bytes);
          // Drain chunks that arrived early and now follow on.
          for (let next = this.#early.get(this.#received); next && this.#offer; next = this.#early.get(this.#received)) {
            this.#early.delete(this.#received);
            this.#accept(next);
          }
        } else if (
          m.offset > this.#received &&
          this.#early.size < this.#reorderChunks &&
          m.offset + m.bytes.length <= this.#offer.size &&
          m.offset - this.#received <= this.#reorderChunks * Math.max(1, this.#offer.chunkSize)
        ) {
          this.#early.set(m.offset, m.bytes);
        }
        // Cumulative: a chunk out of order repeats the last good offset (a duplicate ack), with a
        // bitmap of the chunks held beyond it.
        this.#send({ type: 'fw_ack', offset: this.#received, sack: this.#sackBits() });
        return;
      case 'fw_commit':
        this.#onCommit();
        return;
      default:
        return;
    }
  }

  #sackBits(): number {
    const size = Math.max(1, this.#offer?.chunkSize ?? 1);
    let bits = 0;
    for (const key of this.#early.keys()) {
      const i = (key - this.#received) / size - 1;
      if (Number.isInteger(i) && i >= 0 && i < 32) bits |= 1 << i;
    }
    return bits >>> 0;
  }

  #accept(bytes: Uint8Array): void {
    this.hooks.firmwareChunk?.(this.#received, bytes);
    this.#received += bytes.length;
    for (const key of this.#early.keys()) if (key < this.#received) this.#early.delete(key);
  }

  #onOffer(m: FirmwareOffer): void {
    this.#early.clear();
    if (this.#applying !== undefined) {
      this.#send({ type: 'fw_result', ok: false, code: FirmwareResultCode.REFUSED, message: 'busy applying an image' });
      return;
    }
    const answer = this.hooks.firmwareOffer ? this.hooks.firmwareOffer(m) : { code: FirmwareResultCode.REFUSED, message: 'firmware updates not supported' };
    if (typeof answer !== 'number') {
      this.#send({ type: 'fw_result', ok: false, code: answer.code, message: answer.message });
      return;
    }
    this.#offer = { version: m.version, size: m.size, md5: m.md5, chunkSize: m.chunkSize };
    this.#offerSession = this.#session;
    this.#received = Math.max(0, Math.min(answer, m.size));
    this.#result = undefined;
    this.#send({ type: 'fw_accept', resumeOffset: this.#received });
  }

  #onCommit(): void {
    if (this.#result) {
      this.#sendResult();
      return;
    }
    if (this.#applying !== undefined) {
      this.#send({ type: 'fw_applying', percent: this.#applying });
      return;
    }
    if (!this.#offer) return;
    if (this.#received < this.#offer.size) {
      this.#send({ type: 'fw_ack', offset: this.#received });
      return;
    }
    this.#applying = 0;
    this.#send({ type: 'fw_applying', percent: 0 });
    this.hooks.firmwareCommit?.(this.#offer);
  }

  #sendResult(): void {
    const r = this.#result;
    if (!r) return;
    this.#send(r.ok ? { type: 'fw_result', ok: true, version: r.version } : { type: 'fw_result', ok: false, code: r.code, message: r.message });
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
