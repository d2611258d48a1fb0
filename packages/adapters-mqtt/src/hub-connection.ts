import { readFile } from 'node:fs/promises';
import { MqttClient, type IClientOptions } from 'mqtt';
import {
  Backoff,
  CancelledError,
  HubAuthError,
  HubDisconnectedError,
  HubProtocolError,
  TimeoutError,
  toGatewayError,
  withDeadline,
  type CallOptions,
  type Clock,
  type HubConnectionState,
  type Logger,
} from '@iotgw/domain';
import { buildKeyAuth, keyAuthClientId, keyAuthUsername, randomConnId } from '@iotgw/protocol-tencent';
import { FilteredHubSocket } from './filtered-hub-socket.js';
import { mqttClientLog } from './mqtt-client-log.js';
import { DROPPED_MESSAGE_TOPIC, OversizePublishFilter } from './oversize-publish-filter.js';
import type { MqttHubTransportOptions, ResolvedEndpoint } from './mqtt-hub-transport.options.js';

const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

/** What the rest of the transport does at the connection's turning points. */
export interface ConnectionHooks {
  /** A new client got its CONNACK: subscribe what is needed before it counts as connected. */
  prepare(client: MqttClient, signal: AbortSignal): Promise<void>;
  /** Connected and prepared; `reconnect` after a loss (with the attempt that succeeded). */
  up(client: MqttClient, info: { readonly reconnect: boolean; readonly attempt: number }): void;
  /** The connection was lost (not on close). */
  down(): void;
  /** `qos`: as delivered (what it was published with, our subscriptions being QoS 1). */
  message(topic: string, payload: Buffer, qos: 0 | 1): void;
  state(state: HubConnectionState): void;
  /** A problem no caller waits for (refused credentials on reconnect, an oversized packet). */
  problem(error: HubAuthError | HubProtocolError): void;
}

/**
 * The gateway's one MQTT connection: credentials (key or certificate), TLS, the first connect
 * within a deadline, reconnect after a loss with the domain's backoff policy, and a bound on the
 * size of what the hub may send. One mqtt.js client per attempt with mqtt.js's own reconnect
 * off, so nothing is queued inside mqtt.js across connections (the offline store holds it).
 */
export class HubConnection {
  readonly #o: MqttHubTransportOptions;
  readonly #endpoint: ResolvedEndpoint;
  readonly #hooks: ConnectionHooks;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #backoff: Backoff;
  readonly #maxPacketBytes: number;
  /** How to remove our listeners from each client (mqtt.js's own must stay: they clear its timers). */
  readonly #detach = new WeakMap<MqttClient, () => void>();
  #state: HubConnectionState = 'idle';
  #client: MqttClient | undefined;
  #connecting: Promise<void> | undefined;
  /** Stops a first connect or the reconnect loop (close). */
  #stop: AbortController | undefined;

  constructor(options: MqttHubTransportOptions, endpoint: ResolvedEndpoint, hooks: ConnectionHooks, clock: Clock, log: Logger, maxPacketBytes: number) {
    this.#o = options;
    this.#endpoint = endpoint;
    this.#hooks = hooks;
    this.#clock = clock;
    this.#log = log;
    this.#maxPacketBytes = maxPacketBytes;
    this.#backoff = new Backoff({ ...options.reconnect, jitter: options.reconnect?.jitter ?? 0.3 });
  }

  get state(): HubConnectionState {
    return this.#state;
  }

  /** The client while connected (and prepared), else undefined. */
  get client(): MqttClient | undefined {
    return this.#state === 'connected' && this.#client?.connected ? this.#client : undefined;
  }

