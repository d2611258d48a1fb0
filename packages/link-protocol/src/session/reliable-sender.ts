import { LinkProtocolError } from './link-protocol.error.js';

interface Pending {
  readonly wire: Uint8Array;
  attempts: number;
  deadline: number;
  readonly resolve: () => void;
  readonly reject: (error: LinkProtocolError) => void;
}

interface Waiting {
  readonly seq: number;
  readonly pending: Pending;
}

/** DATA frames unacknowledged at once, by default: half the receiver's 64-seq history (§7). */
export const DEFAULT_DATA_WINDOW = 32;

/** A configured window, checked: beyond 64 a retransmission could fall out of the receiver's history. */
export function dataWindowOf(window: number | undefined): number {
  if (window === undefined) return DEFAULT_DATA_WINDOW;
  if (!Number.isInteger(window) || window < 1 || window > 64) {
    throw new RangeError(`dataWindow must be an integer from 1 to 64 (the receiver remembers 64 seqs), got ${window}`);
  }
  return window;
}

/**
 * The longest wait between two copies, as a multiple of ackTimeout: 300, 600, 1200, 2400, 2400 ms.
 * Doubling is what keeps a congested bus (or a starved receiver) from being buried under copies:
 * a fixed 300 ms resends every unacknowledged frame ~3× a second exactly when acks are late.
 */
const MAX_BACKOFF_FACTOR = 8;

/** The wait after the `attempts`-th copy of a frame before the next one (or before giving up). */
export function retransmitAfterMs(ackTimeoutMs: number, attempts: number): number {
  return ackTimeoutMs * Math.min(2 ** (attempts - 1), MAX_BACKOFF_FACTOR);
}

/**
 * Per-seq retransmission for DATA frames: resend with a doubling interval until acked or out of
 * attempts, at most `window` frames unacknowledged at once (the rest wait, in order, for a slot),
 * so a retransmitted seq is always still in the receiver's history.
 */
export class ReliableSender {
  readonly #pending = new Map<number, Pending>();
  readonly #waiting: Waiting[] = [];

  constructor(
    private readonly ackTimeoutMs: number,
    private readonly maxAttempts: number,
    private readonly transmit: (wire: Uint8Array) => void,
    private readonly window: number = DEFAULT_DATA_WINDOW,
  ) {}

  /** Frames sent and not yet acknowledged, and frames waiting for a slot. */
  get inFlight(): number {
    return this.#pending.size;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  send(seq: number, wire: Uint8Array, now: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const pending: Pending = { wire, attempts: 1, deadline: 0, resolve, reject };
      if (this.#pending.size >= this.window) this.#waiting.push({ seq, pending });
      else this.#start(seq, pending, now);
    });
  }

  ack(seq: number, now: number): void {
    const p = this.#pending.get(seq);
    if (!p) return;
    this.#pending.delete(seq);
    p.resolve();
    this.#fill(now);
  }

  tick(now: number): void {
    let freed = false;
    for (const [seq, p] of this.#pending) {
      if (now < p.deadline) continue;
      if (p.attempts >= this.maxAttempts) {
        this.#pending.delete(seq);
        freed = true;
        p.reject(new LinkProtocolError('timeout', `no acknowledgement after ${p.attempts} attempts`));
      } else {
        p.attempts++;
        p.deadline = now + retransmitAfterMs(this.ackTimeoutMs, p.attempts);
        this.transmit(p.wire);
      }
    }
    if (freed) this.#fill(now);
  }

  failAll(error: LinkProtocolError): void {
    const all = [...this.#pending.values(), ...this.#waiting.map((w) => w.pending)];
    this.#pending.clear();
    this.#waiting.length = 0;
    for (const p of all) p.reject(error);
  }

  #start(seq: number, pending: Pending, now: number): void {
    pending.deadline = now + retransmitAfterMs(this.ackTimeoutMs, 1);
    this.#pending.set(seq, pending);
    this.transmit(pending.wire);
  }

  #fill(now: number): void {
    while (this.#pending.size < this.window) {
      const next = this.#waiting.shift();
      if (!next) return;
      this.#start(next.seq, next.pending, now);
    }
  }
}
