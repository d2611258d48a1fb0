import type { MqttClient } from 'mqtt';
import { HubDisconnectedError, toGatewayError, type Logger } from '@iotgw/domain';
import type { OfflineStore } from '@iotgw/offline-store';
import { AckRoundTrip } from './ack-round-trip.js';
import type { EchoFilter } from './echo-filter.js';
import type { OnlineGate } from './online-gate.js';

/** Held readings sent at most this many at a time before their PUBACKs come back. */
const DRAIN_WINDOW = 1_000;
/** Readings read from the store per step of the drain. */
const DRAIN_BATCH = 256;
/** Readings taken from one subdevice per turn of the round robin. */
const QUANTUM = 8;

/** Keys of uplink that does not wait for a subdevice's online (firmware reports) start with this. */
export const UNGATED = '$';

const RESOLVED = Promise.resolve();

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * QoS 1 uplink through the offline store. Every reading is appended to the store first (a cheap
 * in-memory append, written to disk in batches) so a crash or a lost connection never loses it.
 * Then:
 * - fast path: connected, the subdevice's gate open and nothing of it still waiting → published
 *   at once; the PUBACK removes it from the store.
 * - otherwise it waits in the store and the drain sends it later: round robin over subdevices
 *   (fair: a small backlog is not stuck behind a big one), in order per subdevice, at most
 *   DRAIN_WINDOW in flight.
 * Either way the caller's promise resolves once the reading is durable — the hub acknowledged it
 * or the store fsynced it (group commit: at once, or right after the running fsync), whichever comes first — so a caller
 * that acknowledges the reading to its source (a link's DATA_ACK) never acknowledges what a kill -9
 * could still lose. It rejects (store.dropped, store.full) when the store could not hold it.
 * After a loss everything unacknowledged is unsent again and goes first on the next connection.
 */
export class UplinkSender {
  #client: MqttClient | undefined;
  #inFlight = 0;
  /** Per key, readings taken by the drain and being loaded: live readings must queue behind them. */
  readonly #loading = new Map<string, number>();
  #draining = false;
  #drainAgain = false;
  #turn = 0;
  /** close() waiting for the last acknowledgements. */
  readonly #settled = new Set<() => void>();
  /** Subdevices whose data is being held for a later online (logged once each). */
  readonly #holding = new Set<string>();
  /** QoS 0 publishes waiting for the connection to drain share this. */
  #drainWait: { readonly stream: MqttClient['stream']; readonly promise: Promise<void> } | undefined;
  /** PUBACK round trips: how long a reading sent at once waits for its PUBACK before an fsync. */
  readonly #ackTime: AckRoundTrip;

  constructor(
    private readonly store: OfflineStore,
    private readonly gate: OnlineGate,
    private readonly echoes: EchoFilter,
    private readonly log: Logger,
    ackGraceMaxMs?: number,
  ) {
    this.#ackTime = new AckRoundTrip(ackGraceMaxMs);
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** A connection is ready: send what waits. */
  connected(client: MqttClient): void {
    this.#client = client;
    this.kick();
  }

  /** The connection is gone: what was in flight is unsent again (the store still holds it). */
  disconnected(): void {
    this.#client = undefined;
    this.#inFlight = 0;
    this.#loading.clear();
    this.store.unsendAll();
    for (const check of this.#settled) check();
  }

  /**
   * Holds one QoS 1 reading; resolves once it is durable (see the class comment). `until`
   * 'acknowledged' (firmware reports, whose order against the QoS 0 progress that follows matters
   * more than speed): sent at once, it resolves on its PUBACK only; held, once durable.
   */
  publish(key: string, topic: string, payload: Uint8Array, until: 'durable' | 'acknowledged' = 'durable'): Promise<void> {
    const client = this.#client;
    const sendNow = client !== undefined && this.#mayUse(key) && this.store.unsentOf(key) === 0 && !this.#loading.has(key);
    let seq: number | undefined;
    try {
      seq = this.store.append(key, topic, payload, sendNow);
    } catch (error) {
      return Promise.reject(toGatewayError(error)); // full under the `reject` policy
    }
    // Dropped (counted by the store, summarised in the log): the caller must not take it as held.
    if (seq === undefined) return Promise.reject(this.store.refusal());
    const held = seq;
    if (sendNow && until === 'acknowledged') {
      // Lost before its PUBACK: the store holds it again, and it resolves once durable there.
      return new Promise<boolean>((resolve) => this.#write(client, key, held, topic, payload, resolve)).then((acked) => (acked ? undefined : this.store.whenDurable(key, held)));
    }
    if (sendNow) this.#write(client, key, held, topic, payload);
    else if (client) {
      if (!this.#mayUse(key)) this.#noteHolding(key);
      this.kick();
    }
    // The PUBACK (fast path or drain) or the store's group commit, whichever comes first. Sent
    // at once, its PUBACK is expected within about a round trip: the fsync waits that long first.
    return this.store.whenDurable(key, held, sendNow ? this.#ackTime.graceMs() : 0);
  }

  /** Starts the drain unless it runs or nothing waits. */
  kick(): void {
    if (!this.#client) return;
    if (this.#draining) {
      this.#drainAgain = true;
      return;
    }
    if (!this.store.hasUnsent) return;
    void this.#drain(); // never rejects: a failed read leaves the readings unsent for the next turn
  }

  /** Resolves once nothing is in flight, the connection is gone, or `signal` fires. */
  settled(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const check = (): void => {
        if (this.#inFlight > 0 && this.#client && !signal.aborted) return;
        this.#settled.delete(check);
        signal.removeEventListener('abort', check);
        resolve();
      };
      this.#settled.add(check);
      signal.addEventListener('abort', check, { once: true });
      check();
    });
  }

  #mayUse(key: string): boolean {
    return key.startsWith(UNGATED) || this.gate.isOpen(key);
  }

  /** `done(acked)`: the PUBACK came (true), or the connection went away first (false). */
  #write(client: MqttClient, key: string, seq: number, topic: string, payload: Uint8Array, done?: (acked: boolean) => void): void {
    this.#inFlight++;
    // Remembered when written, not when published: held data is subscribed only by the time it goes out.
    const bytes = toBuffer(payload);
    if (this.gate.isSubscribed(topic)) this.echoes.remember(topic, bytes, 1);
    const sentAt = performance.now();
    client.publish(topic, bytes, { qos: 1 }, (error) => {
      if (client !== this.#client) {
        // The connection went away first: the reading is unsent again and held by the store.
        done?.(false);
        return;
      }
      this.#inFlight--;
      if (!error) {
        this.#ackTime.sample(performance.now() - sentAt);
        this.store.ack(key, seq);
      }
      done?.(!error);
      if (this.#settled.size > 0) for (const check of this.#settled) check();
      // Refill as soon as a whole batch fits (not only at half the window): the drain keeps pace.
      if (DRAIN_WINDOW - this.#inFlight >= DRAIN_BATCH || this.#drainAgain) this.kick();
    });
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      for (;;) {
        this.#drainAgain = false;
        const client = this.#client;
        const room = Math.min(DRAIN_BATCH, DRAIN_WINDOW - this.#inFlight);
        if (!client || room <= 0) return;
        const picks = this.#pick(room);
        if (picks.length === 0) return;
        const records = await this.store.load(picks).catch((error: unknown) => {
          this.log.warn('reading held data back failed; retrying', { reason: (error as Error).message });
          return undefined;
        });
        for (const p of picks) this.#loading.set(p.key, (this.#loading.get(p.key) ?? 0) - 1);
        for (const [key, n] of this.#loading) if (n <= 0) this.#loading.delete(key);
        if (client !== this.#client) continue; // lost meanwhile: everything is unsent again
        if (!records) {
          this.#giveBack(picks);
          return;
        }
        // A reading taken and then dropped by a bound is not among `records`: the store forgot it.
        const closed = new Map<string, number>();
        for (const r of records) {
          if (!this.#mayUse(r.key)) closed.set(r.key, (closed.get(r.key) ?? 0) + 1);
          else this.#write(client, r.key, r.seq, r.topic, r.payload);
        }
        // Taken, then its gate closed (offline/unbind on the way): it waits for the next online.
        for (const [key, n] of closed) this.store.unsend(key, n);
      }
    } finally {
      this.#draining = false;
      if (this.#drainAgain) this.kick();
    }
  }

  /** Round robin over subdevices with readings waiting, QUANTUM each per turn, up to `max`. */
  #pick(max: number): Array<{ key: string; seq: number }> {
    const keys = [...this.store.keysWithUnsent()].filter((key) => {
      if (this.#mayUse(key)) return true;
      this.#noteHolding(key);
      return false;
    });
    const picks: Array<{ key: string; seq: number }> = [];
    if (keys.length === 0) return picks;
    const start = this.#turn++ % keys.length;
    for (let progress = true; progress && picks.length < max; ) {
      progress = false;
      for (let i = 0; i < keys.length && picks.length < max; i++) {
        const key = keys[(start + i) % keys.length]!;
        const refs = this.store.takeUnsent(key, Math.min(QUANTUM, max - picks.length));
        if (refs.length === 0) continue;
        progress = true;
        this.#loading.set(key, (this.#loading.get(key) ?? 0) + refs.length);
        for (const ref of refs) picks.push({ key, seq: ref.seq });
      }
    }
    if (picks.length > 0) for (const key of new Set(picks.map((p) => p.key))) this.#holding.delete(key);
    return picks;
  }

  #giveBack(picks: ReadonlyArray<{ key: string }>): void {
    const counts = new Map<string, number>();
    for (const p of picks) counts.set(p.key, (counts.get(p.key) ?? 0) + 1);
    for (const [key, n] of counts) this.store.unsend(key, n);
  }

  #noteHolding(key: string): void {
    if (this.#holding.has(key)) return;
    this.#holding.add(key);
    this.log.info('data held until the subdevice is online at the hub (sending it now would get the gateway disconnected)', { subdevice: key });
  }

  /**
   * QoS 0 (lossy by design): sent only while connected and the subdevice may use its topics;
   * sending a not-online subdevice's data would get the gateway disconnected, so it is skipped.
   */
  publishQos0(key: string, topic: string, payload: Uint8Array): Promise<void> {
    const client = this.#client;
    if (!client) return Promise.reject(new HubDisconnectedError('not connected to the hub'));
    if (!this.#mayUse(key)) {
      this.log.debug('QoS 0 data not sent: the subdevice is not online', { topic });
      return Promise.resolve();
    }
    // What mqtt.js would answer through a callback (a client going away), checked here: with a
    // callback, mqtt.js adds a 'drain' listener per message while the socket is backed up
    // (MaxListenersExceededWarning past 1000, and removing them one by one took most of the CPU
    // with thousands of QoS 0 readings at once). One shared wait for the drain instead.
    if (!client.connected || client.disconnecting) return Promise.reject(new HubDisconnectedError(`publishing to ${topic} failed: the connection is closing`));
    const bytes = toBuffer(payload);
    if (this.gate.isSubscribed(topic)) this.echoes.remember(topic, bytes, 0);
    client.publish(topic, bytes, { qos: 0 });
    return this.#writable(client);
  }

  /**
   * Resolves once the connection takes more (at once unless its buffer is full, as mqtt.js's QoS 0
   * callback): one 'drain' listener for every QoS 0 publish waiting. Rejects if the connection
   * closes first (the message may not have left).
   */
  #writable(client: MqttClient): Promise<void> {
    const stream = client.stream;
    if (!stream.writableNeedDrain) return RESOLVED;
    if (this.#drainWait?.stream === stream) return this.#drainWait.promise;
    const promise = new Promise<void>((resolve, reject) => {
      const settle = (error?: HubDisconnectedError): void => {
        stream.off('drain', onDrain);
        stream.off('close', onClose);
        if (this.#drainWait?.stream === stream) this.#drainWait = undefined;
        if (error) reject(error);
        else resolve();
      };
      const onDrain = (): void => settle();
      const onClose = (): void => settle(new HubDisconnectedError('the connection closed before the QoS 0 message was written'));
      stream.on('drain', onDrain);
      stream.on('close', onClose);
    });
    this.#drainWait = { stream, promise };
    return promise;
  }
}
