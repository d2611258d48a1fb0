import { readFile } from 'node:fs/promises';
import { connect as mqttConnect, type IClientOptions, type MqttClient } from 'mqtt';
import {
  CancelledError,
  HubAuthError,
  HubDisconnectedError,
  isValidFirmwareVersion,
  silentLogger,
  SystemClock,
  TimeoutError,
  subdeviceKey,
  toGatewayError,
  TypedEmitter,
  ValidationError,
  withDeadline,
  type BindRequest,
  type CallOptions,
  type DataChannel,
  type GatewayError,
  type GatewayIdentity,
  type HubConnectionState,
  type HubTransport,
  type HubTransportEvents,
  type Logger,
  type OtaReport,
  type PublishOptions,
  type SubdeviceId,
  type SubdeviceResult,
  type Subscription,
} from '@iotgw/domain';
import {
  buildKeyAuth,
  createBindEntry,
  dataTopic,
  decodeGatewayReply,
  decodeOtaHubMessage,
  describeGatewayResult,
  encodeGatewayRequest,
  encodeReportProgress,
  encodeReportVersion,
  gatewayOperationResultTopic,
  gatewayOperationTopic,
  keyAuthClientId,
  keyAuthUsername,
  otaReportTopic,
  otaUpdateTopic,
  parseTopic,
  randomConnId,
  type GatewayRequest,
  type ResultOperation,
} from '@iotgw/protocol-tencent';
import { Backoff } from './backoff.js';
import { OperationCorrelator } from './operation-correlator.js';
import { EchoFilter } from './echo-filter.js';
import { Outbox } from './outbox.js';
import { OutboxOverflowError } from './outbox-overflow.error.js';
import { resolveEndpoint, type MqttHubTransportOptions, type OutboxOverflowPolicy, type ResolvedEndpoint } from './mqtt-hub-transport.options.js';

const DEFAULT_OPERATION_TIMEOUT_MS = 10_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
const CHANNEL = /^[A-Za-z0-9_\-.:@]+(\/[A-Za-z0-9_\-.:@]+)*$/;

