import {
  GatewayError,
  HubAuthError,
  HubDisconnectedError,
  subdeviceKey,
  ValidationError,
  TypedEmitter,
  withDeadline,
  type BindRequest,
  type BindingChange,
  type CallOptions,
  type DataChannel,
  type FirmwareJob,
  type GatewayDeviceServices,
  type GatewayIdentity,
  type HubConnectionState,
  type HubRrpc,
  type HubShadows,
  type HubTimeService,
  type HubLogLevel,
  type HubTransport,
  type HubTransportEvents,
  type OtaReport,
  type PublishOptions,
  type ShadowDocument,
  type ShadowState,
  type ShadowUpdate,
  type SubdeviceId,
  type SubdeviceResult,
  type Subscription,
} from '@iotgw/domain';

export type { FakeHubOptions, HubBatchOp, HubOp, PublishedData, RecordedReport, RecordedRrpcReply } from './fake-hub.types.js';
import { HUB_RESULT, hubRefusal, hubResultMessage } from './fake-hub-results.js';
import { FakeShadows, notOnline } from './fake-shadows.js';
import { FakeHubWire } from './fake-hub-wire.js';
import { bytesOf, DEFAULT_GATEWAY, type FakeHubOptions, type HubBatchOp, type HubOp, type PublishedData, type RecordedReport, type RecordedRrpcReply } from './fake-hub.types.js';

/**
 * A HubTransport with the hub inside: a binding registry, the online set and the real result
 * codes, plus controls to inject faults. Everything the gateway sends is recorded in `published`,
 * `reports` and `operations`.
 */
export class FakeHub implements HubTransport, GatewayDeviceServices, HubRrpc, HubShadows, HubTimeService {
  readonly gateway: GatewayIdentity;
  readonly published: PublishedData[] = [];
  readonly reports: RecordedReport[] = [];
  /** RRPC replies the gateway sent, in order. */
  readonly rrpcReplies: RecordedRrpcReply[] = [];
  /** Every batched operation answered, with the subdevice keys it named. */
  readonly operations: Array<{ readonly op: HubBatchOp; readonly subdevices: readonly string[] }> = [];
  /** The hub's device shadows (inspect with `shadows.document(subdevice)`). */
  readonly shadows = new FakeShadows();
  /** Set to make `connect` reject with HubAuthError. */
  refuseCredentials = false;
  /** What the gateway published on its own `event` topic. */
  readonly gatewayEvents: Uint8Array[] = [];
  /** The gateway's configuration as the console holds it (answered to `requestRemoteConfig`). */
  remoteConfig: Readonly<Record<string, unknown>> | undefined;
  /** False: the product has remote configuration disabled (the hub answers 1001). */
  remoteConfigEnabled = true;
  /** The log level the console holds for the gateway. */
  logLevel: HubLogLevel = 'none';
  /** How many config and log level requests the gateway sent. */
  readonly requests = { remoteConfig: 0, logLevel: 0 };

  readonly #events = new TypedEmitter<HubTransportEvents>();
  readonly #secrets = new Map<string, string>();
  readonly #bound = new Map<string, SubdeviceId>();
  readonly #online = new Set<string>();
  readonly #wire: FakeHubWire;
  readonly #defaultTimeoutMs: number;
  #state: HubConnectionState = 'idle';
  #attempt = 0;

