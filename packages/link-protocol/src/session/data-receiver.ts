import { SeqHistory } from './seq-history.js';

/**
 * One session's incoming DATA (gateway side). With RELIABLE_DATA, DATA_ACK means "safe at the
 * gateway": `deliver` may return a promise, and the ack goes only once it resolves (at once when
 * it returns none). A copy of an acknowledged seq is acknowledged again; a copy of a pending one
 * waits with it (no second delivery, no early ack); a rejected promise sends no ack and forgets
 * the seq, so the subdevice's next retransmission is delivered again. Without RELIABLE_DATA each
 * seq is delivered at most once and never acknowledged.
 */
export class DataReceiver {
  readonly #history = new SeqHistory();
  #closed = false;

  constructor(
    private readonly reliable: boolean,
    private readonly deliver: (payload: Uint8Array, channel: string) => void | Promise<unknown>,
    private readonly ack: (seq: number) => void,
  ) {}

  /** DATA (channel `data`) or CHANNEL_DATA: one seq space, one history. */
  receive(seq: number, payload: Uint8Array, channel = 'data'): void {
    if (!this.reliable) {
      if (this.#history.seenBefore(seq)) return;
      this.deliver(payload, channel)?.then(undefined, () => undefined); // nothing to withhold: the outcome is the application's
      return;
    }
    const state = this.#history.stateOf(seq);
    if (state === 'acked') this.ack(seq);
    if (state !== undefined) return;
    this.#history.record(seq, 'pending');
    const held = this.deliver(payload, channel);
    if (!held) {
      this.#history.acknowledge(seq);
      this.ack(seq);
      return;
    }
    held.then(
      () => {
        // After the session ended the subdevice gives the reading up (or resends it as new DATA).
        if (!this.#closed && this.#history.acknowledge(seq)) this.ack(seq);
      },
      () => {
        if (!this.#closed) this.#history.forget(seq);
      },
    );
  }

  /**
   * A message of the same seq space the application takes at once (SHADOW_REPORT): acknowledged
   * now (with RELIABLE_DATA), handed over once per seq.
   */
  receiveAtOnce(seq: number, deliver: () => void): void {
    if (this.reliable) this.ack(seq);
    if (this.#history.seenBefore(seq)) return;
    deliver();
  }

  /** The session ended: promises settling later change nothing. */
  close(): void {
    this.#closed = true;
  }
}
