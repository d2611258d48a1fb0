import {
  LinkError,
  percentOf,
  subdeviceKey,
  TypedEmitter,
  ValidationError,
  withDeadline,
  type CallOptions,
  type SendOptions,
  type DeliverFirmwareOptions,
  type DetachReason,
  type FirmwareDeliveryResult,
  type FirmwareImage,
  type LinkCapabilities,
  type RequestCapableLink,
  type ShadowCapableLink,
  type ShadowState,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type SubdeviceAttachment,
  type SubdeviceId,
  type SubdeviceLink,
  type SubdeviceLinkEvents,
  type Subscription,
} from '@iotgw/domain';

/**
 * What a scripted subdevice does with a firmware image (every link's contract harness offers these):
 * - 'success': takes it and runs the new version;
 * - `{ fail, message }`: takes it, then refuses to apply it with its own code;
 * - `{ cutAt }`: the link dies once `cutAt` bytes were acknowledged (once; then back to 'success').
 */
export type FirmwareBehaviour = 'success' | { readonly fail: number; readonly message: string } | { readonly cutAt: number };

/**
 * The memory link's behaviours: every FirmwareBehaviour, and `{ rebootAt, goodbye? }`: the
 * subdevice reboots once `rebootAt` bytes were acknowledged and is back at once (`detached` then
 * `attached` in the same tick, as a re-HELLO before the keepalive lapses, or with `goodbye` a
 * BYE(reboot) then HELLO, looks from the gateway). It keeps the bytes, like flash, so the next
 * delivery resumes; once, then back to 'success'.
 */
export type MemoryFirmwareBehaviour = FirmwareBehaviour | { readonly rebootAt: number; readonly goodbye?: boolean };

/** A subdevice on the far end of a MemorySubdeviceLink, with everything the test may inspect. */
export class ScriptedSubdevice {
  version: string;
  firmwareBehaviour: MemoryFirmwareBehaviour = 'success';
  attached = false;
  /** Payloads the gateway sent to this subdevice. */
  readonly received: Uint8Array[] = [];
  /** Readings it sent up that the link acknowledged (once every listener said they were durable). */
  readonly acknowledged: Uint8Array[] = [];
  /** Readings it sent up that the link did not acknowledge (a listener's durability promise rejected): a real subdevice keeps them. */
  readonly notAcknowledged: Uint8Array[] = [];
  /** Offset each delivery started from (0 = fresh; > 0 = resumed). */
  readonly deliveredFrom: number[] = [];
  /** Bytes of the current image acknowledged so far (kept across a cut link). */
  ackedOffset = 0;
  /** MD5 of the image `ackedOffset` belongs to. */
  ackedImage: string | undefined;
  /** Bytes of the last completed image. */
  lastImage: Uint8Array | undefined;
  /**
   * How it answers requests (the hub's RRPC): undefined = it cannot take requests at all (an old
   * firmware: `request` fails at once with link.unavailable). A handler may be slow (a promise).
   */
  requestHandler: ((payload: Uint8Array) => Uint8Array | Promise<Uint8Array>) | undefined;
  /** Request payloads it was asked, in order. */
  readonly requests: Uint8Array[] = [];
  /** Whether it takes shadow deltas (its firmware announced the ability). */
  acceptsShadow = true;
  /** Shadow deltas delivered to it, in order. */
  readonly shadowDeltas: Array<{ readonly version: number; readonly state: ShadowState }> = [];

  constructor(
    readonly subdevice: SubdeviceId,
    version: string,
  ) {
    this.version = version;
  }
}

export interface MemorySubdeviceLinkOptions {
  readonly name?: string;
  readonly capabilities?: Partial<LinkCapabilities>;
  /** Default deadline of deliverFirmware (default 10 min) and send (default 10 s). */
  readonly deliverTimeoutMs?: number;
  readonly sendTimeoutMs?: number;
}

/** A SubdeviceLink whose subdevices are scripted objects in memory. */
export class MemorySubdeviceLink implements SubdeviceLink, RequestCapableLink, ShadowCapableLink {
  readonly name: string;
  readonly capabilities: LinkCapabilities;
  /** Everything `send` accepted, in order. */
  readonly sent: Array<{ readonly subdevice: SubdeviceId; readonly payload: Uint8Array; readonly channel?: string }> = [];

  readonly #events = new TypedEmitter<SubdeviceLinkEvents>();
  readonly #subdevices = new Map<string, ScriptedSubdevice>();
  readonly #deliverTimeoutMs: number;
  readonly #sendTimeoutMs: number;
  #started = false;

  constructor(options: MemorySubdeviceLinkOptions = {}) {
    this.name = options.name ?? 'memory';
    this.capabilities = Object.freeze({
      maxPayloadSize: 1024,
      isReliable: true,
      supportsFirmware: true,
      ...options.capabilities,
    });
    this.#deliverTimeoutMs = options.deliverTimeoutMs ?? 600_000;
    this.#sendTimeoutMs = options.sendTimeoutMs ?? 10_000;
  }

  get started(): boolean {
    return this.#started;
  }

