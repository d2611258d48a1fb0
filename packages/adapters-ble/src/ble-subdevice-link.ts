import {
  type CallOptions,
  type DeliverFirmwareOptions,
  type DetachReason,
  type FirmwareDeliveryResult,
  type FirmwareImage,
  type GatewayError,
  LinkError,
  type LinkCapabilities,
  type Logger,
  type SubdeviceAttachment,
  type SubdeviceId,
  type SubdeviceLink,
  type SubdeviceLinkEvents,
  type Subscription,
  TypedEmitter,
  ValidationError,
  isGatewayError,
  sameSubdevice,
  subdeviceKey,
  withDeadline,
} from '@iotgw/domain';
import {
  DEFAULT_MAX_FRAME_SIZE,
  GatewayEngine,
  type GatewayEngineOptions,
  HEADER_SIZE,
  LinkProtocolError,
  type PeerDetachReason,
  type PeerInfo,
  crcSize,
} from '@iotgw/link-protocol';
import type { BleByteStream } from './ble-byte-stream.js';
import type { BleCentral, BleConnection } from './ble-central.port.js';
import { BleConnectionSupervisor } from './ble-connection-supervisor.js';
import type { BackoffOptions } from './backoff.js';
import { type GattProfile, IOTGW_GATT_PROFILE } from './gatt-profile.js';
import { type DeclaredBleSubdevice, validateDeclared } from './subdevice-match.js';

export interface BleSubdeviceLinkOptions {
  readonly central: BleCentral;
  /** The subdevices to look for and how to recognise their advertisements. */
  readonly subdevices: readonly DeclaredBleSubdevice[];
  readonly name?: string;
  readonly profile?: GattProfile;
  /** ATT MTU to ask for. Default 247. */
  readonly mtu?: number;
  readonly scanServices?: readonly string[];
  readonly backoff?: BackoffOptions;
  readonly connectTimeoutMs?: number;
  /** Link-protocol session settings (keepalive, retransmit, firmware window). */
  readonly engine?: GatewayEngineOptions;
  readonly logger?: Logger;
  /**
   * Close the central when the link stops (default true), so a real radio's bindings do not keep
   * the process alive. Set false when the central is shared with something else.
   */
  readonly ownsCentral?: boolean;
}

interface Session {
  readonly declared: DeclaredBleSubdevice;
  readonly engine: GatewayEngine;
  readonly stream: BleByteStream;
  readonly connection: BleConnection;
  peer: PeerInfo | undefined;
  /** Why the session is ending, so the engine's own 'stopped' detach is reported truthfully. */
  ending: DetachReason | undefined;
}

const DEFAULT_SEND_TIMEOUT_MS = 10_000;
const DEFAULT_FIRMWARE_TIMEOUT_MS = 30 * 60_000;

/**
 * SubdeviceLink over Bluetooth LE: each declared subdevice is its own GATT connection carrying the
 * link protocol as a byte stream (see gatt-profile.ts). Reconnects with backoff; firmware delivery
 * resumes where the subdevice says it stopped (its FW_ACCEPT carries the resume offset).
 */
export class BleSubdeviceLink implements SubdeviceLink {
  readonly name: string;
  readonly capabilities: LinkCapabilities;
  readonly #options: BleSubdeviceLinkOptions;
  readonly #events = new TypedEmitter<SubdeviceLinkEvents>();
  readonly #sessions = new Map<DeclaredBleSubdevice, Session>();
  readonly #supervisor: BleConnectionSupervisor;
  #started = false;

