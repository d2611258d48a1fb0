import { LinkProtocolError } from './link-protocol.error.js';

/** What the subdevice answered to a REQUEST. */
export interface RequestOutcome {
  /** ResponseStatus: 0 OK, 1 UNSUPPORTED, 2 FAILED. */
  readonly status: number;
  readonly payload: Uint8Array;
}

interface PendingRequest {
  readonly address: number;
  readonly wire: Uint8Array;
  readonly deadline: number;
  nextResend: number;
  readonly resolve: (outcome: RequestOutcome) => void;
  readonly reject: (error: LinkProtocolError) => void;
}

/**
 * The gateway's open REQUESTs (feature REQUESTS, spec §12.1): each is resent byte for byte every
 * `retryMs` until its RESPONSE or its deadline, whichever comes first. A RESPONSE after the
 * deadline finds nothing and is dropped: the caller has already been told "timeout".
 */
export class RequestTracker {
  readonly #pending = new Map<string, PendingRequest>();
  readonly #nextId = new Map<number, number>();

  constructor(
    private readonly retryMs: number,
    private readonly transmit: (wire: Uint8Array) => void,
  ) {}

  /** The next request id for a peer (1..65535, wrapping; 0 is never used). */
  nextId(address: number): number {
    const id = ((this.#nextId.get(address) ?? 0) % 0xffff) + 1;
    this.#nextId.set(address, id);
    return id;
  }

  open(address: number, requestId: number, wire: Uint8Array, now: number, timeoutMs: number): Promise<RequestOutcome> {
    return new Promise<RequestOutcome>((resolve, reject) => {
      this.#pending.set(`${address}/${requestId}`, { address, wire, deadline: now + timeoutMs, nextResend: now + this.retryMs, resolve, reject });
      this.transmit(wire);
    });
  }

  /** A RESPONSE: settles the matching request; a late or unknown one is ignored. */
  answer(address: number, requestId: number, outcome: RequestOutcome): void {
    const key = `${address}/${requestId}`;
    const p = this.#pending.get(key);
    if (!p) return;
    this.#pending.delete(key);
    p.resolve(outcome);
  }

  tick(now: number): void {
    for (const [key, p] of this.#pending) {
      if (now >= p.deadline) {
        this.#pending.delete(key);
        p.reject(new LinkProtocolError('timeout', `no response from the subdevice at address ${p.address} within the deadline`));
      } else if (now >= p.nextResend) {
        p.nextResend = now + this.retryMs;
        this.transmit(p.wire);
      }
    }
  }

  /** The peer is gone: its open requests fail at once. */
  failPeer(address: number, error: LinkProtocolError): void {
    for (const [key, p] of this.#pending) {
      if (p.address !== address) continue;
      this.#pending.delete(key);
      p.reject(error);
    }
    this.#nextId.delete(address);
  }
}
