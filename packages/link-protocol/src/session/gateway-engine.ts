import { FrameDecoder } from '../frame-decoder.js';
import { DEFAULT_MAX_FRAME_SIZE, HEADER_SIZE, crcSize, type FramingOptions } from '../frame.js';
import { ByeReason, Capability, type Message } from '../messages.js';
import { encodePacket, packetOf } from '../packet.js';
import { FirmwareSender, type FirmwareOutcome, type FirmwareProgress, type FirmwareSource, type FirmwareTransferOptions } from './firmware-sender.js';
import { LinkProtocolError } from './link-protocol.error.js';
import { ReliableSender } from './reliable-sender.js';
import { SeqHistory } from './seq-history.js';
import { realScheduler, type Scheduler } from './scheduler.js';

/** A subdevice that said HELLO on this link. */
export interface PeerInfo {
  readonly address: number;
  readonly productId: string;
  readonly deviceName: string;
  readonly firmwareVersion: string;
  readonly maxFrameSize: number;
  readonly capabilities: number;
}

export type PeerDetachReason = 'keepalive_timeout' | 'goodbye' | 'rehello' | 'link_lost' | 'stopped';

export interface GatewayEngineOptions {
  readonly scheduler?: Scheduler;
  readonly framing?: FramingOptions;
  /** Told to subdevices in HELLO_ACK: how often to send KEEPALIVE. Default 1000 ms. */
  readonly keepaliveIntervalMs?: number;
  /** Detach a subdevice heard nothing from for this long. Default 3500 ms. */
  readonly keepaliveTimeoutMs?: number;
  /** DATA retransmit interval. Default 300 ms. */
  readonly ackTimeoutMs?: number;
  /** DATA attempts before `sendData` rejects. Default 5. */
  readonly maxAttempts?: number;
  /** Housekeeping interval (timeouts, retransmits). Default 25 ms. */
  readonly tickMs?: number;
  readonly firmware?: FirmwareTransferOptions;
}

export interface GatewayEngineHooks {
  /** Bytes to write to the link. Must not throw. */
  transmit(bytes: Uint8Array): void;
  attached?(peer: PeerInfo): void;
  detached?(peer: PeerInfo, reason: PeerDetachReason): void;
  data?(peer: PeerInfo, payload: Uint8Array): void;
}

