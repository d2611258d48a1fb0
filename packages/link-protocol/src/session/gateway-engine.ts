export type { GatewayEngineHooks, GatewayEngineOptions } from './gateway-engine.options.js';
import { FrameDecoder } from '../frame-decoder.js';
import { DEFAULT_MAX_FRAME_SIZE, HEADER_SIZE, crcSize, type FramingOptions } from '../frame.js';
import { ByeReason, CancelReason, Capability, LINK_PROTOCOL_REVISION, type Message } from '../messages.js';
import { DEFAULT_CHANNEL, Feature, featureName, featureOf, IMPLEMENTED_FEATURES, isFeatureMessage, type FeatureMessage } from '../feature-messages.js';
import { encodePacket, packetOf } from '../packet.js';
import { FirmwareSender, type FirmwareOutcome, type FirmwareProgress, type FirmwareSource } from './firmware-sender.js';
import { LinkProtocolError } from './link-protocol.error.js';
import { ReliableSender } from './reliable-sender.js';
import { DataReceiver } from './data-receiver.js';
import { newPeerState, reliable, sameSession, type PeerState } from './gateway-peer.js';
import { realScheduler, setTick, type Scheduler } from './scheduler.js';
import type { GatewayEngineHooks, GatewayEngineOptions } from './gateway-engine.options.js';
import { RequestTracker, type RequestOutcome } from './request-tracker.js';
import type { PeerDetachReason, PeerInfo } from './peer-info.js';
import { truncateUtf8 } from '../bytes.js';

const CANCEL_ATTEMPTS = 3;
const DEFAULT_RETRY_AFTER_MS = 60_000;

/**
 * Gateway side of the link protocol for one byte stream (a serial port with one or many
 * subdevices). Sans-I/O: bytes go in through `feed`, out through `hooks.transmit`; time comes from
 * the injected scheduler.
 */
export class GatewayEngine {
  readonly decoder: FrameDecoder;
  readonly #peers = new Map<number, PeerState>();
  readonly #scheduler: Scheduler;
  readonly #framing: FramingOptions;
  readonly #keepaliveIntervalMs: number;
  readonly #keepaliveTimeoutMs: number;
  readonly #ackTimeoutMs: number;
  readonly #maxAttempts: number;
  readonly #tickMs: number;
  readonly #maxFrameSize: number;
  readonly #revision: number;
  readonly #controlRetryMs: number;
  readonly #features: number;
  readonly #requests: RequestTracker;
  #cancelTick: (() => void) | undefined;
  #running = false;

  constructor(
    private readonly hooks: GatewayEngineHooks,
    private readonly options: GatewayEngineOptions = {},
  ) {
    this.#scheduler = options.scheduler ?? realScheduler;
    this.#framing = options.framing ?? {};
    this.#maxFrameSize = this.#framing.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    this.decoder = new FrameDecoder(this.#framing);
    this.#keepaliveIntervalMs = options.keepaliveIntervalMs ?? 1000;
    this.#keepaliveTimeoutMs = options.keepaliveTimeoutMs ?? 3500;
    this.#ackTimeoutMs = options.ackTimeoutMs ?? 300;
    this.#maxAttempts = options.maxAttempts ?? 5;
    this.#tickMs = options.tickMs ?? 25;
    this.#revision = Math.max(1, Math.min(options.revision ?? LINK_PROTOCOL_REVISION, LINK_PROTOCOL_REVISION));
    this.#controlRetryMs = options.firmware?.controlRetryMs ?? 1000;
    this.#features = (options.features ?? IMPLEMENTED_FEATURES) & IMPLEMENTED_FEATURES;
    this.#requests = new RequestTracker(options.requestRetryMs ?? 500, (wire) => this.hooks.transmit(wire));
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#arm();
  }

