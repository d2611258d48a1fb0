import {
  HubDisconnectedError,
  isValidFirmwareVersion,
  silentLogger,
  subdeviceKey,
  SystemClock,
  ThrottledLog,
  toGatewayError,
  TypedEmitter,
  ValidationError,
  withDeadline,
  type BindRequest,
  type CallOptions,
  type ChannelDeclaration,
  type Clock,
  type DataChannel,
  type GatewayDeviceServices,
  type GatewayIdentity,
  type HubChannels,
  type HubConnectionState,
  type HubRrpc,
  type HubShadows,
  type HubTimeService,
  type HubTransport,
  type HubTransportEvents,
  type Logger,
  type OtaReport,
  type PublishOptions,
  type ShadowDocument,
  type ShadowUpdate,
  type SubdeviceId,
  type SubdeviceResult,
  type Subscription,
  type UplinkBacklogReporter,
  type UplinkBacklogStats,
} from '@iotgw/domain';
import type { MqttClient } from 'mqtt';
import {
  configOperationResultTopic,
  configOperationTopic,
  dataTopic,
  encodeConfigGet,
  encodeLogLevelGet,
  encodeReportProgress,
  encodeReportVersion,
  isValidRrpcProcessId,
  logOperationResultTopic,
  logOperationTopic,
  otaReportTopic,
  rrpcReplyTopic,
  isValidChannel,
} from '@iotgw/protocol-tencent';
import { OfflineStore } from '@iotgw/offline-store';
import { DownlinkRouter } from './downlink-router.js';
import { EchoFilter } from './echo-filter.js';
import { GatewayOperations } from './gateway-operations.js';
import { HubConnection } from './hub-connection.js';
import { resolveEndpoint, type MqttHubTransportOptions } from './mqtt-hub-transport.options.js';
import { migrateLegacyOutbox } from './legacy-outbox.js';
import { OnlineGate } from './online-gate.js';
import { UNGATED, UplinkSender } from './uplink-sender.js';
import { ShadowOperations } from './shadow-operations.js';
import { TimeService } from './time-service.js';
import { untilAborted } from './until-aborted.js';
import { ProductChannels } from './product-channels.js';

const DEFAULT_OPERATION_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_PACKET_BYTES = 1024 * 1024;

/**
 * HubTransport over one MQTT 3.1.1 connection (mqtt.js) to Tencent Cloud IoT Hub. A façade over
 * five parts: the connection (auth, TLS, reconnect), the gateway operations (batching,
 * correlation, timeouts), the online gate (which subdevices may use their topics, what is
 * subscribed), the QoS 1 sender with its offline store, and the downlink router (echo filter).
 */
export class MqttHubTransport implements HubTransport, UplinkBacklogReporter, GatewayDeviceServices, HubRrpc, HubShadows, HubTimeService, HubChannels {
  readonly gateway: GatewayIdentity;
  readonly #events: TypedEmitter<HubTransportEvents>;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #options: MqttHubTransportOptions;
  readonly #opTimeoutMs: number;
  readonly #maxPacketBytes: number;
  readonly #connection: HubConnection;
  readonly #gate: OnlineGate;
  #channels: ProductChannels;
  readonly #operations: GatewayOperations;
  readonly #router: DownlinkRouter;
  readonly #echoes: EchoFilter;
  readonly #shadows: ShadowOperations;
  readonly #time: TimeService;
  #store: OfflineStore | undefined;
  #sender: UplinkSender | undefined;
  #storeOpening: Promise<UplinkSender> | undefined;
  #closed = false;
  #logRequests = 0;