interface PeerState {
  info: PeerInfo;
  lastHeard: number;
  /** Frames other than HELLO since the attach, to tell a repeated HELLO from a reboot. */
  framesSinceHello: number;
  txSeq: number;
  readonly received: SeqHistory;
  readonly sender: ReliableSender;
  firmware?: FirmwareSender;
}

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
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#arm();
  }

  /** Detaches everyone ('stopped') and stops the timers. */
  stop(): void {
    this.#running = false;
    this.#cancelTick?.();
    this.#cancelTick = undefined;
    for (const address of [...this.#peers.keys()]) this.#detach(address, 'stopped');
  }

  /** Ends every session at once (the port vanished): in-flight operations reject as detached. */
  detachAll(reason: PeerDetachReason): void {
    for (const address of [...this.#peers.keys()]) this.#detach(address, reason);
  }

  /** Abandons a running firmware transfer; the subdevice keeps what it acknowledged. */
  cancelFirmware(address: number, reason = 'cancelled'): void {
    this.#peers.get(address)?.firmware?.fail(new LinkProtocolError('stopped', reason));
  }

  /** Forget a partial frame (the port was reopened). Attached peers stay until their keepalive lapses. */
  resetStream(): void {
    this.decoder.reset();
  }

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

  /** Resolves when the subdevice acknowledged the DATA frame. */
  sendData(address: number, payload: Uint8Array): Promise<void> {
    const peer = this.#peers.get(address);
    if (!peer) return Promise.reject(new LinkProtocolError('detached', `no subdevice attached at address ${address}`));
    const seq = this.#nextSeq(peer);
    return peer.sender.send(seq, this.#encode(address, seq, { type: 'data', payload }), this.#scheduler.now());
  }

  /** Largest DATA payload a peer accepts. */
  maxPayload(address: number): number {
    const peer = this.#peers.get(address);
    const frame = Math.min(peer?.info.maxFrameSize ?? this.#maxFrameSize, this.#maxFrameSize);
    return frame - HEADER_SIZE - crcSize(this.#framing.crc ?? 'crc32c');
  }

  deliverFirmware(address: number, source: FirmwareSource, onProgress?: (p: FirmwareProgress) => void): Promise<FirmwareOutcome> {
    const peer = this.#peers.get(address);
    if (!peer) return Promise.reject(new LinkProtocolError('detached', `no subdevice attached at address ${address}`));
    if (peer.firmware && !peer.firmware.finished) {
      return Promise.reject(new LinkProtocolError('busy', `a firmware transfer to address ${address} is already running`));
    }
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
    for (const [address, peer] of [...this.#peers]) {
      if (now - peer.lastHeard > this.#keepaliveTimeoutMs) {
        this.#detach(address, 'keepalive_timeout');
        continue;
      }
      peer.sender.tick(now);
      peer.firmware?.tick();
    }
  }

  #arm(): void {
    if (!this.#running) return;
    this.#cancelTick = this.#scheduler.setTimer(this.#tickMs, () => {
      this.tick();
      this.#arm();
    });
  }

  #receive(address: number, seq: number, m: Message): void {
    const now = this.#scheduler.now();
    let peer = this.#peers.get(address);
    if (m.type === 'hello') {
      const same =
        peer && peer.info.productId === m.productId && peer.info.deviceName === m.deviceName && peer.info.firmwareVersion === m.firmwareVersion;
      if (peer && !(same && peer.framesSinceHello === 0)) {
        // The subdevice restarted (or another one took the address): end the old session first.
        this.#detach(address, 'rehello');
        peer = undefined;
      }
      const isNew = !peer;
      if (!peer) {
        const info: PeerInfo = {
          address,
          productId: m.productId,
          deviceName: m.deviceName,
          firmwareVersion: m.firmwareVersion,
          maxFrameSize: m.maxFrameSize,
          capabilities: m.capabilities,
        };
        peer = {
          info,
          lastHeard: now,
          framesSinceHello: 0,
          txSeq: 0,
          received: new SeqHistory(),
          sender: new ReliableSender(this.#ackTimeoutMs, this.#maxAttempts, (wire) => this.hooks.transmit(wire)),
        };
        this.#peers.set(address, peer);
      }
      peer.lastHeard = now;
      this.#reply(address, seq, { type: 'hello_ack', keepaliveIntervalMs: this.#keepaliveIntervalMs, maxFrameSize: this.#maxFrameSize });
      if (isNew) this.hooks.attached?.(peer.info);
      return;
    }
    if (!peer) {
      // We do not know this subdevice (the gateway restarted): ask it to say HELLO again.
      if (m.type !== 'bye') this.#reply(address, seq, { type: 'bye', reason: ByeReason.UNKNOWN_SESSION });
      return;
    }
    peer.lastHeard = now;
    peer.framesSinceHello++;
    switch (m.type) {
      case 'keepalive':
        this.#reply(address, seq, { type: 'keepalive_ack' });
        return;
      case 'data':
        this.#reply(address, seq, { type: 'data_ack' });
        if (peer.received.seenBefore(seq)) return; // a retransmission of what we already delivered
        this.hooks.data?.(peer.info, m.payload);
        return;
      case 'data_ack':
        peer.sender.ack(seq);
        return;
      case 'bye':
        this.#detach(address, 'goodbye');
        return;
      case 'fw_accept':
      case 'fw_ack':
      case 'fw_applying':
      case 'fw_result':
        peer.firmware?.receive(m);
        return;
      default:
        return;
    }
  }

  #detach(address: number, reason: PeerDetachReason): void {
    const peer = this.#peers.get(address);
    if (!peer) return;
    this.#peers.delete(address);
    const error = new LinkProtocolError(reason === 'stopped' ? 'stopped' : 'detached', `subdevice at address ${address} detached (${reason})`);
    peer.sender.failAll(error);
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