  connect(options: CallOptions): Promise<void> {
    if (this.#state === 'connected' || this.#state === 'reconnecting') return Promise.resolve();
    this.#connecting ??= this.#firstConnect(options).finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  async #firstConnect(options: CallOptions): Promise<void> {
    this.#setState('connecting');
    let lastFailure: Error | undefined;
    const stop = new AbortController();
    this.#stop = stop;
    try {
      await withDeadline('connecting to the hub', options, this.#o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, async (deadline) => {
        const signal = AbortSignal.any([deadline, stop.signal]);
        for (;;) {
          try {
            return await this.#open(signal);
          } catch (error) {
            if (error instanceof HubAuthError || signal.aborted || this.#state === 'closed') throw error;
            lastFailure = error as Error;
            const delay = this.#backoff.next();
            this.#log.warn('connection to the hub failed; retrying', { delayMs: delay, reason: lastFailure.message });
            // The abort's own reason (closed, deadline) is the caller's answer, not "sleep cancelled".
            await this.#clock.sleep(delay, signal).catch((e: unknown) => {
              throw signal.reason instanceof Error ? signal.reason : e;
            });
          }
        }
      }, this.#clock);
    } catch (error) {
      if (this.#state !== 'closed') this.#setState('idle');
      // A deadline alone says nothing: the last attempt's reason (and hint) is what the user can act on.
      if (error instanceof TimeoutError && lastFailure) {
        throw new TimeoutError(`connecting to the hub (last attempt: ${lastFailure.message})`, error.timeoutMs, { cause: lastFailure });
      }
      throw toGatewayError(error, 'connecting to the hub failed');
    } finally {
      if (this.#stop === stop) this.#stop = undefined;
    }
    this.#connected(false, 0);
  }

  #connected(reconnect: boolean, attempt: number): void {
    const client = this.#client;
    if (!client) return;
    this.#backoff.reset();
    this.#setState('connected');
    this.#hooks.up(client, { reconnect, attempt });
  }

  /** One connection attempt: resolves once connected and prepared (subscribed). */
  async #open(signal: AbortSignal): Promise<void> {
    const opts = await this.#clientOptions();
    this.#log.info('connecting to the hub', { host: this.#endpoint.host, port: this.#endpoint.port, tls: this.#endpoint.tls });
    const client = new MqttClient(() => this.#socket(opts), opts);
    // mqtt.js emits 'error' for socket and protocol errors; without a listener they would crash.
    client.on('error', (e) => this.#log.debug('mqtt client error', { reason: e.message }));
    try {
      await this.#untilConnack(client, signal);
      if (this.#state === 'closed') throw new HubDisconnectedError('transport closed while connecting');
      const onMessage = (topic: string, payload: Buffer, packet: { qos: number }): void => {
        if (topic !== DROPPED_MESSAGE_TOPIC) this.#hooks.message(topic, payload, packet.qos === 0 ? 0 : 1);
      };
      const onLost = (): void => this.#lost(client);
      client.on('message', onMessage);
      client.on('close', onLost);
      this.#detach.set(client, () => {
        client.off('message', onMessage);
        client.off('close', onLost);
      });
      this.#client = client;
      await this.#hooks.prepare(client, signal);
    } catch (error) {
      if (this.#client === client) this.#client = undefined;
      this.#release(client);
      throw error;
    }
  }

  #untilConnack(client: MqttClient, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
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
  }

  /**
   * The socket of one attempt, behind the oversize filter: a message over `maxPacketBytes` is
   * skipped as it streams in and reported, the connection kept; a packet that cannot be skipped
   * cuts it.
   */
  #socket(opts: IClientOptions): FilteredHubSocket {
    const max = this.#maxPacketBytes;
    const filter = new OversizePublishFilter(max, ({ topic, bytes }) => {
      this.#hooks.problem(new HubProtocolError(`the hub sent a message of ${bytes} bytes on ${topic}, over maxPacketBytes ${max}: dropped unread (the connection is kept)`));
    });
    return new FilteredHubSocket(
      {
        host: this.#endpoint.host,
        port: this.#endpoint.port,
        tls: this.#endpoint.tls,
        rejectUnauthorized: opts.rejectUnauthorized !== false,
        ...(opts.ca ? { ca: opts.ca as Buffer } : {}),
        ...(opts.cert ? { cert: opts.cert as Buffer } : {}),
        ...(opts.key ? { key: opts.key as Buffer } : {}),
      },
      filter,
      (reason) => this.#hooks.problem(new HubProtocolError(`${reason}: connection cut, reconnecting`)),
    );
  }