  constructor(options: FakeHubOptions = {}) {
    this.gateway = options.gateway ?? DEFAULT_GATEWAY;
    this.#defaultTimeoutMs = options.defaultTimeoutMs ?? 10_000;
    this.#wire = new FakeHubWire(
      () => this.#state,
      (key) => this.#online.has(key),
      (error) => this.#events.emit('error', error),
      this.#defaultTimeoutMs,
      options.outboxLimit ?? 1000,
    );
    for (const { subdevice, secret } of options.subdevices ?? []) this.addSubdevice(subdevice, secret);
    for (const sub of options.bound ?? []) this.#bound.set(subdeviceKey(sub), sub);
  }

  get state(): HubConnectionState {
    return this.#state;
  }

  on<K extends keyof HubTransportEvents & string>(event: K, listener: HubTransportEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  connect(options: CallOptions = {}): Promise<void> {
    return withDeadline('hub connect', options, this.#defaultTimeoutMs, () => {
      if (this.#state === 'closed') throw new HubDisconnectedError('the transport was closed');
      if (this.#state === 'connected') return Promise.resolve();
      this.#setState('connecting');
      if (this.refuseCredentials) {
        this.#setState('idle');
        throw new HubAuthError(`the hub refused the credentials of ${subdeviceKey(this.gateway)}`);
      }
      this.#setState('connected');
      this.#wire.flush();
      return Promise.resolve();
    });
  }

  close(): Promise<void> {
    if (this.#state === 'closed') return Promise.resolve();
    this.#wire.failPending(new HubDisconnectedError('the transport was closed'));
    this.#wire.dropOutbox();
    this.#online.clear();
    this.#setState('closed');
    this.#events.clear();
    return Promise.resolve();
  }

  online(subdevices: readonly SubdeviceId[], options: CallOptions = {}): Promise<SubdeviceResult[]> {
    return this.#batch('online', subdevices, options, (sub, key) => {
      if (!this.#bound.has(key)) return HUB_RESULT.notBound;
      this.#online.add(key);
      // Data held for it may go now (after the answer is recorded: the caller sees online first).
      queueMicrotask(() => this.#wire.flush());
      return HUB_RESULT.ok;
    });
  }

  offline(subdevices: readonly SubdeviceId[], options: CallOptions = {}): Promise<SubdeviceResult[]> {
    return this.#batch('offline', subdevices, options, (_sub, key) => {
      if (!this.#bound.has(key)) return HUB_RESULT.notBound;
      this.#online.delete(key);
      return HUB_RESULT.ok;
    });
  }

  bind(requests: readonly BindRequest[], options: CallOptions = {}): Promise<SubdeviceResult[]> {
    const secrets = new Map(requests.map((r) => [subdeviceKey(r.subdevice), r.secret] as const));
    return this.#batch(
      'bind',
      requests.map((r) => r.subdevice),
      options,
      (sub, key) => {
        const expected = this.#secrets.get(key);
        // The real hub checks a signature made with the secret; comparing secrets is the same test.
        if (expected === undefined || expected !== secrets.get(key)) return HUB_RESULT.systemError;
        this.#bound.set(key, sub);
        return HUB_RESULT.ok;
      },
    );
  }

  unbind(subdevices: readonly SubdeviceId[], options: CallOptions = {}): Promise<SubdeviceResult[]> {
    return this.#batch('unbind', subdevices, options, (_sub, key) => {
      if (!this.#bound.has(key)) return HUB_RESULT.notBound;
      this.#bound.delete(key);
      this.#online.delete(key);
      return HUB_RESULT.ok;
    });
  }

  listBound(options: CallOptions = {}): Promise<SubdeviceId[]> {
    return this.#wire.call('listBound', options, () => [...this.#bound.values()]);
  }

  publishData(subdevice: SubdeviceId, channel: DataChannel, payload: Uint8Array, options: PublishOptions = {}): Promise<void> {
    const qos = options.qos ?? 1;
    const record: PublishedData = { subdevice, channel, payload: Uint8Array.from(payload), qos };
    const key = subdeviceKey(subdevice);
    // Like the real transport: the hub drops a gateway that uses the data topic of a subdevice
    // that is not online, so QoS 1 data waits for its online and QoS 0 data is not sent.
    if (this.#state === 'connected' && !this.#online.has(key)) {
      if (qos === 1) this.#wire.hold({ op: 'publish', deliver: () => this.published.push(record), subdevice: key });
      return Promise.resolve();
    }
    return this.#wire.send('publish', qos, options, () => this.published.push(record), key);
  }

  reportVersion(subdevice: SubdeviceId, version: string, options: CallOptions = {}): Promise<void> {
    return this.#wire.send('report', 1, options, () => this.reports.push({ subdevice, kind: 'version', version }));
  }

  reportFirmwareProgress(subdevice: SubdeviceId, report: OtaReport, options: CallOptions = {}): Promise<void> {
    const qos = report.state === 'downloading' ? 0 : 1;
    return this.#wire.send('report', qos, options, () => this.reports.push({ subdevice, kind: 'progress', report }));
  }

  replyRrpc(subdevice: SubdeviceId, processId: string, payload: Uint8Array, options: CallOptions = {}): Promise<void> {
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(processId)) return Promise.reject(new ValidationError(`RRPC process id ${JSON.stringify(processId)} is not valid`));
    if (this.#state !== 'connected') return Promise.reject(new HubDisconnectedError('not connected to the hub: the RRPC reply is dropped'));
    // QoS 0 on the subdevice's topic: not online → not sent (the real transport's gate).
    if (!this.#online.has(subdeviceKey(subdevice))) return Promise.resolve();
    return this.#wire.call('rrpc', options, () => void this.rrpcReplies.push({ subdevice, processId, payload: Uint8Array.from(payload) }));
  }

  requestRemoteConfig(options: CallOptions = {}): Promise<void> {
    return this.#wire.send('report', 0, options, () => {
      this.requests.remoteConfig += 1;
      queueMicrotask(() =>
        this.#answer('remoteConfig', this.remoteConfigEnabled ? { type: 'reply', result: 0, config: this.remoteConfig } : { type: 'reply', result: 1001, config: undefined }),
      );
    });
  }

  requestLogLevel(options: CallOptions = {}): Promise<void> {
    return this.#wire.send('report', 0, options, () => {
      this.requests.logLevel += 1;
      // The hub answers with what it holds when it answers.
      queueMicrotask(() => this.#answer('logLevel', this.logLevel));
    });
  }

  publishGatewayEvent(payload: Uint8Array, options: CallOptions = {}): Promise<void> {
    const bytes = Uint8Array.from(payload);
    return this.#wire.send('publish', 1, options, () => this.gatewayEvents.push(bytes));
  }

  /** How far the hub's clock is ahead of this machine's (ms): what `hubTime` adds to Date.now(). */
  hubClockOffsetMs = 0;

  hubTime(options: CallOptions = {}): Promise<{ readonly unixMs: number; readonly at: number }> {
    return this.#wire.call('time', options, () => ({ unixMs: Date.now() + this.hubClockOffsetMs, at: Date.now() }));
  }

  getShadow(subdevice: SubdeviceId, options: CallOptions = {}): Promise<ShadowDocument> {
    if (this.#state === 'connected' && !this.#online.has(subdeviceKey(subdevice))) return Promise.reject(notOnline(subdevice));
    return this.#wire.call('shadow', options, () => this.shadows.document(subdevice));
  }

  updateShadow(subdevice: SubdeviceId, update: ShadowUpdate, options: CallOptions = {}): Promise<{ readonly version: number }> {
    if (this.#state === 'connected' && !this.#online.has(subdeviceKey(subdevice))) return Promise.reject(notOnline(subdevice));
    return this.#wire.call('shadow', options, () => this.shadows.update(subdevice, update));
  }

  // --- hub side: registry ---
  /** The hub learns a subdevice and the secret its binds must present. */
  addSubdevice(subdevice: SubdeviceId, secret: string): void {
    this.#secrets.set(subdeviceKey(subdevice), secret);
  }

  /** Binds or unbinds on the hub without telling the gateway (state before the test starts). */
  setBound(subdevice: SubdeviceId, bound: boolean): void {
    const key = subdeviceKey(subdevice);
    if (bound) this.#bound.set(key, subdevice);
    else {
      this.#bound.delete(key);
      this.#online.delete(key);
    }
  }

  isBound(subdevice: SubdeviceId): boolean {
    return this.#bound.has(subdeviceKey(subdevice));
  }

  isOnline(subdevice: SubdeviceId): boolean {
    return this.#online.has(subdeviceKey(subdevice));
  }

  /** Keys (`PID/name`) of the subdevices the hub thinks are online. */
  onlineKeys(): string[] {
    return [...this.#online].sort();
  }

  /** Messages waiting for the connection to come back. */
  get queued(): number {
    return this.#wire.queued;
  }

  // --- hub side: pushes --- (the console binds/unbinds: the registry changes, the gateway hears it)
  changeBinding(subdevices: readonly SubdeviceId[], bound: boolean): void {
    for (const sub of subdevices) this.setBound(sub, bound);
    this.#pushEvent('bindingChanged', { subdevices: [...subdevices], bound } satisfies BindingChange);
  }

  /** The console's "unbind all": every subdevice of the gateway is unbound. */
  unbindAll(): void {
    for (const sub of [...this.#bound.values()]) this.setBound(sub, false);
    this.#pushEvent('allUnbound', undefined);
  }

  pushDownlink(subdevice: SubdeviceId, channel: DataChannel, payload: Uint8Array | string): void {
    this.#pushEvent('downlink', { subdevice, channel, payload: bytesOf(payload) });
  }

  /** A caller in the cloud sends an RRPC request to an online subdevice (the hub routes only those). */
  pushRrpcRequest(subdevice: SubdeviceId, processId: string, payload: Uint8Array | string, receivedAt = Date.now()): void {
    if (this.#online.has(subdeviceKey(subdevice))) this.#pushEvent('rrpcRequest', { subdevice, processId, payload: bytesOf(payload), receivedAt });
  }

  /** A broadcast to the subdevice's product: reaches the gateway for its online subdevices only. */
  pushBroadcast(subdevice: SubdeviceId, payload: Uint8Array | string): void {
    if (this.#online.has(subdeviceKey(subdevice))) this.#pushEvent('broadcast', { subdevice, payload: bytesOf(payload) });
  }

  /** The console sets desired state: an online subdevice gets the delta now, an offline one in its next `getShadow`. */
  setDesired(subdevice: SubdeviceId, desired: ShadowState): void {
    const { version, delta } = this.shadows.setDesired(subdevice, desired);
    if (delta && this.#state === 'connected' && this.#online.has(subdeviceKey(subdevice))) this.#pushEvent('shadowDelta', { subdevice, version, state: delta });
  }

  pushFirmwareUpdate(subdevice: SubdeviceId, job: FirmwareJob): void {
    this.#pushEvent('firmwareUpdate', { subdevice, job });
  }

  /** An update the transport's codec refused to run, as the transport would report it. */
  pushRefusedFirmwareUpdate(subdevice: SubdeviceId, version: string | undefined, reason: string): void {
    this.#pushEvent('firmwareUpdateRefused', { subdevice, version, reason });
  }

  /** The console pushes a configuration for the gateway. */
  pushRemoteConfig(config: Readonly<Record<string, unknown>>): void {
    this.remoteConfig = config;
    this.#pushEvent('remoteConfig', { type: 'push', result: 0, config });
  }

  /** The console sets the gateway's log level. */
  changeLogLevel(level: HubLogLevel): void {
    this.logLevel = level;
    this.#pushEvent('logLevel', level);
  }

  /** A problem no caller waits for, as the transport would report it. */
  pushError(error: GatewayError): void {
    this.#pushEvent('error', error);
  }

  // --- fault injection ---
  /** The next `op` answers every subdevice with `hubCode` (batched ops only). */
  failNext(op: HubBatchOp, hubCode: number): void {
    this.#wire.inject(op, { kind: 'fail', hubCode });
  }

  /** The next `op` is answered `ms` later (real time). */
  delayNext(op: HubOp, ms: number): void {
    this.#wire.inject(op, { kind: 'delay', ms });
  }

  /** The next `op` is never answered: the caller times out or cancels. */
  dropNext(op: HubOp): void {
    this.#wire.inject(op, { kind: 'drop' });
  }

  /** The connection drops: pending calls reject (HubDisconnectedError), the hub forgets who was online, QoS 1 queues. */
  disconnect(): void {
    if (this.#state !== 'connected') return;
    this.#wire.failPending(new HubDisconnectedError('the connection to the hub was lost'));
    this.#online.clear();
    this.#setState('reconnecting');
  }

  /** The connection comes back: queued messages go out in order, then `reconnected` fires. */
  reconnect(): void {
    if (this.#state !== 'reconnecting') return;
    this.#setState('connected');
    this.#wire.flush();
    this.#attempt++;
    this.#events.emit('reconnected', { attempt: this.#attempt });
  }

  // --- internals ---

  #batch(op: HubBatchOp, subdevices: readonly SubdeviceId[], options: CallOptions, decide: (sub: SubdeviceId, key: string) => number): Promise<SubdeviceResult[]> {
    const list = [...subdevices];
    return this.#wire.call(op, options, (control) => {
      this.operations.push({ op, subdevices: list.map(subdeviceKey) });
      return list.map((sub) => {
        const hubCode = control?.kind === 'fail' ? control.hubCode : decide(sub, subdeviceKey(sub));
        return { subdevice: sub, ok: hubCode === 0, hubCode, message: hubResultMessage(hubCode), ...hubRefusal(op, sub, hubCode) };
      });
    });
  }

  #pushEvent<K extends Exclude<keyof HubTransportEvents & string, 'state' | 'reconnected'>>(
    event: K,
    payload: Parameters<HubTransportEvents[K]>[0],
  ): void {
    if (this.#state !== 'connected') {
      throw new HubDisconnectedError(`FakeHub: cannot push ${event} while ${this.#state} (call connect/reconnect first)`);
    }
    this.#events.emit(event, payload);
  }

  /** The hub's answer to a request, like a message that arrives later: lost if the connection went meanwhile. */
  #answer<K extends 'remoteConfig' | 'logLevel'>(event: K, payload: Parameters<HubTransportEvents[K]>[0]): void {
    if (this.#state === 'connected') this.#events.emit(event, payload);
  }

  #setState(state: HubConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#events.emit('state', state);
  }
}
