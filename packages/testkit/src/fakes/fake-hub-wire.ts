import { CancelledError, HubDisconnectedError, withDeadline, type CallOptions, type GatewayError, type HubConnectionState } from '@iotgw/domain';
import { answerUnderControl } from './fake-hub-control.js';
import type { Control, HubOp, Outgoing } from './fake-hub.types.js';

/**
 * FakeHub's side of the exchange, apart from what the hub decides: request/answer calls under the
 * caller's deadline with the injected faults, and the QoS 1 outbox held while disconnected (data
 * of a subdevice also until it is online), sent in order.
 */
export class FakeHubWire {
  /** Callers waiting for an answer; a disconnect or close rejects them. */
  readonly pending = new Set<(error: Error) => void>();
  readonly #controls = new Map<HubOp, Control[]>();
  readonly #outbox: Outgoing[] = [];

  constructor(
    private readonly state: () => HubConnectionState,
    private readonly isOnline: (key: string) => boolean,
    private readonly reportError: (error: GatewayError) => void,
    private readonly defaultTimeoutMs: number,
    private readonly outboxLimit: number,
  ) {}

  /** Messages waiting for the connection (or their subdevice's online). */
  get queued(): number {
    return this.#outbox.length;
  }

  /** Runs one request/answer exchange under the caller's deadline, honoring the injected faults. */
  call<T>(op: HubOp, options: CallOptions, answer: (control: Control | undefined) => T): Promise<T> {
    return withDeadline(`hub ${op}`, options, this.defaultTimeoutMs, (signal) => {
      if (this.state() === 'closed') return Promise.reject(new HubDisconnectedError('the transport was closed'));
      if (this.state() !== 'connected') return Promise.reject(new HubDisconnectedError());
      const control = this.#controls.get(op)?.shift();
      if (control?.kind === 'fail' || control === undefined) return Promise.resolve(answer(control));
      return answerUnderControl(control, signal, this.pending, () => answer(undefined));
    });
  }

  /** A message: sent now when connected, QoS 1 queued while disconnected (bounded), QoS 0 refused. */
  send(op: 'publish' | 'report', qos: 0 | 1, options: CallOptions, deliver: () => void, subdevice?: string): Promise<void> {
    const state = this.state();
    if (state !== 'connected' && state !== 'closed') {
      if (options.signal?.aborted) return Promise.reject(new CancelledError(`hub ${op}`, { cause: options.signal.reason }));
      if (qos === 0) return Promise.reject(new HubDisconnectedError(`not connected to the hub: QoS 0 message not sent`));
      if (this.#outbox.length >= this.outboxLimit) {
        const error = new HubDisconnectedError(`outbox full (${this.outboxLimit} messages): message not queued`);
        this.reportError(error);
        return Promise.reject(error);
      }
      this.#outbox.push({ op, deliver, ...(subdevice ? { subdevice } : {}) });
      return Promise.resolve();
    }
    return this.call(op, options, () => deliver());
  }

  /** Holds a message until `flush` finds its subdevice online. */
  hold(out: Outgoing): void {
    this.#outbox.push(out);
  }

  /** Sends what may go out now, in order; data of subdevices not online stays queued. */
  flush(): void {
    const waiting = this.#outbox.splice(0);
    for (const out of waiting) {
      if (out.subdevice === undefined || this.isOnline(out.subdevice)) out.deliver();
      else this.#outbox.push(out);
    }
  }

  /** A fault for the next `op`. */
  inject(op: HubOp, control: Control): void {
    const list = this.#controls.get(op) ?? [];
    list.push(control);
    this.#controls.set(op, list);
  }

  /** Every waiting caller rejects with `error`. */
  failPending(error: Error): void {
    for (const reject of [...this.pending]) reject(error);
    this.pending.clear();
  }

  /** Closed: nothing held goes out any more. */
  dropOutbox(): void {
    this.#outbox.length = 0;
  }
}