  constructor(options: MqttHubTransportOptions) {
    this.#options = options;
    this.gateway = { productId: options.gateway.productId, deviceName: options.gateway.deviceName };
    this.#clock = options.clock ?? new SystemClock();
    this.#log = (options.logger ?? silentLogger).child({ gateway: subdeviceKey(this.gateway) });
    this.#events = new TypedEmitter<HubTransportEvents>((error, event) =>
      this.#log.error('a listener threw', { event, error: error instanceof Error ? error.message : String(error) }),
    );
    this.#opTimeoutMs = options.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
    this.#maxPacketBytes = options.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
    const warnings = new ThrottledLog(this.#log, this.#clock);
    this.#echoes = new EchoFilter(30_000, 100_000, () => this.#clock.now());
    this.#channels = new ProductChannels(options.dataChannels ?? ['data'], options.productChannels);
    this.#gate = new OnlineGate(this.gateway, (productId) => this.#channels.subscribedBy(productId), () => this.#sender?.kick());
    // The gateway's own services: its configuration and the log level the console sets.
    this.#gate.always(configOperationResultTopic(this.gateway), 1);
    this.#gate.always(logOperationResultTopic(this.gateway), 1);
    const client = (): MqttClient => {
      const c = this.#connection.client;
      if (!c) throw new HubDisconnectedError(`not connected to the hub (state ${this.#connection.state})`);
      return c;
    };
    this.#operations = new GatewayOperations(this.gateway, client, this.#gate, {
      timeoutMs: this.#opTimeoutMs,
      batchSize: Math.max(1, options.batchSize ?? 50),
      clock: this.#clock,
    });
    const unfollow = (devices: readonly SubdeviceId[] | undefined): void =>
      // best effort: the hub already stopped routing them
      void (devices ? this.#gate.unfollow(this.#connection.client, devices) : this.#gate.unfollowAll(this.#connection.client)).catch(() => undefined);
    this.#shadows = new ShadowOperations(
      (subdevice, topic, payload, callOptions) => this.#publish(subdeviceKey(subdevice), topic, payload, 0, callOptions),
      (subdevice) => this.#connection.client !== undefined && this.#gate.isOpen(subdeviceKey(subdevice)),
      this.#opTimeoutMs,
      this.#clock,
    );
    this.#time = new TimeService(
      this.gateway,
      // Straight to the client: the gateway's own topic needs no gate, and the hub's 'connected'
      // state event (when the app asks first) comes before the uplink sender has the client.
      async (topic, payload) => {
        const c = this.#connection.client;
        if (!c) throw new HubDisconnectedError('not connected to the hub: no hub time');
        await c.publishAsync(topic, payload, { qos: 0 });
      },
      () => this.#connection.client !== undefined,
      this.#opTimeoutMs,
      this.#clock,
    );
    this.#router = new DownlinkRouter(this.#events, this.#operations, this.#gate, this.#echoes, warnings, this.#log, unfollow, () => this.#clock.now(), this.#shadows, this.#time);
    this.#connection = new HubConnection(options, resolveEndpoint(options), {
      prepare: (c) => this.#gate.subscribeAll(c),
      up: (c, info) => {
        this.#sender?.connected(c);
        if (info.reconnect) this.#events.emit('reconnected', { attempt: info.attempt });
      },
      down: () => {
        this.#gate.forgetAll();
        this.#operations.rejectAll();
        this.#shadows.rejectAll(new HubDisconnectedError('the connection to the hub was lost before the shadow reply'));
        this.#sender?.disconnected();
      },
      message: (topic, payload, qos) => this.#router.route(topic, payload, qos),
      state: (state) => this.#events.emit('state', state),
      problem: (error) => {
        // Emitted for the application to log (the gateway logs every hub 'error' at warn): once is enough.
        this.#log.debug(error.message, { code: error.code });
        this.#events.emit('error', error);
      },
    }, this.#clock, this.#log, this.#maxPacketBytes);
    if (options.insecureSkipVerify) this.#log.warn('TLS certificate verification is OFF (insecureSkipVerify): anyone on the path can pose as the hub');
  }

  get state(): HubConnectionState {
    return this.#connection.state;
  }

  on<K extends keyof HubTransportEvents & string>(event: K, listener: HubTransportEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  /** The offline store's figures (undefined until it is open). */
  uplinkBacklog(): UplinkBacklogStats | undefined {
    const stats = this.#store?.stats();
    if (!stats) return undefined;
    const held = Object.fromEntries(Object.entries(stats.held).filter(([key]) => !key.startsWith(UNGATED)));
    return { ...stats, held };
  }

  async connect(options: CallOptions = {}): Promise<void> {
    this.#assertOpen();
    const sender = await this.#ready();
    await this.#connection.connect(options);
    if (this.#connection.client) sender.connected(this.#connection.client);
  }

  /**
   * Stops the transport. While connected it first waits (bounded by the call's timeout) for the
   * hub to acknowledge what is in flight; whatever is still unacknowledged stays in the store.
   */
  async close(options: CallOptions = {}): Promise<void> {
    if (this.#closed) return;
    const sender = this.#sender;
    if (sender && sender.inFlight > 0 && this.#connection.client) {
      await withDeadline('waiting for the hub to acknowledge', options, this.#opTimeoutMs, (signal) => sender.settled(signal), this.#clock).catch(
        (error: unknown) => this.#log.warn('closing with unacknowledged messages; they are kept for the next start', { count: sender.inFlight, reason: toGatewayError(error).message }),
      );
    }
    if (this.#closed) return; // a concurrent close finished while this one waited
    this.#closed = true;
    this.#events.clear();
    this.#operations.rejectAll(new HubDisconnectedError('transport closed before the reply'));
    this.#shadows.rejectAll(new HubDisconnectedError('transport closed before the reply'));
    await this.#connection.close();
    this.#sender?.disconnected();
    await this.#storeOpening?.catch(() => undefined);
    const store = this.#store;
    // Bounded: a disk that never answers (a hung mount) must not hang the gateway's stop.
    await withDeadline('closing the offline store', options, this.#opTimeoutMs, () => store?.close() ?? Promise.resolve(), this.#clock).catch((error: unknown) =>
      this.#log.error('closing the offline store failed', { reason: (error as Error).message }),
    );
  }

  online(subdevices: readonly SubdeviceId[], options: CallOptions = {}): Promise<SubdeviceResult[]> {
    return this.#operation(() => this.#operations.online(subdevices, options));
  }

  offline(subdevices: readonly SubdeviceId[], options: CallOptions = {}): Promise<SubdeviceResult[]> {
    return this.#operation(() => this.#operations.offline(subdevices, options));
  }

  unbind(subdevices: readonly SubdeviceId[], options: CallOptions = {}): Promise<SubdeviceResult[]> {
    return this.#operation(() => this.#operations.unbind(subdevices, options));
  }

  bind(requests: readonly BindRequest[], options: CallOptions = {}): Promise<SubdeviceResult[]> {
    return this.#operation(() => this.#operations.bind(requests, options));
  }

  listBound(options: CallOptions = {}): Promise<SubdeviceId[]> {
    return this.#operation(() => this.#operations.listBound(options));
  }

  publishData(subdevice: SubdeviceId, channel: DataChannel, payload: Uint8Array, options: PublishOptions = {}): Promise<void> {
    if (channel !== 'data' && !isValidChannel(channel)) {
      return Promise.reject(new ValidationError(`channel ${JSON.stringify(channel)} is not valid: use e.g. "data" or "event"`));
    }
    const refusal = this.#channels.refusal(subdevice.productId, channel);
    if (refusal) return Promise.reject(refusal);
    return this.#publish(subdeviceKey(subdevice), dataTopic(subdevice, channel), payload, options.qos ?? 1, options);
  }

  async declareChannels(declaration: ChannelDeclaration, options: CallOptions = {}): Promise<void> {
    this.#assertOpen();
    const before = this.#channels;
    this.#channels = new ProductChannels(declaration.dataChannels, declaration.productChannels);
    const client = this.#connection.client;
    await withDeadline('following the declared channels', options, this.#opTimeoutMs, () => this.#gate.rechannel(client, (pid) => before.subscribedBy(pid)), this.#clock).catch((error: unknown) => {
      // The connection went meanwhile: the next online subscribes by the new declaration.
      if (this.#connection.client !== client) return;
      throw toGatewayError(error);
    });
  }

  reportVersion(subdevice: SubdeviceId, version: string, options: CallOptions = {}): Promise<void> {
    if (!isValidFirmwareVersion(version)) {
      return Promise.reject(new ValidationError(`firmware version ${JSON.stringify(version)} must be 1 to 32 characters`));
    }
    return this.#publish(`${UNGATED}ota/${subdeviceKey(subdevice)}`, otaReportTopic(subdevice), encodeReportVersion(version), 1, options);
  }

  async reportFirmwareProgress(subdevice: SubdeviceId, report: OtaReport, options: CallOptions = {}): Promise<void> {
    const downloading = report.state === 'downloading';
    if (downloading && !this.#connection.client) {
      this.#assertOpen();
      // Lossy by design (QoS 0): a missed percentage is superseded by the next one.
      this.#log.debug('download progress not sent: disconnected', { subdevice: subdeviceKey(subdevice) });
      return;
    }
    return this.#publish(`${UNGATED}ota/${subdeviceKey(subdevice)}`, otaReportTopic(subdevice), encodeReportProgress(report), downloading ? 0 : 1, options);
  }

  /** QoS 0 and never queued: a reply the hub's caller no longer waits for is worth nothing. */
  replyRrpc(subdevice: SubdeviceId, processId: string, payload: Uint8Array, options: CallOptions = {}): Promise<void> {
    if (!isValidRrpcProcessId(processId)) {
      return Promise.reject(new ValidationError(`RRPC process id ${JSON.stringify(processId)} is not valid: it must be 1..32 letters, digits, "_" or "-" (echo the one the request came with)`));
    }
    if (!this.#connection.client) return Promise.reject(new HubDisconnectedError('not connected to the hub: the RRPC reply is dropped (the hub does not wait across a reconnect)'));
    return this.#publish(subdeviceKey(subdevice), rrpcReplyTopic(subdevice, processId), payload, 0, options);
  }

  hubTime(options: CallOptions = {}): Promise<{ readonly unixMs: number; readonly at: number }> {
    return this.#operation(() => this.#time.request(options));
  }

  getShadow(subdevice: SubdeviceId, options: CallOptions = {}): Promise<ShadowDocument> {
    return this.#operation(() => this.#shadows.get(subdevice, options));
  }

  updateShadow(subdevice: SubdeviceId, update: ShadowUpdate, options: CallOptions = {}): Promise<{ readonly version: number }> {
    return this.#operation(() => this.#shadows.update(subdevice, update, options));
  }

  requestRemoteConfig(options: CallOptions = {}): Promise<void> {
    return this.#publish(`${UNGATED}config`, configOperationTopic(this.gateway), encodeConfigGet(), 0, options);
  }

  requestLogLevel(options: CallOptions = {}): Promise<void> {
    this.#logRequests += 1;
    const token = `${this.gateway.productId}-${this.#logRequests}`;
    return this.#publish(`${UNGATED}log`, logOperationTopic(this.gateway), encodeLogLevelGet(token), 0, options);
  }

  publishGatewayEvent(payload: Uint8Array, options: CallOptions = {}): Promise<void> {
    return this.#publish(`${UNGATED}event`, dataTopic(this.gateway, 'event'), payload, 1, options);
  }

  /** `key`: the subdevice whose gate data waits for, or an UNGATED key. */
  #publish(key: string, topic: string, payload: Uint8Array | string, qos: 0 | 1, options: CallOptions): Promise<void> {
    if (this.#closed) return Promise.reject(new HubDisconnectedError('the transport is closed'));
    const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
    if (bytes.byteLength + topic.length + 16 > this.#maxPacketBytes) {
      return Promise.reject(new ValidationError(`a message of ${bytes.byteLength} bytes to ${topic} is over maxPacketBytes ${this.#maxPacketBytes}: send smaller readings or raise maxPacketBytes`));
    }
    // The hot path: no timer, no extra promise per message unless the caller asked for a deadline.
    const sender = this.#sender;
    // Data resolves once durable (its source may then forget it); firmware reports on their PUBACK when sent at once (ordered before the reports after them).
    const until = key.startsWith(UNGATED) ? 'acknowledged' : 'durable';
    const send = (s: UplinkSender): Promise<void> => (qos === 0 ? s.publishQos0(key, topic, bytes) : s.publish(key, topic, bytes, until));
    if (options.timeoutMs === undefined) {
      // Before the store is open (the first moments of a start) readings wait for it, cheaply:
      // no timer or abort signal per reading (thousands may arrive while its first fsync runs).
      const sent = sender ? send(sender) : this.#ready().then(send);
      return options.signal ? untilAborted(sent, options.signal) : sent;
    }
    return withDeadline(`publishing to ${topic}`, options, this.#opTimeoutMs, async () => send(await this.#ready()), this.#clock);
  }

  #operation<T>(run: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new HubDisconnectedError('the transport is closed'));
    return run();
  }

  /** Opens the offline store once (recovering what it held), then the sender on top of it. A failed open is retried. */
  #ready(): Promise<UplinkSender> {
    if (this.#sender) return Promise.resolve(this.#sender);
    this.#storeOpening ??= OfflineStore.open({
      ...this.#options.offlineStore,
      clock: this.#clock,
      logger: this.#log,
      configPath: this.#options.offlineStore?.configPath ?? 'offlineStore',
    }).then(
      async (store) => {
        // Never rejects: what it cannot move stays where it was, with a warning.
        if (this.#options.legacyOutbox) await migrateLegacyOutbox(this.#options.legacyOutbox, this.gateway, store, this.#log);
        this.#store = store;
        this.#sender = new UplinkSender(store, this.#gate, this.#echoes, this.#log, this.#options.ackGraceMaxMs);
        return this.#sender;
      },
      (error: unknown) => {
        this.#storeOpening = undefined;
        throw toGatewayError(error, 'opening the offline store failed');
      },
    );
    return this.#storeOpening;
  }

  #assertOpen(): void {
    if (this.#closed) throw new HubDisconnectedError('the transport is closed');
  }
}
