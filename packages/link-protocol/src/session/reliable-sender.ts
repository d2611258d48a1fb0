import { LinkProtocolError } from './link-protocol.error.js';

interface Pending {
  readonly wire: Uint8Array;
  attempts: number;
  deadline: number;
  readonly resolve: () => void;
  readonly reject: (error: LinkProtocolError) => void;
}

/** Stop-and-wait-per-seq retransmission for DATA frames: resend until acked or out of attempts. */
export class ReliableSender {
  readonly #pending = new Map<number, Pending>();

  constructor(
    private readonly ackTimeoutMs: number,
    private readonly maxAttempts: number,
    private readonly transmit: (wire: Uint8Array) => void,
  ) {}

  send(seq: number, wire: Uint8Array, now: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.set(seq, { wire, attempts: 1, deadline: now + this.ackTimeoutMs, resolve, reject });
      this.transmit(wire);
    });
  }

  ack(seq: number): void {
    const p = this.#pending.get(seq);
    if (!p) return;
    this.#pending.delete(seq);
    p.resolve();
  }

  tick(now: number): void {
    for (const [seq, p] of this.#pending) {
      if (now < p.deadline) continue;
      if (p.attempts >= this.maxAttempts) {
        this.#pending.delete(seq);
        p.reject(new LinkProtocolError('timeout', `no acknowledgement after ${p.attempts} attempts`));
      } else {
        p.attempts++;
        p.deadline = now + this.ackTimeoutMs;
        this.transmit(p.wire);
      }
    }
  }

  failAll(error: LinkProtocolError): void {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of all) p.reject(error);
  }
}