  /** Says BYE(shutdown) to everyone (they say HELLO again at once), detaches them ('stopped') and stops the timers. */
  stop(): void {
    this.#running = false;
    this.#cancelTick?.();
    this.#cancelTick = undefined;
    for (const address of [...this.#peers.keys()]) {
      this.#sendControl(address, { type: 'bye', reason: ByeReason.SHUTDOWN });
      this.#detach(address, 'stopped');
    }
  }

  /** Ends every session at once (the port vanished): in-flight operations reject as detached. */
  detachAll(reason: PeerDetachReason): void {
    for (const address of [...this.#peers.keys()]) this.#detach(address, reason);
  }

  /** Ends one peer's session (another stream now carries the same subdevice, say). */
  detach(address: number, reason: PeerDetachReason): void {
    this.#detach(address, reason);
  }

  /**
   * Abandons a running firmware transfer: the delivery rejects ('stopped') at once, and a
   * revision-2 subdevice is told with FW_CANCEL (repeated until it answers). The subdevice keeps
   * what it acknowledged, so a later offer of the same image resumes.
   */
  cancelFirmware(address: number, message = 'cancelled', reason: number = CancelReason.UNSPECIFIED): void {
    const peer = this.#peers.get(address);
    const sender = peer?.firmware;
    if (!peer || !sender || sender.finished) return;
    sender.fail(new LinkProtocolError('stopped', message));
    if (peer.info.revision < 2) return;
    peer.cancel = { reason, attempts: 1, deadline: this.#scheduler.now() + this.#controlRetryMs };
    this.#sendControl(address, { type: 'fw_cancel', reason });
  }

  /** Forget a partial frame (the port was reopened). Attached peers stay until their keepalive lapses. */
  resetStream(): void { this.decoder.reset(); }

  peers(): PeerInfo[] {
    return [...this.#peers.values()].map((p) => p.info);
  }

  peer(address: number): PeerInfo | undefined {
    return this.#peers.get(address)?.info;
  }

  feed(bytes: Uint8Array): void {
    for (const frame of this.decoder.push(bytes)) {
      const packet = packetOf(frame);
      if (!packet || packet.direction !== 'from_subdevice') continue;
      this.#receive(packet.address, packet.seq, packet.message);
    }
  }

  /**
   * Resolves when the subdevice acknowledged the DATA frame, or, for a subdevice without
   * RELIABLE_DATA, once the frame was handed to the link (sent once, no acknowledgement expected).
   * A channel other than `data` goes as CHANNEL_DATA, only to a subdevice that agreed to CHANNELS
   * (others: rejects 'unsupported' at once, nothing sent).
   */
  sendData(address: number, payload: Uint8Array, channel: string = DEFAULT_CHANNEL): Promise<void> {
    if (channel === DEFAULT_CHANNEL) return this.#withPeer(address, 0, '', (peer) => this.#sendReliably(peer, address, { type: 'data', payload }));
    return this.#withPeer(address, Feature.CHANNELS, `data on channel "${channel}"`, (peer) => this.#sendReliably(peer, address, { type: 'channel_data', channel, payload }));
  }

  /** Runs `use` with the attached peer; rejects 'detached' without one, 'unsupported' when it did not agree to `feature`. */
  #withPeer<T>(address: number, feature: number, what: string, use: (peer: PeerState) => Promise<T>): Promise<T> {
    const peer = this.#peers.get(address);
    if (!peer) return Promise.reject(new LinkProtocolError('detached', `no subdevice attached at address ${address}`));
    if ((peer.info.features & feature) === feature) return use(peer);
    return Promise.reject(new LinkProtocolError('unsupported', `the subdevice at address ${address} takes no ${what} (no ${featureName(feature)} feature in its HELLO)`));
  }

  #sendReliably(peer: PeerState, address: number, message: Message): Promise<void> {
    const seq = this.#nextSeq(peer);
    const wire = this.#encode(address, seq, message);
    if (!reliable(peer.info)) {
      this.hooks.transmit(wire);
      return Promise.resolve();
    }
    return peer.sender.send(seq, wire, this.#scheduler.now());
  }

  /** Largest DATA payload a peer accepts. */
  maxPayload(address: number): number {
    const peer = this.#peers.get(address);
    const frame = Math.min(peer?.info.maxFrameSize ?? this.#maxFrameSize, this.#maxFrameSize);
    return frame - HEADER_SIZE - crcSize(this.#framing.crc ?? 'crc32c');
  }

  /**
   * Asks the subdevice (feature REQUESTS) and resolves with its RESPONSE; rejects 'timeout' when
   * none came within `timeoutMs` (1..65535), 'unsupported' at once for a subdevice that did not
   * announce REQUESTS (revision 1, or an application without a request handler).
   */
  request(address: number, payload: Uint8Array, timeoutMs: number): Promise<RequestOutcome> {
    return this.#withPeer(address, Feature.REQUESTS, 'requests', (peer) => {
      const deadline = Math.max(1, Math.min(0xffff, Math.floor(timeoutMs)));
      const requestId = this.#requests.nextId(address);
      const wire = this.#encode(address, this.#nextSeq(peer), { type: 'request', requestId, timeoutMs: deadline, payload });
      return this.#requests.open(address, requestId, wire, this.#scheduler.now(), deadline);
    });
  }

  /**
   * Hands a shadow delta (feature SHADOW) to the subdevice: the JSON bytes of the delta's `state`
   * and the shadow version. Acknowledged like DATA (DATA_ACK echo) by RELIABLE_DATA subdevices.
   */
  sendShadowDelta(address: number, version: number, document: Uint8Array): Promise<void> {
    return this.#withPeer(address, Feature.SHADOW, 'shadow deltas', (peer) => this.#sendReliably(peer, address, { type: 'shadow_delta', version: version >>> 0, document }));
  }

  deliverFirmware(address: number, source: FirmwareSource, onProgress?: (p: FirmwareProgress) => void): Promise<FirmwareOutcome> {
    const peer = this.#peers.get(address);
    if (!peer) return Promise.reject(new LinkProtocolError('detached', `no subdevice attached at address ${address}`));
    if (peer.firmware && !peer.firmware.finished) {
      return Promise.reject(new LinkProtocolError('busy', `a firmware transfer to address ${address} is already running`));
    }
    if ((peer.info.capabilities & Capability.FIRMWARE) === 0) {
      return Promise.reject(new LinkProtocolError('unsupported', `the subdevice at address ${address} takes no firmware (no FIRMWARE capability in its HELLO)`));
    }
    // A new offer replaces whatever transfer the subdevice had: no need to go on cancelling it.
    peer.cancel = undefined;
    const maxChunk = this.maxPayload(address) - 4;
    const sender = new FirmwareSender(
      source,
      (m) => this.#sendControl(address, m),
      () => this.#scheduler.now(),
      onProgress,
      maxChunk,
      this.options.firmware,
      (peer.info.capabilities & Capability.REORDER_BUFFER) !== 0,
    );
    peer.firmware = sender;
    return sender.promise;
  }

  /** Runs timeouts and retransmissions now; the scheduler calls this every `tickMs`. */
  tick(): void {
    const now = this.#scheduler.now();
    this.#requests.tick(now);
    for (const [address, peer] of [...this.#peers]) {
      if (now - peer.lastHeard > this.#keepaliveTimeoutMs) {
        this.#detach(address, 'keepalive_timeout');
        continue;
      }
      peer.sender.tick(now);
      peer.firmware?.tick();
      const cancel = peer.cancel;
      if (cancel && now >= cancel.deadline) {
        if (cancel.attempts >= CANCEL_ATTEMPTS) peer.cancel = undefined;
        else {
          cancel.attempts++;
          cancel.deadline = now + this.#controlRetryMs;
          this.#sendControl(address, { type: 'fw_cancel', reason: cancel.reason });
        }
      }
    }
  }

  #arm(): void {
    if (!this.#running) return;
    this.#cancelTick = setTick(this.#scheduler, this.#tickMs, (stalledMs) => {
      this.#forgiveStall(stalledMs);
      this.tick();
      this.#arm();
    });
  }

  /**
   * A tick this late means the gateway itself was not running (a stalled event loop, a starved
   * CPU): what the subdevices sent meanwhile still waits unread in the OS buffer, and timers run
   * before I/O is read. That silence is the gateway's, not the subdevices': it does not count
   * towards their keepalive timeout.
   */
  #forgiveStall(stalledMs: number): void {
    if (stalledMs > 0) for (const peer of this.#peers.values()) peer.lastHeard += stalledMs;
  }

  #receive(address: number, seq: number, m: Message): void {
    if (m.type === 'hello') {
      this.#hello(address, seq, m);
      return;
    }
    const peer = this.#peers.get(address);
    if (!peer) {
      // We do not know this subdevice (the gateway restarted): ask it to say HELLO again.
      if (m.type !== 'bye') this.#reply(address, seq, { type: 'bye', reason: ByeReason.UNKNOWN_SESSION });
      return;
    }
    peer.lastHeard = this.#scheduler.now();
    peer.framesSinceHello++;
    if (isFeatureMessage(m)) {
      // Messages of a feature that was not agreed are dropped like unknown types (§4.1).
      if ((peer.info.features & (featureOf(m.type) ?? 0)) !== 0) this.#feature(peer, address, seq, m);
      return;
    }
    switch (m.type) {
      case 'keepalive':
        this.#reply(address, seq, { type: 'keepalive_ack' });
        return;
      case 'data':
        peer.received.receive(seq, m.payload);
        return;
      case 'data_ack':
        peer.sender.ack(seq, this.#scheduler.now());
        return;
      case 'bye':
        this.#detach(address, m.reason === ByeReason.REBOOT ? 'reboot' : 'goodbye');
        return;
      case 'fw_result':
        // Revision 2: the subdevice may forget the verdict (and reboot) once we have it.
        if (peer.info.revision >= 2) this.#reply(address, seq, { type: 'fw_result_ack' });
        peer.cancel = undefined;
        peer.firmware?.receive(m);
        return;
      case 'fw_accept':
      case 'fw_ack':
      case 'fw_applying':
        peer.firmware?.receive(m);
        return;
      default:
        return;
    }
  }

  #feature(peer: PeerState, address: number, seq: number, m: FeatureMessage): void {
    switch (m.type) {
      case 'channel_data':
        peer.received.receive(seq, m.payload, m.channel);
        return;
      case 'response':
        this.#requests.answer(address, m.requestId, { status: m.status, payload: m.payload });
        return;
      case 'shadow_report':
        peer.received.receiveAtOnce(seq, () => this.hooks.shadowReport?.(peer.info, m.document));
        return;
      case 'time_request': {
        const time = this.hooks.time?.() ?? { unixMs: Date.now(), synced: false };
        this.#reply(address, seq, { type: 'time_response', synced: time.synced, unixMs: Math.max(0, Math.floor(time.unixMs)) });
        return;
      }
      default:
        return; // gateway-to-subdevice messages arriving upward: dropped
    }
  }

  #hello(address: number, seq: number, m: Extract<Message, { type: 'hello' }>): void {
    let peer = this.#peers.get(address);
    const revision = Math.min(m.revision, this.#revision);
    const info: PeerInfo = {
      address,
      productId: m.productId,
      deviceName: m.deviceName,
      firmwareVersion: m.firmwareVersion,
      maxFrameSize: m.maxFrameSize,
      capabilities: m.capabilities,
      revision,
      // A revision-1 HELLO carries no features; otherwise those both sides implement.
      features: revision >= 2 ? m.features & this.#features : 0,
    };
    if (peer && !(sameSession(peer.info, info) && peer.framesSinceHello === 0)) {
      // The subdevice restarted (or another one took the address): end the old session first. A
      // reboot into the version being applied is the verdict FW_RESULT would have carried.
      peer.firmware?.peerRebooted(m.firmwareVersion);
      this.#detach(address, 'reboot');
      peer = undefined;
    }
    if (!peer) {
      const refusal = this.hooks.admit?.(info);
      if (refusal) {
        this.#reply(address, seq, {
          type: 'hello_refused',
          reason: refusal.reason,
          retryAfterMs: refusal.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS,
          message: truncateUtf8(refusal.message, 255),
        });
        return;
      }
      peer = newPeerState(
        info,
        this.#scheduler.now(),
        new DataReceiver(reliable(info), (payload, channel) => this.hooks.data?.(info, payload, channel), (ack) => this.#reply(address, ack, { type: 'data_ack' })),
        new ReliableSender(this.#ackTimeoutMs, this.#maxAttempts, (wire) => this.hooks.transmit(wire)),
      );
      this.#peers.set(address, peer);
      this.#reply(address, seq, this.#helloAck(peer.info));
      this.hooks.attached?.(peer.info);
      return;
    }
    // A repeated HELLO: its HELLO_ACK was lost.
    peer.lastHeard = this.#scheduler.now();
    this.#reply(address, seq, this.#helloAck(peer.info));
  }

  #helloAck(info: PeerInfo): Message {
    return { type: 'hello_ack', keepaliveIntervalMs: this.#keepaliveIntervalMs, maxFrameSize: this.#maxFrameSize, revision: info.revision, features: info.features };
  }

  #detach(address: number, reason: PeerDetachReason): void {
    const peer = this.#peers.get(address);
    if (!peer) return;
    this.#peers.delete(address);
    const error = new LinkProtocolError(reason === 'stopped' ? 'stopped' : 'detached', `subdevice at address ${address} detached (${reason})`);
    peer.received.close();
    peer.sender.failAll(error);
    this.#requests.failPeer(address, error);
    peer.firmware?.fail(error);
    this.hooks.detached?.(peer.info, reason);
  }

  #nextSeq(peer: PeerState): number {
    peer.txSeq = (peer.txSeq + 1) & 0xffff;
    return peer.txSeq;
  }

  #sendControl(address: number, m: Message): void {
    const peer = this.#peers.get(address);
    if (!peer) return;
    this.hooks.transmit(this.#encode(address, this.#nextSeq(peer), m));
  }

  #reply(address: number, seq: number, m: Message): void {
    this.hooks.transmit(this.#encode(address, seq, m));
  }

  #encode(address: number, seq: number, m: Message): Uint8Array {
    return encodePacket({ address, direction: 'to_subdevice', seq, message: m }, this.#framing);
  }
}