  constructor(options: BleSubdeviceLinkOptions) {
    validateDeclared(options.subdevices);
    this.#options = options;
    this.name = options.name ?? 'ble';
    const frame = options.engine?.framing?.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    this.capabilities = Object.freeze({
      maxPayloadSize: frame - HEADER_SIZE - crcSize(options.engine?.framing?.crc ?? 'crc32c'),
      isReliable: true,
      supportsFirmware: true,
    });
    this.#supervisor = new BleConnectionSupervisor({
      central: options.central,
      profile: options.profile ?? IOTGW_GATT_PROFILE,
      subdevices: options.subdevices,
      ...(options.scanServices ? { scanServices: options.scanServices } : {}),
      ...(options.mtu ? { mtu: options.mtu } : {}),
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.connectTimeoutMs ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
      onUp: (declared, stream, connection) => this.#onUp(declared, stream, connection),
      onDown: (declared, reason) => this.#onDown(declared, reason),
      onError: (declared, error) => this.#emitError(declared, error),
    });
  }

  on<K extends keyof SubdeviceLinkEvents & string>(event: K, listener: SubdeviceLinkEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  async start(options: CallOptions = {}): Promise<void> {
    if (this.#started) return;
    await this.#supervisor.start(options);
    this.#started = true;
  }

  async stop(options: CallOptions = {}): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    for (const session of [...this.#sessions.values()]) this.#end(session, 'stopped');
    await this.#supervisor.stop(options);
    if (this.#options.ownsCentral ?? true) await this.#options.central.close(options);
  }

  attachedSubdevices(): SubdeviceAttachment[] {
    const out: SubdeviceAttachment[] = [];
    for (const s of this.#sessions.values()) {
      if (s.peer) out.push({ subdevice: s.declared.subdevice, firmwareVersion: s.peer.firmwareVersion });
    }
    return out;
  }

  async send(subdevice: SubdeviceId, payload: Uint8Array, options: CallOptions = {}): Promise<void> {
    if (payload.length > this.capabilities.maxPayloadSize) {
      throw new ValidationError(
        `payload of ${payload.length} bytes exceeds this link's maxPayloadSize ${this.capabilities.maxPayloadSize}: split it above the link`,
      );
    }
    const session = this.#attached(subdevice);
    const peer = session.peer!;
    await withDeadline(`send to ${subdeviceKey(subdevice)}`, options, DEFAULT_SEND_TIMEOUT_MS, () =>
      session.engine.sendData(peer.address, payload).catch((error: unknown) => {
        throw this.#linkError(subdevice, error);
      }),
    );
  }

  async deliverFirmware(subdevice: SubdeviceId, image: FirmwareImage, options: DeliverFirmwareOptions = {}): Promise<FirmwareDeliveryResult> {
    const session = this.#attached(subdevice);
    const peer = session.peer!;
    const md5 = Buffer.from(image.md5, 'hex');
    if (md5.length !== 16) throw new ValidationError(`firmware md5 ${JSON.stringify(image.md5)} must be 32 hex digits`);
    return withDeadline(`firmware delivery to ${subdeviceKey(subdevice)}`, options, DEFAULT_FIRMWARE_TIMEOUT_MS, (signal) => {
      // A cancelled or timed-out delivery must stop using the radio; the subdevice keeps what it
      // acknowledged, so the next call resumes.
      const cancel = (): void => session.engine.cancelFirmware(peer.address, 'delivery cancelled or timed out');
      signal.addEventListener('abort', cancel, { once: true });
      return session.engine
        .deliverFirmware(
          peer.address,
          {
            version: image.job.version,
            size: image.size,
            md5: new Uint8Array(md5),
            read: (offset, length) => image.read(offset, length, { signal }),
          },
          (p) => options.onProgress?.({ phase: p.phase, bytes: p.bytes, total: p.total, percent: p.percent }),
        )
        .catch((error: unknown) => {
          throw this.#linkError(subdevice, error);
        })
        .finally(() => signal.removeEventListener('abort', cancel));
    });
  }

  #attached(subdevice: SubdeviceId): Session {
    for (const s of this.#sessions.values()) {
      if (s.peer && sameSubdevice(s.declared.subdevice, subdevice)) return s;
    }
    throw new LinkError('link.unknown_subdevice', `subdevice ${subdeviceKey(subdevice)} is not attached on BLE link "${this.name}"`);
  }

  #onUp(declared: DeclaredBleSubdevice, stream: BleByteStream, connection: BleConnection): void {
    const old = this.#sessions.get(declared);
    if (old) this.#end(old, 'link_lost');
    // The engine's hooks need the session, which needs the engine: close the loop through a holder.
    const holder: { session?: Session } = {};
    const engine = new GatewayEngine(
      {
        transmit: (bytes) => {
          stream.write(bytes).catch((error: unknown) => {
            // A write after the link dropped is expected; the disconnect path reports that.
            if (connection.connected) this.#emitError(declared, this.#linkError(declared.subdevice, error));
          });
        },
        attached: (peer) => {
          const session = holder.session;
          if (!session) return;
          if (peer.productId !== declared.subdevice.productId || peer.deviceName !== declared.subdevice.deviceName) {
            this.#emitError(
              declared,
              new LinkError(
                'link.protocol',
                `BLE peripheral ${connection.peripheralId} matched ${subdeviceKey(declared.subdevice)} but introduced itself as ` +
                  `${peer.productId}/${peer.deviceName}: fix the match rule or the subdevice's identity`,
              ),
            );
            return;
          }
          session.peer = peer;
          this.#supervisor.markHealthy(declared);
          this.#events.emit('attached', { subdevice: declared.subdevice, firmwareVersion: peer.firmwareVersion });
        },
        detached: (peer, reason) => {
          const session = holder.session;
          if (!session || session.peer?.address !== peer.address) return;
          session.peer = undefined;
          this.#events.emit('detached', { subdevice: declared.subdevice, reason: session.ending ?? detachReasonOf(reason) });
        },
        data: (peer, payload) => {
          if (holder.session?.peer?.address === peer.address) this.#events.emit('data', { subdevice: declared.subdevice, payload });
        },
      },
      this.#options.engine,
    );
    const session: Session = { declared, engine, stream, connection, peer: undefined, ending: undefined };
    holder.session = session;
    this.#sessions.set(declared, session);
    stream.onData((bytes) => engine.feed(bytes));
    engine.start();
    this.#options.logger?.info('BLE subdevice connected', {
      subdevice: subdeviceKey(declared.subdevice),
      peripheral: connection.peripheralId,
      mtu: connection.mtu,
    });
  }

  #onDown(declared: DeclaredBleSubdevice, reason: string): void {
    const session = this.#sessions.get(declared);
    this.#options.logger?.warn('BLE subdevice disconnected; will reconnect', { subdevice: subdeviceKey(declared.subdevice), reason });
    if (session) this.#end(session, 'link_lost');
  }

  #end(session: Session, reason: DetachReason): void {
    if (this.#sessions.get(session.declared) === session) this.#sessions.delete(session.declared);
    session.ending = reason;
    // Detaches the peer (emitting 'detached' with `reason`) and fails in-flight calls.
    session.engine.stop();
    session.stream.close();
  }

  #linkError(subdevice: SubdeviceId, error: unknown): GatewayError {
    if (isGatewayError(error)) return error;
    if (error instanceof LinkProtocolError) {
      if (error.reason === 'timeout') {
        return new LinkError('link.disconnected', `${subdeviceKey(subdevice)} stopped acknowledging: ${error.message}`, { cause: error });
      }
      if (error.reason === 'busy') return new LinkError('link.protocol', error.message, { cause: error });
      return new LinkError('link.disconnected', `${subdeviceKey(subdevice)} detached: ${error.message}`, { cause: error });
    }
    return new LinkError('link.protocol', `BLE link to ${subdeviceKey(subdevice)} failed`, { cause: error });
  }

  #emitError(declared: DeclaredBleSubdevice, error: GatewayError): void {
    this.#options.logger?.warn('BLE link fault', { subdevice: subdeviceKey(declared.subdevice), code: error.code, message: error.message });
    this.#events.emit('error', error);
  }
}

function detachReasonOf(reason: PeerDetachReason): DetachReason {
  switch (reason) {
    case 'keepalive_timeout':
    case 'goodbye':
    case 'stopped':
      return reason;
    default:
      // 'rehello' (the subdevice restarted) and anything newer: the old session is gone.
      return 'link_lost';
  }
}