  on<K extends keyof SubdeviceLinkEvents & string>(event: K, listener: SubdeviceLinkEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  start(options: CallOptions = {}): Promise<void> {
    return withDeadline(`link ${this.name} start`, options, this.#sendTimeoutMs, () => {
      if (!this.#started) {
        this.#started = true;
        // Subdevices present before the link listened announce themselves now.
        for (const sub of this.#subdevices.values()) if (sub.attached) this.#announce(sub);
      }
      return Promise.resolve();
    });
  }

  stop(): Promise<void> {
    if (this.#started) {
      this.#started = false;
      for (const sub of this.#subdevices.values()) {
        if (sub.attached) this.#events.emit('detached', { subdevice: sub.subdevice, reason: 'stopped' });
      }
    }
    return Promise.resolve();
  }

  attachedSubdevices(): SubdeviceAttachment[] {
    if (!this.#started) return [];
    return [...this.#subdevices.values()]
      .filter((s) => s.attached)
      .map((s) => ({ subdevice: s.subdevice, firmwareVersion: s.version }));
  }

  send(subdevice: SubdeviceId, payload: Uint8Array, options: SendOptions = {}): Promise<void> {
    return withDeadline(`link send to ${subdeviceKey(subdevice)}`, options, this.#sendTimeoutMs, async () => {
      const sub = this.#attached(subdevice);
      if (payload.length > this.capabilities.maxPayloadSize) {
        throw new ValidationError(
          `payload of ${payload.length} bytes exceeds the link's maxPayloadSize ${this.capabilities.maxPayloadSize}: split it at the application level`,
        );
      }
      await turn();
      const copy = Uint8Array.from(payload);
      sub.received.push(copy);
      this.sent.push({ subdevice, payload: copy, ...(options.channel === undefined || options.channel === 'data' ? {} : { channel: options.channel }) });
    });
  }

  deliverFirmware(subdevice: SubdeviceId, image: FirmwareImage, options: DeliverFirmwareOptions = {}): Promise<FirmwareDeliveryResult> {
    const what = `firmware delivery to ${subdeviceKey(subdevice)}`;
    return withDeadline(what, options, this.#deliverTimeoutMs, async (signal) => {
      if (!this.capabilities.supportsFirmware) throw new LinkError('link.unavailable', `link ${this.name} cannot carry firmware`);
      const sub = this.#attached(subdevice);
      if (sub.ackedImage !== image.md5) {
        sub.ackedImage = image.md5;
        sub.ackedOffset = 0;
      }
      const total = image.size;
      const chunk = this.capabilities.maxPayloadSize;
      sub.deliveredFrom.push(sub.ackedOffset);
      const report = (phase: 'transferring' | 'applying', bytes: number): void =>
        options.onProgress?.({ phase, bytes, total, percent: percentOf(bytes, total) });
      report('transferring', sub.ackedOffset);
      const parts: Uint8Array[] = [];
      if (sub.ackedOffset > 0) parts.push(await image.read(0, sub.ackedOffset, { signal }));
      while (sub.ackedOffset < total) {
        const behaviour = sub.firmwareBehaviour;
        if (typeof behaviour === 'object' && 'rebootAt' in behaviour && sub.ackedOffset >= behaviour.rebootAt) {
          sub.firmwareBehaviour = 'success';
          this.detach(subdevice, behaviour.goodbye ? 'goodbye' : 'link_lost');
          this.attach(subdevice, sub.version);
          throw new LinkError('link.disconnected', `${subdeviceKey(subdevice)} rebooted at byte ${sub.ackedOffset} of ${total}`);
        }
        if (typeof behaviour === 'object' && 'cutAt' in behaviour && sub.ackedOffset >= behaviour.cutAt) {
          sub.firmwareBehaviour = 'success';
          this.detach(subdevice, 'link_lost');
          throw new LinkError('link.disconnected', `${subdeviceKey(subdevice)} went away at byte ${sub.ackedOffset} of ${total}`);
        }
        let length = Math.min(chunk, total - sub.ackedOffset);
        const stopAt = typeof behaviour === 'object' ? ('cutAt' in behaviour ? behaviour.cutAt : 'rebootAt' in behaviour ? behaviour.rebootAt : undefined) : undefined;
        if (stopAt !== undefined && stopAt > sub.ackedOffset) length = Math.min(length, stopAt - sub.ackedOffset);
        const bytes = await image.read(sub.ackedOffset, length, { signal });
        await turn();
        if (!sub.attached || !this.#started) {
          throw new LinkError('link.disconnected', `${subdeviceKey(subdevice)} went away at byte ${sub.ackedOffset} of ${total}`);
        }
        parts.push(bytes);
        sub.ackedOffset += bytes.length;
        report('transferring', sub.ackedOffset);
      }
      report('applying', total);
      await turn();
      const verdict = sub.firmwareBehaviour;
      sub.ackedOffset = 0;
      sub.ackedImage = undefined;
      sub.lastImage = concat(parts, total);
      if (typeof verdict === 'object' && 'fail' in verdict) {
        return { ok: false, code: verdict.fail, message: verdict.message };
      }
      sub.version = image.job.version;
      return { ok: true, version: sub.version };
    });
  }

  // --- test controls ---

  /** A subdevice appears (or comes back: its acknowledged firmware offset survives). */
  attach(subdevice: SubdeviceId, version: string): ScriptedSubdevice {
    const key = subdeviceKey(subdevice);
    const sub = this.#subdevices.get(key) ?? new ScriptedSubdevice(subdevice, version);
    sub.version = version;
    sub.attached = true;
    this.#subdevices.set(key, sub);
    if (this.#started) this.#announce(sub);
    return sub;
  }

  detach(subdevice: SubdeviceId, reason: DetachReason = 'link_lost'): void {
    const sub = this.#subdevices.get(subdeviceKey(subdevice));
    if (!sub?.attached) return;
    sub.attached = false;
    if (this.#started) this.#events.emit('detached', { subdevice, reason });
  }

  /**
   * The subdevice sends `payload` up to the gateway. On a reliable link (the default) listeners may
   * hold the acknowledgement with `acknowledgeWhen`; the reading then lands in the subdevice's
   * `acknowledged` or `notAcknowledged` list once their promises settle (at once without one).
   */
  emitData(subdevice: SubdeviceId, payload: Uint8Array | string, channel?: string): void {
    const sub = this.#attached(subdevice);
    const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : Uint8Array.from(payload);
    const named = channel === undefined ? {} : { channel };
    if (!this.capabilities.isReliable) {
      this.#events.emit('data', { subdevice, payload: bytes, ...named });
      return;
    }
    const durable: Array<Promise<unknown>> = [];
    const acknowledgeWhen = (p: Promise<unknown>): void => {
      durable.push(p);
    };
    this.#events.emit('data', { subdevice, payload: bytes, acknowledgeWhen, ...named });
    if (durable.length === 0) {
      sub.acknowledged.push(bytes);
      return;
    }
    Promise.all(durable).then(
      () => sub.acknowledged.push(bytes),
      () => sub.notAcknowledged.push(bytes),
    );
  }

  /** The scripted subdevice (attached or not), for inspection and behaviour changes. */
  subdevice(subdevice: SubdeviceId): ScriptedSubdevice | undefined {
    return this.#subdevices.get(subdeviceKey(subdevice));
  }

  setFirmwareBehaviour(subdevice: SubdeviceId, behaviour: MemoryFirmwareBehaviour): void {
    const sub = this.#subdevices.get(subdeviceKey(subdevice));
    if (!sub) throw new ValidationError(`no scripted subdevice ${subdeviceKey(subdevice)}: attach it first`);
    sub.firmwareBehaviour = behaviour;
  }

  /** Asks the scripted subdevice's `requestHandler`; the port's contract (RequestCapableLink) in memory. */
  request(subdevice: SubdeviceId, payload: Uint8Array, options: CallOptions = {}): Promise<Uint8Array> {
    return withDeadline(`request to ${subdeviceKey(subdevice)}`, options, DEFAULT_REQUEST_TIMEOUT_MS, async () => {
      const sub = this.#attached(subdevice);
      const handler = sub.requestHandler;
      if (!handler) throw new LinkError('link.unavailable', `${subdeviceKey(subdevice)} takes no requests (its firmware did not announce them)`);
      sub.requests.push(Uint8Array.from(payload));
      await turn();
      return Uint8Array.from(await handler(Uint8Array.from(payload)));
    });
  }

  sendShadowDelta(subdevice: SubdeviceId, delta: { readonly version: number; readonly state: ShadowState }, options: CallOptions = {}): Promise<void> {
    return withDeadline(`shadow delta to ${subdeviceKey(subdevice)}`, options, this.#sendTimeoutMs, async () => {
      const sub = this.#attached(subdevice);
      if (!sub.acceptsShadow) throw new LinkError('link.unavailable', `${subdeviceKey(subdevice)} takes no shadow deltas`);
      await turn();
      sub.shadowDeltas.push({ version: delta.version, state: structuredClone(delta.state) });
    });
  }

  acceptsShadow(subdevice: SubdeviceId): boolean {
    const sub = this.#subdevices.get(subdeviceKey(subdevice));
    return this.#started && sub?.attached === true && sub.acceptsShadow;
  }

  /** Test control: the subdevice reports shadow state (`shadowReported`). */
  reportShadow(subdevice: SubdeviceId, reported: ShadowState): void {
    this.#events.emit('shadowReported', { subdevice, reported });
  }

  #attached(subdevice: SubdeviceId): ScriptedSubdevice {
    const sub = this.#subdevices.get(subdeviceKey(subdevice));
    if (!this.#started || !sub?.attached) {
      throw new LinkError('link.unknown_subdevice', `${subdeviceKey(subdevice)} is not attached to link ${this.name}`);
    }
    return sub;
  }

  #announce(sub: ScriptedSubdevice): void {
    this.#events.emit('attached', { subdevice: sub.subdevice, firmwareVersion: sub.version });
  }
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