function toBuffer(bytes: Uint8Array | string): Buffer {
  return typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Waits for `promise` unless `signal` fires first (then rejects with the signal's reason). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * HubTransport over one MQTT 3.1.1 connection (mqtt.js) to Tencent Cloud IoT Hub.
 *
 * One mqtt.js client per connection attempt, with mqtt.js's own reconnect off: this class owns
 * backoff, resubscription and QoS 1 redelivery (the Outbox), so a message is in exactly one place.
 */
export class MqttHubTransport implements HubTransport {
  readonly gateway: GatewayIdentity;
  readonly #options: MqttHubTransportOptions;
  readonly #endpoint: ResolvedEndpoint;
  readonly #log: Logger;
  readonly #events: TypedEmitter<HubTransportEvents>;
  readonly #correlator = new OperationCorrelator();
  readonly #outbox: Outbox;
  readonly #backoff: Backoff;
  readonly #opTimeoutMs: number;
  readonly #batchSize: number;
  readonly #channels: readonly string[];
  readonly #capacity: number;
  readonly #overflow: OutboxOverflowPolicy;
  /** topic → QoS: everything to (re)subscribe on each connection. */
  readonly #subscriptions = new Map<string, 0 | 1>();
  readonly #echoes = new EchoFilter();
  readonly #clock = new SystemClock();
  /** How to remove our listeners from each client (see #stopListening). */
  readonly #detach = new WeakMap<MqttClient, () => void>();
  /** close() waiting for acknowledgements: checked on every PUBACK and state change. */
  readonly #drained = new Set<() => void>();
  /**
   * Subdevices the hub accepted online on the current connection. Only their data topics may be
   * used: the hub drops a gateway that publishes or subscribes a subdevice's data topic while the
   * subdevice is offline, and it forgets every online subdevice when the gateway disconnects.
   */
  readonly #onlineNow = new Set<string>();
  /** Outbox entries written to the current connection and not acknowledged yet. */
  readonly #inFlight = new Set<number>();
  /** Subdevices whose data is being held for a later online (logged once each). */
  readonly #holding = new Set<string>();
  #state: HubConnectionState = 'idle';
  #client: MqttClient | undefined;
  #connecting: Promise<void> | undefined;
  #outboxLoad: Promise<void> | undefined;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #reconnectAbort: AbortController | undefined;
  #dropped = 0;

  constructor(options: MqttHubTransportOptions) {
    this.#options = options;
    this.gateway = { productId: options.gateway.productId, deviceName: options.gateway.deviceName };
    this.#endpoint = resolveEndpoint(options);
    this.#log = (options.logger ?? silentLogger).child({ gateway: subdeviceKey(this.gateway) });
    this.#events = new TypedEmitter<HubTransportEvents>((error, event) =>
      this.#log.error('a listener threw', { event, error: error instanceof Error ? error.message : String(error) }),
    );
    this.#opTimeoutMs = options.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
    this.#batchSize = Math.max(1, options.batchSize ?? 50);
    this.#channels = options.dataChannels ?? ['data'];
    this.#capacity = Math.max(1, options.outbox?.capacity ?? 1000);
    this.#overflow = options.outbox?.overflow ?? 'drop-oldest';
    const key = options.outbox?.key ?? `mqtt/outbox/${this.gateway.productId}/${this.gateway.deviceName}`.toLowerCase();
    this.#outbox = new Outbox(options.outbox?.store, key);
    this.#backoff = new Backoff(options.reconnect?.initialDelayMs, options.reconnect?.maxDelayMs, options.reconnect?.jitter);
    this.#subscriptions.set(gatewayOperationResultTopic(this.gateway), 1);
    if (options.insecureSkipVerify) {
      this.#log.warn('TLS certificate verification is OFF (insecureSkipVerify): anyone on the path can pose as the hub');
    }
  }

  get state(): HubConnectionState {
    return this.#state;
  }

  /** QoS 1 messages not yet acknowledged by the hub, and how many the outbox dropped. */
  get outboxStats(): { readonly size: number; readonly dropped: number } {
    return { size: this.#outbox.size, dropped: this.#dropped };
  }

  on<K extends keyof HubTransportEvents & string>(event: K, listener: HubTransportEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  // ---------------------------------------------------------------- connection

  async connect(options: CallOptions = {}): Promise<void> {
    this.#assertOpen();
    if (this.#state === 'connected' || this.#state === 'reconnecting') return;
    this.#connecting ??= this.#firstConnect(options).finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #firstConnect(options: CallOptions): Promise<void> {
    this.#setState('connecting');
    let lastFailure: Error | undefined;
    try {
      await withDeadline('connecting to the hub', options, this.#options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, async (deadline) => {
        // `close` must be able to stop a first connect too, not only the deadline.
        const abort = new AbortController();
        this.#reconnectAbort = abort;
        deadline.addEventListener('abort', () => abort.abort(deadline.reason), { once: true });
        const signal = abort.signal;
        await this.#outboxLoaded();
        for (;;) {
          try {
            await this.#open(signal);
            return;
          } catch (error) {
            if (error instanceof HubAuthError || signal.aborted || this.#state === 'closed') throw error;
            lastFailure = error as Error;
            const delay = this.#backoff.next();
            this.#log.warn('connection to the hub failed; retrying', { delayMs: delay, reason: (error as Error).message });
            // A cancelled wait must clear its timer, or it holds a stopping process open for up to the backoff.
            await this.#clock.sleep(delay, signal).catch((e: unknown) => {
              // The abort's own reason (closed, deadline) is the caller's answer, not "sleep cancelled".
              throw signal.reason instanceof Error ? signal.reason : e;
            });
          }
        }
      });
    } catch (error) {
      if (this.#state !== 'closed') this.#setState('idle');
      // A deadline alone says nothing: the last attempt's reason (and hint) is what the user can act on.
      if (error instanceof TimeoutError && lastFailure) {
        throw new TimeoutError(`connecting to the hub (last attempt: ${lastFailure.message})`, error.timeoutMs, { cause: lastFailure });
      }
      throw toGatewayError(error, 'connecting to the hub failed');
    } finally {
      this.#reconnectAbort = undefined;
    }
    this.#backoff.reset();
    this.#setState('connected');
    this.#flushOutbox();
  }

  async #clientOptions(): Promise<IClientOptions> {
    const { host, port, tls } = this.#endpoint;
    const auth = this.#options.auth;
    const clientId = keyAuthClientId(this.gateway.productId, this.gateway.deviceName);
    const expiry = Math.floor(Date.now() / 1000) + 3600;
    const base: IClientOptions = {
      host,
      port,
      protocol: tls ? 'mqtts' : 'mqtt',
      protocolVersion: 4,
      clean: true,
      keepalive: this.#options.keepaliveSeconds ?? 60,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      resubscribe: false,
      queueQoSZero: false,
      clientId,
    };
    if (tls) {
      base.rejectUnauthorized = !this.#options.insecureSkipVerify;
      if (this.#options.caFile) base.ca = await readFile(this.#options.caFile);
    }
    if (auth.mode === 'KEY') {
      // Fresh credentials per attempt: the username carries an expiry.
      const c = buildKeyAuth({ ...this.gateway, deviceSecret: auth.deviceSecret, expiry, ...(auth.signMethod ? { signMethod: auth.signMethod } : {}) });
      return { ...base, username: c.username, password: c.password };
    }
    const [cert, key] = await Promise.all([readFile(auth.certFile), readFile(auth.keyFile)]);
    return { ...base, username: keyAuthUsername(clientId, randomConnId(), expiry), cert, key };
  }

  /** One connection attempt: resolves once connected and every subscription is back. */
  async #open(signal: AbortSignal): Promise<void> {
    const opts = await this.#clientOptions();
    this.#log.info('connecting to the hub', { host: this.#endpoint.host, port: this.#endpoint.port, tls: this.#endpoint.tls });
    const client = mqttConnect(opts);
    // mqtt.js emits 'error' for socket and protocol errors; without a listener they would crash.
    client.on('error', (e) => this.#log.debug('mqtt client error', { reason: e.message }));
    try {
      await new Promise<void>((resolve, reject) => {
        const cleanup = (): void => {
          client.off('connect', onConnect);
          client.off('error', onError);
          client.off('close', onClose);
          signal.removeEventListener('abort', onAbort);
        };
        const onConnect = (): void => {
          cleanup();
          resolve();
        };
        const onError = (e: Error & { code?: unknown }): void => {
          cleanup();
          if (e.code === 4 || e.code === 5) {
            reject(new HubAuthError(`the hub refused the gateway's credentials (CONNACK ${String(e.code)}): check productId, deviceName and the secret or certificate`, { cause: e }));
          } else {
            reject(new HubDisconnectedError(`cannot connect to ${this.#endpoint.host}:${this.#endpoint.port}: ${e.message}${this.#tlsHint(e)}`, { cause: e }));
          }
        };
        const onClose = (): void => {
          cleanup();
          reject(new HubDisconnectedError(`connection to ${this.#endpoint.host}:${this.#endpoint.port} closed before the hub accepted it`));
        };
        const onAbort = (): void => {
          cleanup();
          reject(signal.reason instanceof Error ? signal.reason : new CancelledError('connecting'));
        };
        client.on('connect', onConnect);
        client.on('error', onError);
        client.on('close', onClose);
        signal.addEventListener('abort', onAbort, { once: true });
      });
      if (this.#state === 'closed') throw new HubDisconnectedError('transport closed while connecting');
      const onMessage = (topic: string, payload: Buffer): void => this.#onMessage(topic, payload);
      const onLost = (): void => this.#onLost(client);
      client.on('message', onMessage);
      client.on('close', onLost);
      this.#detach.set(client, () => {
        client.off('message', onMessage);
        client.off('close', onLost);
      });
      this.#client = client;
      const all = Object.fromEntries([...this.#subscriptions].map(([topic, qos]) => [topic, { qos }]));
      await untilAborted(client.subscribeAsync(all), signal);
    } catch (error) {
      if (this.#client === client) this.#client = undefined;
      this.#stopListening(client);
      client.end(true);
      throw error;
    }
  }

  /** A TLS handshake against a plain MQTT port fails obscurely: name the likely fix. */
  #tlsHint(error: Error & { code?: unknown }): string {
    if (!this.#endpoint.tls) return '';
    const plainPeer = /before secure TLS connection|wrong version number|EPROTO|packet length too long/i.test(`${error.message} ${String(error.code)}`);
    return plainPeer ? ' (TLS is on by default: if this hub or emulator speaks plain MQTT on this port, set tls to false)' : '';
  }

  /**
   * Removes only our listeners: mqtt.js listens to its own 'close' too (it clears its CONNACK
   * timer there), and removing that left a 10 s timer holding a stopped gateway's process open.
   */
  #stopListening(client: MqttClient): void {
    this.#detach.get(client)?.();
    this.#detach.delete(client);
  }

  #onLost(client: MqttClient): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    this.#stopListening(client);
    client.end(true);
    this.#log.warn('connection to the hub lost; reconnecting');
    this.#forgetOnline();
    this.#correlator.rejectAll();
    this.#setState('reconnecting');
    this.#settleInFlightAsQueued();
    this.#scheduleReconnect();
  }

  /** In-flight QoS 1 messages are now the offline queue: persist them, then let callers go. */
  #settleInFlightAsQueued(): void {
    const waiting = this.#outbox.entries().filter((e) => e.settle);
    const settleAll = (): void => {
      for (const e of waiting) {
        const settle = e.settle;
        e.settle = undefined;
        settle?.();
      }
    };
    this.#outbox.persist().then(settleAll, (error: unknown) => {
      this.#emitError(toGatewayError(error, 'persisting the outbox failed'));
      settleAll();
    });
  }

  #scheduleReconnect(): void {
    if (this.#state === 'closed') return;
    const delay = this.#backoff.next();
    const attempt = this.#backoff.attempt;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      void this.#reconnect(attempt); // errors are handled inside: it reschedules itself
    }, delay);
  }

  async #reconnect(attempt: number): Promise<void> {
    if (this.#state === 'closed') return;
    const abort = new AbortController();
    this.#reconnectAbort = abort;
    try {
      await this.#open(abort.signal);
    } catch (error) {
      if (this.#isClosed()) return;
      if (error instanceof HubAuthError) this.#emitError(error);
      this.#log.warn('reconnect failed', { attempt, reason: (error as Error).message });
      this.#scheduleReconnect();
      return;
    } finally {
      this.#reconnectAbort = undefined;
    }
    this.#backoff.reset();
    this.#setState('connected');
    this.#flushOutbox();
    this.#log.info('reconnected to the hub', { attempt });
    this.#events.emit('reconnected', { attempt });
  }

  /**
   * Stops the transport. While connected it first waits (bounded by the call's timeout) for the
   * hub to acknowledge every QoS 1 message in flight, so an orderly stop delivers them now instead
   * of leaving them to the next start; whatever is still unacknowledged then is persisted.
   */
  async close(options: CallOptions = {}): Promise<void> {
    if (this.#state === 'closed') return;
    await this.#drainOutbox(options);
    if (this.#isClosed()) return; // a concurrent close finished while this one waited
    this.#setState('closed');
    this.#events.clear();
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#reconnectAbort?.abort(new HubDisconnectedError('transport closed'));
    this.#correlator.rejectAll(new HubDisconnectedError('transport closed before the reply'));
    const client = this.#client;
    this.#client = undefined;
    if (client) {
      this.#stopListening(client);
      await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
    }
    // Unacknowledged QoS 1 messages are kept for the next start.
    const waiting = this.#outbox.entries().filter((e) => e.settle);
    try {
      // Bounded: a disk that never answers (a hung mount) must not hang the gateway's stop.
      await withDeadline('persisting the outbox', options, this.#opTimeoutMs, () => this.#outbox.persist());
    } catch (error) {
      this.#log.error('persisting the outbox at close failed', { reason: (error as Error).message });
    }
    for (const e of waiting) e.settle?.();
  }

  // ---------------------------------------------------------------- operations

  online(subdevices: readonly SubdeviceId[], options: CallOptions = {}): Promise<SubdeviceResult[]> {
    return this.#resultOperation('online', subdevices, (devices) => ({ type: 'online', devices }), options);
  }

  offline(subdevices: readonly SubdeviceId[], options: CallOptions = {}): Promise<SubdeviceResult[]> {
    return this.#resultOperation('offline', subdevices, (devices) => ({ type: 'offline', devices }), options);
  }

  unbind(subdevices: readonly SubdeviceId[], options: CallOptions = {}): Promise<SubdeviceResult[]> {
    return this.#resultOperation('unbind', subdevices, (devices) => ({ type: 'unbind', devices }), options);
  }

  bind(requests: readonly BindRequest[], options: CallOptions = {}): Promise<SubdeviceResult[]> {
    const secrets = new Map<string, string>();
    for (const r of requests) if (!secrets.has(subdeviceKey(r.subdevice))) secrets.set(subdeviceKey(r.subdevice), r.secret);
    return this.#resultOperation(
      'bind',
      requests.map((r) => r.subdevice),
      (devices) => ({
        type: 'bind',
        devices: devices.map((d) => createBindEntry({ subdevice: d, secret: secrets.get(subdeviceKey(d)) ?? '' })),
      }),
      options,
    );
  }

  async listBound(options: CallOptions = {}): Promise<SubdeviceId[]> {
    this.#assertOpen();
    return withDeadline('listing bound subdevices', options, this.#opTimeoutMs, async (signal) => {
      const client = this.#requireConnected();
      const wait = this.#correlator.waitList();
      try {
        if (wait.fresh) await this.#sendRequest(client, { type: 'describe_sub_devices' });
        return await untilAborted(wait.promise, signal);
      } finally {
        wait.release();
      }
    });
  }

  async #resultOperation(
    type: ResultOperation,
    subdevices: readonly SubdeviceId[],
    request: (devices: SubdeviceId[]) => GatewayRequest,
    options: CallOptions,
  ): Promise<SubdeviceResult[]> {
    this.#assertOpen();
    if (subdevices.length === 0) return [];
    return withDeadline(`${type} of ${subdevices.length} subdevice(s)`, options, this.#opTimeoutMs, async (signal) => {
      const client = this.#requireConnected();
      const unique = new Map<string, SubdeviceId>();
      for (const s of subdevices) if (!unique.has(subdeviceKey(s))) unique.set(subdeviceKey(s), s);
      const codes = new Map<string, number>();
      const waits: Array<ReturnType<OperationCorrelator['waitResult']> & { readonly d: SubdeviceId }> = [];
      try {
        const sends: Array<Promise<void>> = [];
        for (const batch of chunks([...unique.values()], this.#batchSize)) {
          const batchWaits = batch.map((d) => ({ d, ...this.#correlator.waitResult(type, d) }));
          waits.push(...batchWaits);
          // A subdevice someone else already asked about shares that request's reply.
          const fresh = batchWaits.filter((w) => w.fresh).map((w) => w.d);
          if (fresh.length > 0) sends.push(this.#sendRequest(client, request(fresh)));
        }
        // One abort listener for the whole call, however many batches it has.
        await untilAborted(Promise.all(sends), signal);
        const results = await untilAborted(Promise.all(waits.map((w) => w.promise)), signal);
        waits.forEach((w, i) => codes.set(subdeviceKey(w.d), results[i] ?? -2));
      } finally {
        for (const w of waits) w.release();
      }
      await this.#followSubscriptions(type, [...unique.values()].filter((d) => codes.get(subdeviceKey(d)) === 0));
      return subdevices.map((s) => {
        const hubCode = codes.get(subdeviceKey(s)) ?? -2;
        return { subdevice: s, ok: hubCode === 0, hubCode, message: describeGatewayResult(hubCode) };
      });
    });
  }

  /** An online subdevice's downlink and OTA topics are subscribed; offline/unbound ones dropped. */
  async #followSubscriptions(type: ResultOperation, devices: SubdeviceId[]): Promise<void> {
    if (devices.length === 0 || type === 'bind') return;
    const topics = this.#topicsOf(devices);
    const client = this.#client;
    if (type === 'online') {
      for (const d of devices) this.#onlineNow.add(subdeviceKey(d));
      for (const [t, q] of topics) this.#subscriptions.set(t, q);
      if (client) await client.subscribeAsync(Object.fromEntries([...topics].map(([t, qos]) => [t, { qos }])));
      // Data held while these subdevices were not online goes out now, oldest first.
      this.#flushOutbox();
    } else {
      this.#notOnline(devices);
      if (client) await client.unsubscribeAsync([...topics.keys()]);
    }
  }

  /** The topics an online subdevice is followed on (data channels QoS 0, firmware updates QoS 1). */
  #topicsOf(devices: readonly SubdeviceId[]): Map<string, 0 | 1> {
    const topics = new Map<string, 0 | 1>();
    for (const d of devices) {
      for (const channel of this.#channels) topics.set(dataTopic(d, channel), 0);
      topics.set(otaUpdateTopic(d), 1);
    }
    return topics;
  }

  /** `devices` may no longer use their data topics (offline, unbound, or the hub unbound them). */
  #notOnline(devices: readonly SubdeviceId[]): void {
    for (const d of devices) this.#onlineNow.delete(subdeviceKey(d));
    for (const topic of this.#topicsOf(devices).keys()) this.#subscriptions.delete(topic);
  }

  /** The console unbound `devices`: they cannot be online; stop following their topics. */
  #unfollowUnbound(devices: readonly SubdeviceId[]): void {
    this.#notOnline(devices);
    // Best effort: the hub already stopped routing them; an error here changes nothing.
    this.#client?.unsubscribe([...this.#topicsOf(devices).keys()], () => undefined);
  }

  /** The hub forgot every online subdevice: a new connection starts with the gateway's own topics. */
  #forgetOnline(): void {
    this.#onlineNow.clear();
    this.#inFlight.clear();
    for (const topic of [...this.#subscriptions.keys()]) {
      if (topic !== gatewayOperationResultTopic(this.gateway)) this.#subscriptions.delete(topic);
    }
  }

  /** The subdevice whose data topic this is, or undefined for any other topic. */
  #dataSubdevice(topic: string): string | undefined {
    const parsed = parseTopic(topic);
    return parsed?.kind === 'data' ? subdeviceKey(parsed.device) : undefined;
  }

  /** True for data of a subdevice (`dataOf`, its key) that is not online: it cannot be sent yet. */
  #waitsForOnline(dataOf: string | undefined): boolean {
    return dataOf !== undefined && !this.#onlineNow.has(dataOf);
  }

  async #sendRequest(client: MqttClient, request: GatewayRequest): Promise<void> {
    // QoS 0 like the SDKs: the reply (or its absence → timeout) is the acknowledgement.
    await client.publishAsync(gatewayOperationTopic(this.gateway), encodeGatewayRequest(request), { qos: 0 });
  }

  // ---------------------------------------------------------------- uplink

  publishData(subdevice: SubdeviceId, channel: DataChannel, payload: Uint8Array, options: PublishOptions = {}): Promise<void> {
    if (!CHANNEL.test(channel)) {
      return Promise.reject(new ValidationError(`channel ${JSON.stringify(channel)} is not valid: use e.g. "data" or "event"`));
    }
    const topic = dataTopic(subdevice, channel);
    return this.#publish(topic, payload, options.qos ?? 1, options, subdeviceKey(subdevice));
  }

  reportVersion(subdevice: SubdeviceId, version: string, options: CallOptions = {}): Promise<void> {
    if (!isValidFirmwareVersion(version)) {
      return Promise.reject(new ValidationError(`firmware version ${JSON.stringify(version)} must be 1 to 32 characters`));
    }
    return this.#publish(otaReportTopic(subdevice), encodeReportVersion(version), 1, options);
  }

  async reportFirmwareProgress(subdevice: SubdeviceId, report: OtaReport, options: CallOptions = {}): Promise<void> {
    const payload = encodeReportProgress(report);
    if (report.state === 'downloading' && !this.#client?.connected) {
      this.#assertOpen();
      // Lossy by design (QoS 0): a missed percentage is superseded by the next one.
      this.#log.debug('download progress not sent: disconnected', { subdevice: subdeviceKey(subdevice) });
      return;
    }
    return this.#publish(otaReportTopic(subdevice), payload, report.state === 'downloading' ? 0 : 1, options);
  }

  /** `dataOf`: the subdevice key when `topic` is its data topic (known here, so the hot path parses nothing). */
  async #publish(topic: string, payload: Uint8Array | string, qos: 0 | 1, options: CallOptions, dataOf?: string): Promise<void> {
    this.#assertOpen();
    const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
    if (qos === 0) {
      const client = this.#requireConnected();
      if (this.#waitsForOnline(dataOf)) {
        // Lossy by design, and sending it would get the gateway disconnected.
        this.#log.debug('QoS 0 data not sent: the subdevice is not online', { topic });
        return;
      }
      const send = (): Promise<void> =>
        new Promise<void>((resolve, reject) => {
          this.#rememberEcho(topic, bytes);
          client.publish(topic, toBuffer(bytes), { qos: 0 }, (error) =>
            error ? reject(new HubDisconnectedError(`publishing to ${topic} failed: ${error.message}`, { cause: error })) : resolve(),
          );
        });
      // A QoS 0 write completes locally; a deadline is only worth its timer when the caller asked.
      if (!options.signal && options.timeoutMs === undefined) return send();
      await withDeadline(`publishing to ${topic}`, options, this.#opTimeoutMs, send);
      return;
    }
    const work = async (): Promise<void> => {
      await this.#outboxLoaded();
      this.#assertOpen();
      await this.#publishQos1(topic, bytes, dataOf);
    };
    // Without a caller deadline no timer per message: the wait ends at PUBACK or, when the
    // connection dies (keepalive notices within 1.5x), once the message is queued for resend.
    if (!options.signal && options.timeoutMs === undefined) return work();
    await withDeadline(`publishing to ${topic}`, options, this.#opTimeoutMs, work);
  }

  #publishQos1(topic: string, bytes: Uint8Array, dataOf: string | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const client = this.#client;
      const connected = client?.connected === true && this.#state === 'connected';
      // Queued messages for this topic were flushed when the connection (or the subdevice's online)
      // came, so a direct send cannot overtake them.
      if (client && connected && !this.#waitsForOnline(dataOf)) {
        this.#send(client, this.#outbox.add(topic, bytes, resolve));
        return;
      }
      if (connected && dataOf !== undefined) this.#noteHolding(dataOf);
      if (this.#outbox.size >= this.#capacity) {
        this.#dropped++;
        const error = new OutboxOverflowError(this.#overflow, this.#capacity, this.#dropped);
        this.#emitError(error);
        if (this.#overflow === 'reject') return reject(error);
        if (this.#overflow === 'drop-newest') return resolve();
        const oldest = this.#outbox.oldest();
        if (oldest) {
          this.#outbox.remove(oldest.id);
          oldest.settle?.();
        }
      }
      this.#outbox.add(topic, bytes);
      this.#outbox.persist().then(resolve, (e: unknown) => reject(toGatewayError(e, 'persisting the outbox failed')));
    });
  }

  #send(client: MqttClient, entry: { readonly id: number; readonly topic: string; readonly payload: Uint8Array; settle?: () => void }): void {
    this.#inFlight.add(entry.id);
    this.#rememberEcho(entry.topic, entry.payload);
    client.publish(entry.topic, toBuffer(entry.payload), { qos: 1 }, (error) => {
      this.#inFlight.delete(entry.id);
      // On error the connection is going away: the entry stays queued and is resent after reconnect.
      if (error) return;
      if (!this.#outbox.remove(entry.id)) return;
      const settle = entry.settle;
      entry.settle = undefined;
      settle?.();
      for (const check of this.#drained) check();
      if (this.#outbox.hasPersistedCopy) {
        this.#outbox.persist().catch((e: unknown) => this.#emitError(toGatewayError(e, 'persisting the outbox failed')));
      }
    });
  }

  async #drainOutbox(options: CallOptions): Promise<void> {
    if (!this.#client?.connected || this.#inFlight.size === 0) return;
    const inFlight = this.#inFlight.size;
    try {
      await withDeadline('waiting for the hub to acknowledge queued messages', options, this.#opTimeoutMs, (signal) =>
        new Promise<void>((resolve) => {
          const check = (): void => {
            if (this.#inFlight.size === 0 || !this.#client?.connected || signal.aborted) {
              this.#drained.delete(check);
              resolve();
            }
          };
          this.#drained.add(check);
          signal.addEventListener('abort', check, { once: true });
          check();
        }),
      );
      this.#log.debug('queued messages acknowledged before close', { count: inFlight });
    } catch (error) {
      this.#log.warn('closing with unacknowledged messages; they are kept for the next start', {
        count: this.#inFlight.size,
        reason: toGatewayError(error).message,
      });
    }
  }

  /**
   * Remembered when the bytes are written, not when the caller published: data held until its
   * subdevice was online (or queued while disconnected) is subscribed only by the time it goes out,
   * and its echo must still not come back down as a command.
   */
  #rememberEcho(topic: string, payload: Uint8Array): void {
    if (this.#subscriptions.has(topic)) this.#echoes.remember(topic, payload);
  }

  /** Sends the queue in order on a fresh connection (mqtt.js keeps publish order on one socket). */
  #flushOutbox(): void {
    const client = this.#client;
    if (!client?.connected) return;
    const ready = this.#outbox.entries().flatMap((entry) => {
      if (this.#inFlight.has(entry.id)) return [];
      const subdevice = this.#dataSubdevice(entry.topic);
      return subdevice === undefined || this.#onlineNow.has(subdevice) ? [{ entry, subdevice }] : [];
    });
    if (ready.length > 0) this.#log.info('sending queued messages', { count: ready.length });
    for (const { entry, subdevice } of ready) {
      if (subdevice !== undefined) this.#holding.delete(subdevice);
      this.#send(client, entry);
    }
  }

  #noteHolding(key: string): void {
    if (this.#holding.has(key)) return;
    this.#holding.add(key);
    this.#log.warn('data held until the subdevice is online at the hub (sending it now would get the gateway disconnected)', { subdevice: key });
  }

  // ---------------------------------------------------------------- downlink

  #onMessage(topic: string, payload: Buffer): void {
    const parsed = parseTopic(topic);
    if (!parsed) {
      this.#log.debug('message on an unknown topic ignored', { topic });
      return;
    }
    if (parsed.kind === 'data') {
      if (this.#echoes.isEcho(topic, payload)) return;
      this.#events.emit('downlink', { subdevice: parsed.device, channel: parsed.channel, payload: new Uint8Array(payload) });
      return;
    }
    if (parsed.kind === 'gateway-operation-result') {
      const reply = decodeGatewayReply(payload);
      if (!reply.ok) return this.#emitError(reply.error);
      const r = reply.value;
      if (r.type === 'change') {
        if (r.status !== 1) this.#unfollowUnbound(r.devices);
        this.#events.emit('bindingChanged', { subdevices: r.devices, bound: r.status === 1 });
      } else if (r.type === 'describe_sub_devices') {
        this.#correlator.resolveList([...r.devices]);
      } else {
        for (const d of r.devices) this.#correlator.resolveResult(r.type, d.subdevice, d.result);
      }
      return;
    }
    if (parsed.kind === 'ota-update') {
      const message = decodeOtaHubMessage(payload);
      if (!message.ok) return this.#emitError(message.error);
      if (message.value.type === 'update_firmware') {
        this.#events.emit('firmwareUpdate', { subdevice: parsed.device, job: message.value.job });
      } else if (message.value.type === 'update_firmware_refused') {
        // The OTA use case reports it to the hub and logs it once.
        const { version, reason } = message.value;
        this.#events.emit('firmwareUpdateRefused', { subdevice: parsed.device, version, reason });
      } else {
        this.#log.debug('version report acknowledged', {
          subdevice: subdeviceKey(parsed.device),
          resultCode: message.value.resultCode,
        });
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  #setState(state: HubConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#events.emit('state', state);
    for (const check of this.#drained) check();
  }

  #emitError(error: GatewayError): void {
    this.#log.warn(error.message, { code: error.code });
    this.#events.emit('error', error);
  }

  /** Loads the stored queue once, before anything new is queued behind it. A failed load is retried. */
  #outboxLoaded(): Promise<void> {
    this.#outboxLoad ??= this.#outbox.load().catch((error: unknown) => {
      this.#outboxLoad = undefined;
      throw toGatewayError(error, 'loading the outbox failed');
    });
    return this.#outboxLoad;
  }

  // A method, not an inline comparison: the state changes across awaits, which narrowing ignores.
  #isClosed(): boolean {
    return this.#state === 'closed';
  }

  #assertOpen(): void {
    if (this.#state === 'closed') throw new HubDisconnectedError('the transport is closed');
  }

  #requireConnected(): MqttClient {
    this.#assertOpen();
    const client = this.#client;
    if (!client?.connected || this.#state !== 'connected') {
      throw new HubDisconnectedError(`not connected to the hub (state ${this.#state})`);
    }
    return client;
  }
}
