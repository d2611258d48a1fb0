import {
  CancelledError,
  DEFAULT_REQUEST_TIMEOUT_MS,
  LinkError,
  firmwareCancelReasonOf,
  TimeoutError,
  TypedEmitter,
  ValidationError,
  silentLogger,
  subdeviceId,
  subdeviceKey,
  withDeadline,
  type CallOptions,
  type DeliverFirmwareOptions,
  type DetachReason,
  type FirmwareCancelReason,
  type FirmwareDeliveryResult,
  type FirmwareImage,
  type GatewayError,
  type LinkCapabilities,
  type Logger,
  type ProvidedStream,
  type SendOptions,
  type RequestCapableLink,
  type HubTimeReading,
  type ShadowCapableLink,
  type ShadowState,
  type TimeServingLink,
  type SubdeviceAttachment,
  type SubdeviceId,
  type SubdeviceLink,
  type SubdeviceLinkEvents,
  type Subscription,
} from '@iotgw/domain';
import { CancelReason, DEFAULT_CHANNEL, DEFAULT_MAX_FRAME_SIZE, Feature, GatewayEngine, HEADER_SIZE, crcSize, type HelloRefusal, type PeerDetachReason, type PeerInfo } from '@iotgw/link-protocol';
import { shadowReportOf } from './shadow-report.js';
import { requestOutcomeOf } from './request-outcome.js';
import { detachReasonOf, linkErrorOf, requestErrorOf } from './link-errors.js';
import type { LinkProtocolSubdeviceLinkOptions } from './link-protocol-subdevice-link.options.js';
import { engineOptionsFor } from './link-timing.js';
import { RefusalLog } from './refusal-log.js';
import { ServedSubdevices } from './served-subdevices.js';

/** The FW_CANCEL reason the subdevice is told, from why the app cancelled the job. */
const CANCEL_REASON: Record<FirmwareCancelReason, number> = {
  unspecified: CancelReason.UNSPECIFIED,
  superseded: CancelReason.SUPERSEDED,
  shutdown: CancelReason.SHUTDOWN,
};

/** One open stream and the link-protocol session engine running on it. */
interface StreamSession {
  readonly provided: ProvidedStream;
  readonly engine: GatewayEngine;
  readonly subscriptions: Subscription[];
  /** Why it is ending, so the engine's own 'stopped' detach is reported truthfully. */
  ending: DetachReason | undefined;
  /** A CRC-kind mismatch was reported for this stream (once is enough). */
  crcReported: boolean;
}

interface Attached {
  readonly session: StreamSession;
  readonly address: number;
  readonly attachment: SubdeviceAttachment;
}

/**
 * The SubdeviceLink of every medium that carries the iotgw link protocol: it runs one session
 * engine per byte stream its provider opens (one serial port carrying a bus of subdevices, one BLE
 * connection per peripheral), admits or refuses each HELLO against the subdevices it serves, and
 * turns the engines' sessions into `attached`/`detached`/`data` events, `send` and
 * `deliverFirmware`. Serial and BLE differ only in their providers.
 */
export class LinkProtocolSubdeviceLink implements SubdeviceLink, RequestCapableLink, ShadowCapableLink, TimeServingLink {
  readonly name: string;
  readonly capabilities: LinkCapabilities;
  readonly #options: LinkProtocolSubdeviceLinkOptions;
  readonly #events = new TypedEmitter<SubdeviceLinkEvents>();
  readonly #served: ServedSubdevices;
  readonly #sessions = new Set<StreamSession>();
  readonly #attached = new Map<string, Attached>();
  readonly #logger: Logger;
  readonly #refusals: RefusalLog;
  #time: (() => HubTimeReading) | undefined;
  #running = false;