  async #clientOptions(): Promise<IClientOptions> {
    const { host, port, tls } = this.#endpoint;
    const auth = this.#o.auth;
    const clientId = keyAuthClientId(this.#o.gateway.productId, this.#o.gateway.deviceName);
    const expiry = Math.floor(this.#clock.now() / 1000) + 3600;
    const base: IClientOptions = {
      host,
      port,
      protocol: tls ? 'mqtts' : 'mqtt',
      protocolVersion: 4,
      clean: true,
      keepalive: this.#o.keepaliveSeconds ?? 60,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      resubscribe: false,
      queueQoSZero: false,
      clientId,
      ...mqttClientLog(),
    };
    if (tls) {
      base.rejectUnauthorized = !this.#o.insecureSkipVerify;
      if (this.#o.caFile) base.ca = await readFile(this.#o.caFile);
    }
    if (auth.mode === 'KEY') {
      // Fresh credentials per attempt: the username carries an expiry.
      const c = buildKeyAuth({ ...this.#o.gateway, deviceSecret: auth.deviceSecret, expiry, ...(auth.signMethod ? { signMethod: auth.signMethod } : {}) });
      return { ...base, username: c.username, password: c.password };
    }
    const [cert, key] = await Promise.all([readFile(auth.certFile), readFile(auth.keyFile)]);
    return { ...base, username: keyAuthUsername(clientId, randomConnId(), expiry), cert, key };
  }

  /** A TLS handshake against a plain MQTT port fails obscurely: name the likely fix. */
  #tlsHint(error: Error & { code?: unknown }): string {
    if (!this.#endpoint.tls) return '';
    const plainPeer = /before secure TLS connection|wrong version number|EPROTO|packet length too long/i.test(`${error.message} ${String(error.code)}`);
    return plainPeer ? ' (TLS is on by default: if this hub or emulator speaks plain MQTT on this port, set tls to false)' : '';
  }

  #lost(client: MqttClient): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    this.#release(client);
    this.#log.warn('connection to the hub lost; reconnecting');
    this.#setState('reconnecting');
    this.#hooks.down();
    void this.#reconnectLoop(); // never rejects: every failure is logged and retried
  }

  async #reconnectLoop(): Promise<void> {
    const stop = new AbortController();
    this.#stop = stop;
    try {
      while (this.#state === 'reconnecting' && !stop.signal.aborted) {
        const attempt = this.#backoff.failures + 1;
        await this.#clock.sleep(this.#backoff.next(), stop.signal);
        try {
          await this.#open(stop.signal);
          this.#log.info('reconnected to the hub', { attempt });
          this.#connected(true, attempt);
          return;
        } catch (error) {
          if (stop.signal.aborted || this.#isClosed()) return;
          if (error instanceof HubAuthError) this.#hooks.problem(error);
          this.#log.warn('reconnect failed', { attempt, reason: (error as Error).message });
        }
      }
    } catch {
      // The backoff sleep was cancelled: the transport is closing.
    } finally {
      if (this.#stop === stop) this.#stop = undefined;
    }
  }

  /** Closes the connection for good (pending attempts are cancelled). */
  async close(): Promise<void> {
    this.#setState('closed');
    this.#stop?.abort(new HubDisconnectedError('transport closed'));
    const client = this.#client;
    this.#client = undefined;
    if (client) {
      this.#detach.get(client)?.();
      this.#detach.delete(client);
      await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
    }
  }

  /** Drops our listeners and ends a client we no longer use. */
  #release(client: MqttClient): void {
    this.#detach.get(client)?.();
    this.#detach.delete(client);
    client.end(true);
  }

  // A method, not an inline comparison: the state changes across awaits, which narrowing ignores.
  #isClosed(): boolean {
    return this.#state === 'closed';
  }

  #setState(state: HubConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#hooks.state(state);
  }
}
