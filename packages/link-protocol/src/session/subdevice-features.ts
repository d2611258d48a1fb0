import { Feature, ResponseStatus, type FeatureMessage } from '../feature-messages.js';
import type { Message } from '../messages.js';
import { LinkProtocolError } from './link-protocol.error.js';

/** What the application answers to a REQUEST: the response bytes (or throws: status FAILED). */
export type RequestHandler = (payload: Uint8Array, info: { readonly timeoutMs: number }) => Uint8Array | Promise<Uint8Array>;

export interface HubTime {
  readonly unixMs: number;
  /** False when the gateway has no hub time yet and answered with its own clock. */
  readonly synced: boolean;
}

interface TimeWait {
  readonly seq: number;
  attempts: number;
  deadline: number;
  readonly resolve: (time: HubTime) => void;
  readonly reject: (error: LinkProtocolError) => void;
}

const HELD_RESPONSES = 8;
const TIME_RETRY_MS = 500;
const TIME_ATTEMPTS = 3;

/**
 * The subdevice side of the optional features (spec §12): answers REQUESTs once each (a repeated
 * REQUEST gets the held RESPONSE again, byte for byte, or nothing while the handler still runs)
 * and asks the gateway for hub time. One per engine; `reset` at every new session.
 */
export class SubdeviceFeatures {
  /** requestId → the RESPONSE wire sent, or 'running'. Insertion-ordered, the newest kept. */
  readonly #responses = new Map<number, Uint8Array | 'running'>();
  #generation = 0;
  #time: TimeWait | undefined;

  constructor(
    private readonly handler: RequestHandler | undefined,
    /** Encodes with the next seq, transmits, returns the wire bytes. */
    private readonly send: (m: Message) => { readonly seq: number; readonly wire: Uint8Array },
    private readonly transmit: (wire: Uint8Array) => void,
    private readonly now: () => number,
    private readonly agreed: () => number,
  ) {}

  receive(m: FeatureMessage, seq: number): void {
    if (m.type === 'request') this.#request(m);
    else if (m.type === 'time_response' && this.#time?.seq === seq) {
      const wait = this.#time;
      this.#time = undefined;
      wait.resolve({ unixMs: m.unixMs, synced: m.synced });
    }
  }

  requestTime(): Promise<HubTime> {
    if ((this.agreed() & Feature.TIME) === 0) return Promise.reject(new LinkProtocolError('unsupported', 'the gateway did not agree to the TIME feature'));
    if (this.#time) return Promise.reject(new LinkProtocolError('busy', 'a time request is already waiting'));
    return new Promise<HubTime>((resolve, reject) => {
      const { seq } = this.send({ type: 'time_request' });
      this.#time = { seq, attempts: 1, deadline: this.now() + TIME_RETRY_MS, resolve, reject };
    });
  }

  tick(): void {
    const wait = this.#time;
    if (!wait || this.now() < wait.deadline) return;
    if (wait.attempts >= TIME_ATTEMPTS) {
      this.#time = undefined;
      wait.reject(new LinkProtocolError('timeout', `no TIME_RESPONSE after ${wait.attempts} attempts`));
      return;
    }
    // A new TIME_REQUEST (new seq): the answer to an older one would carry an older time anyway.
    const { seq } = this.send({ type: 'time_request' });
    this.#time = { ...wait, seq, attempts: wait.attempts + 1, deadline: this.now() + TIME_RETRY_MS };
  }

  /** A new session (or none): held responses and waits belong to the old one. */
  reset(error: LinkProtocolError): void {
    this.#generation++;
    this.#responses.clear();
    const wait = this.#time;
    this.#time = undefined;
    wait?.reject(error);
  }

  #request(m: Extract<FeatureMessage, { type: 'request' }>): void {
    const held = this.#responses.get(m.requestId);
    if (held === 'running') return;
    if (held) {
      this.transmit(held);
      return;
    }
    this.#hold(m.requestId, 'running');
    const generation = this.#generation;
    const answer = (status: number, payload: Uint8Array): void => {
      if (generation !== this.#generation) return; // the session ended while the handler ran
      const { wire } = this.send({ type: 'response', requestId: m.requestId, status, payload });
      this.#hold(m.requestId, wire);
    };
    if (!this.handler) {
      answer(ResponseStatus.UNSUPPORTED, new Uint8Array(0));
      return;
    }
    let result: Uint8Array | Promise<Uint8Array>;
    try {
      result = this.handler(m.payload, { timeoutMs: m.timeoutMs });
    } catch (error) {
      answer(ResponseStatus.FAILED, failureText(error));
      return;
    }
    // A synchronous answer goes out at once (as an MCU's would), within the same step.
    if (result instanceof Uint8Array) {
      answer(ResponseStatus.OK, result);
      return;
    }
    result.then(
      (payload) => answer(ResponseStatus.OK, payload),
      (error: unknown) => answer(ResponseStatus.FAILED, failureText(error)),
    );
  }

  #hold(requestId: number, value: Uint8Array | 'running'): void {
    this.#responses.delete(requestId);
    this.#responses.set(requestId, value);
    while (this.#responses.size > HELD_RESPONSES) {
      const oldest = this.#responses.keys().next().value as number;
      this.#responses.delete(oldest);
    }
  }
}

function failureText(error: unknown): Uint8Array {
  return new TextEncoder().encode((error instanceof Error ? error.message : String(error)).slice(0, 200));
}