  constructor(options: LinkProtocolSubdeviceLinkOptions) {
    this.#options = options;
    this.name = options.name;
    this.#logger = options.logger ?? silentLogger;
    this.#served = new ServedSubdevices(options.name, options.subdevices, new Set(options.admitProducts ?? []));
    this.#refusals = new RefusalLog(() => (options.scheduler ?? { now: Date.now }).now());
    const framing = options.framing ?? {};
    const maxFrame = framing.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    if (!Number.isInteger(maxFrame) || maxFrame < 32 || maxFrame > 65_535) {
      throw new ValidationError(`link ${options.name}: maxFrameSize ${String(maxFrame)} is out of range: use 32..65535 (default ${DEFAULT_MAX_FRAME_SIZE})`);
    }
    this.capabilities = Object.freeze({
      maxPayloadSize: maxFrame - HEADER_SIZE - crcSize(framing.crc ?? 'crc32c'),
      // Subdevices that announce RELIABLE_DATA acknowledge every DATA; the others get it once.
      isReliable: true,
      supportsFirmware: true,
    });
    options.provider.on('stream', (provided) => this.#onStream(provided));
    options.provider.on('error', (error) => this.#emitError(error));
  }

  on<K extends keyof SubdeviceLinkEvents & string>(event: K, listener: SubdeviceLinkEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  attachedSubdevices(): SubdeviceAttachment[] {
    return [...this.#attached.values()].map((a) => a.attachment);
  }

  /** Opens the provider: resolves once it listens (port open, radio scanning). */
  async start(options: CallOptions = {}): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      await this.#options.provider.open(options);
    } catch (error) {
      this.#running = false;
      throw error;
    }
  }

  /** Says BYE to every subdevice, detaches each ('stopped') and closes the provider. Idempotent. */
  async stop(options: CallOptions = {}): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    for (const session of [...this.#sessions]) this.#end(session, 'stopped');
    await this.#options.provider.close(options);
  }

  /** A channel other than `data` reaches only a subdevice that agreed to CHANNELS (others: link.unavailable, nothing sent). */
  async send(subdevice: SubdeviceId, payload: Uint8Array, options: SendOptions = {}): Promise<void> {
    const entry = this.#require(subdevice);
    if (payload.length > this.capabilities.maxPayloadSize) {
      throw new ValidationError(
        `payload of ${payload.length} bytes is larger than link ${this.name}'s maxPayloadSize ${this.capabilities.maxPayloadSize}: split it in the application`,
      );
    }
    const where = `send to ${subdeviceKey(subdevice)} on ${this.name}`;
    await withDeadline(where, options, this.#options.sendTimeoutMs ?? 10_000, () =>
      entry.session.engine.sendData(entry.address, payload, options.channel).catch((error: unknown) => {
        throw linkErrorOf(error, where);
      }),
    );
  }

  /**
   * The subdevice's answer to a request (the hub's RRPC), within `timeoutMs` (default 3.5 s):
   * the engine resends the REQUEST until the RESPONSE and gives up at the deadline itself, so a
   * late answer is dropped there. Subdevices without the REQUESTS feature fail at once.
   */
  async request(subdevice: SubdeviceId, payload: Uint8Array, options: CallOptions = {}): Promise<Uint8Array> {
    const entry = this.#require(subdevice);
    const where = `request to ${subdeviceKey(subdevice)} on ${this.name}`;
    if (payload.length + 4 > this.capabilities.maxPayloadSize) {
      throw new ValidationError(`request of ${payload.length} bytes is larger than link ${this.name} carries (${this.capabilities.maxPayloadSize - 4} bytes)`);
    }
    const timeoutMs = Math.min(options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, 0xffff);
    // The outer deadline is a backstop a little after the engine's own (which resolves the request).
    return withDeadline(where, { ...options, timeoutMs: timeoutMs + 1000 }, timeoutMs, () =>
      entry.session.engine.request(entry.address, payload, timeoutMs).then(
        (outcome) => requestOutcomeOf(outcome, where),
        (error: unknown) => {
          throw requestErrorOf(error, where, timeoutMs);
        },
      ),
    );
  }

  /** A shadow delta as SHADOW_DELTA (JSON of the state), acknowledged like DATA. */
  async sendShadowDelta(subdevice: SubdeviceId, delta: { readonly version: number; readonly state: ShadowState }, options: CallOptions = {}): Promise<void> {
    const entry = this.#require(subdevice);
    const where = `shadow delta to ${subdeviceKey(subdevice)} on ${this.name}`;
    const document = new TextEncoder().encode(JSON.stringify(delta.state));
    if (document.length + 4 > this.capabilities.maxPayloadSize) throw new ValidationError(`${where}: ${document.length} bytes of state is more than the link carries`);
    await withDeadline(where, options, this.#options.sendTimeoutMs ?? 10_000, () =>
      entry.session.engine.sendShadowDelta(entry.address, delta.version, document).catch((error: unknown) => {
        throw linkErrorOf(error, where);
      }),
    );
  }

  acceptsShadow(subdevice: SubdeviceId): boolean {
    const entry = this.#running ? this.#attached.get(subdeviceKey(subdevice)) : undefined;
    return entry !== undefined && ((entry.session.engine.peer(entry.address)?.features ?? 0) & Feature.SHADOW) !== 0;
  }

  serveTime(source: () => HubTimeReading): void {
    this.#time = source;
  }

  async deliverFirmware(subdevice: SubdeviceId, image: FirmwareImage, options: DeliverFirmwareOptions = {}): Promise<FirmwareDeliveryResult> {
    const entry = this.#require(subdevice);
    const md5 = Uint8Array.from(Buffer.from(image.md5, 'hex'));
    if (md5.length !== 16) throw new ValidationError(`image md5 ${JSON.stringify(image.md5)} must be 32 hex digits`);
    const where = `firmware ${image.job.version} to ${subdeviceKey(subdevice)} on ${this.name}`;
    const { engine } = entry.session;
    try {
      return await withDeadline(where, options, this.#options.firmwareTimeoutMs ?? 30 * 60_000, async (signal) => {
        // An aborted delivery (cancelled, superseded, timed out) stops using the medium at once and
        // tells the subdevice (FW_CANCEL); it keeps what it acknowledged, so a later offer resumes.
        const cancel = (): void => engine.cancelFirmware(entry.address, `${where} aborted`, CANCEL_REASON[firmwareCancelReasonOf(signal.reason)]);
        signal.addEventListener('abort', cancel, { once: true });
        try {
          const outcome = await engine.deliverFirmware(
            entry.address,
            { version: image.job.version, size: image.size, md5, read: (offset, length) => image.read(offset, length, { signal }) },
            (p) => options.onProgress?.({ phase: p.phase, bytes: p.bytes, total: p.total, percent: p.percent }),
          );
          return outcome.ok ? { ok: true as const, version: outcome.version } : { ok: false as const, code: outcome.code, message: outcome.message };
        } finally {
          signal.removeEventListener('abort', cancel);
        }
      });
    } catch (error) {
      if (error instanceof CancelledError || error instanceof TimeoutError) throw error;
      throw linkErrorOf(error, where);
    }
  }

  #require(subdevice: SubdeviceId): Attached {
    const entry = this.#running ? this.#attached.get(subdeviceKey(subdevice)) : undefined;
    if (!entry) throw new LinkError('link.unknown_subdevice', `${subdeviceKey(subdevice)} is not attached to link ${this.name}`);
    return entry;
  }

  #onStream(provided: ProvidedStream): void {
    const { stream } = provided;
    if (!this.#running) {
      void stream.close();
      return;
    }
    const holder: { session?: StreamSession } = {};
    const engine = new GatewayEngine(
      {
        transmit: (bytes) => stream.write(bytes),
        admit: (peer) => this.#admit(peer, provided),
        attached: (peer) => holder.session && this.#onAttached(holder.session, peer),
        detached: (peer, reason) => holder.session && this.#onDetached(holder.session, peer, reason),
        data: (peer, payload, channel) => {
          const entry = holder.session && this.#entryAt(holder.session, peer.address);
          return entry ? this.#emitData(entry.attachment.subdevice, payload, channel) : undefined;
        },
        shadowReport: (peer, document) => {
          const entry = holder.session && this.#entryAt(holder.session, peer.address);
          if (!entry) return;
          const reported = shadowReportOf(document);
          if (reported) this.#events.emit('shadowReported', { subdevice: entry.attachment.subdevice, reported });
          else this.#emitError(new LinkError('link.protocol', `${subdeviceKey(entry.attachment.subdevice)} on ${this.name} reported shadow state that is not a JSON object: ignored`));
        },
        // Hub time when the gateway has it, else its own clock (marked unsynced).
        time: () => this.#time?.() ?? { unixMs: Date.now(), synced: false },
      },
      engineOptionsFor(this.#options, stream.capabilities),
    );
    const session: StreamSession = { provided, engine, subscriptions: [], ending: undefined, crcReported: false };
    holder.session = session;
    this.#sessions.add(session);
    session.subscriptions.push(
      stream.on('data', (bytes) => {
        engine.feed(bytes);
        if (!session.crcReported && engine.decoder.stats.otherCrc > 0) this.#reportCrcMismatch(session);
      }),
      stream.on('error', (error) => this.#emitError(error)),
      stream.on('closed', ({ reason, byCaller }) => {
        if (!byCaller) this.#logger.warn('link stream lost; the provider reopens it', { link: this.name, stream: stream.name, reason });
        this.#end(session, 'link_lost');
      }),
    );
    engine.start();
    this.#logger.info('link stream open', { link: this.name, stream: stream.name, ...(provided.subdevice ? { subdevice: subdeviceKey(provided.subdevice) } : {}) });
  }

  #admit(peer: PeerInfo, provided: ProvidedStream): HelloRefusal | undefined {
    const admission = this.#served.admit(peer, provided.subdevice);
    if (!admission) return undefined;
    if (this.#refusals.shouldReport(`${peer.address}/${peer.productId}/${peer.deviceName}/${admission.refusal.reason}`)) {
      this.#emitError(new LinkError('link.protocol', admission.log, { details: { address: peer.address, refusal: admission.refusal.reason } }));
    }
    return admission.refusal;
  }

  /** Frames that check with the other CRC kind: a subdevice is configured differently. Said once per stream. */
  #reportCrcMismatch(session: StreamSession): void {
    session.crcReported = true;
    const configured = this.#options.framing?.crc ?? 'crc32c';
    const other = configured === 'crc16' ? 'crc32c' : 'crc16';
    this.#emitError(
      new LinkError(
        'link.protocol',
        `link ${this.name}: frames on ${session.provided.stream.name} carry ${other} checksums but the link uses ${configured}: ` +
          `set the link's "crc" to "${other}" (or the subdevice's to "${configured}"); both ends must agree`,
        { details: { configured, received: other } },
      ),
    );
  }

  /** Ends a stream's session: its subdevices detach with `reason`, and the stream is released. */
  #end(session: StreamSession, reason: DetachReason): void {
    if (!this.#sessions.delete(session)) return;
    session.ending = reason;
    for (const s of session.subscriptions) s.close();
    // Detaches every peer (reported with `reason`) and fails in-flight calls; says BYE if it still can.
    session.engine.stop();
    void session.provided.stream.close();
  }

  #entryAt(session: StreamSession, address: number): Attached | undefined {
    for (const entry of this.#attached.values()) if (entry.session === session && entry.address === address) return entry;
    return undefined;
  }

  #onAttached(session: StreamSession, peer: PeerInfo): void {
    // The engine admitted it, so the identity is valid.
    const subdevice = subdeviceId(peer.productId, peer.deviceName);
    const key = subdeviceKey(subdevice);
    const previous = this.#attached.get(key);
    // The same subdevice on another stream or address: that older session is over.
    if (previous) previous.session.engine.detach(previous.address, 'reboot');
    const attachment: SubdeviceAttachment = { subdevice, firmwareVersion: peer.firmwareVersion };
    this.#attached.set(key, { session, address: peer.address, attachment });
    this.#logger.info('subdevice attached', { link: this.name, subdevice: key, address: peer.address, version: peer.firmwareVersion, revision: peer.revision });
    this.#events.emit('attached', attachment);
  }

  #onDetached(session: StreamSession, peer: PeerInfo, reason: PeerDetachReason): void {
    const entry = this.#entryAt(session, peer.address);
    if (!entry) return;
    const key = subdeviceKey(entry.attachment.subdevice);
    this.#attached.delete(key);
    const why = session.ending ?? detachReasonOf(reason);
    this.#logger.info('subdevice detached', { link: this.name, subdevice: key, reason: why });
    this.#events.emit('detached', { subdevice: entry.attachment.subdevice, reason: why });
  }

  /**
   * Emits `data`; the DATA_ACK waits for every listener that called `acknowledgeWhen` (the
   * engine acknowledges once the returned promise resolves, and not at all if it rejects).
   */
  #emitData(subdevice: SubdeviceId, payload: Uint8Array, channel: string): Promise<unknown> | undefined {
    const durable: Array<Promise<unknown>> = [];
    const acknowledgeWhen = (p: Promise<unknown>): void => {
      durable.push(p);
    };
    // `channel` only when the subdevice named one: listeners of plain data see what they always saw.
    this.#events.emit('data', { subdevice, payload, acknowledgeWhen, ...(channel === DEFAULT_CHANNEL ? {} : { channel }) });
    if (durable.length === 0) return undefined;
    return durable.length === 1 ? durable[0] : Promise.all(durable);
  }

  /** Faults go to whoever listens on `error` (the gateway logs them), not also to this link's log. */
  #emitError(error: GatewayError): void {
    this.#events.emit('error', error);
  }
}
