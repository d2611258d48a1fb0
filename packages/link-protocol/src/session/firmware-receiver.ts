import { FirmwareResultCode, type Message } from '../messages.js';
import type { FirmwareOutcome } from './firmware-sender.js';

export interface FirmwareOffer {
  readonly version: string;
  readonly size: number;
  readonly md5: Uint8Array;
  readonly chunkSize: number;
}

export interface FirmwareReceiverHooks {
  /**
   * A firmware offer: return how many bytes of this very image are already held (0 for a fresh
   * start) to accept, or a refusal. Called again for a repeated offer.
   */
  firmwareOffer?(offer: FirmwareOffer): number | { readonly code: number; readonly message: string };
  /** In-order bytes of the offered image. */
  firmwareChunk?(offset: number, bytes: Uint8Array): void;
  /** Every byte arrived: start applying, then call `reportApplying`/`reportResult`. */
  firmwareCommit?(offer: FirmwareOffer): void;
  /** Revision 2: the gateway cancelled the transfer before FW_COMMIT. The bytes held may be kept for a resume. */
  firmwareCancelled?(offer: FirmwareOffer): void;
  /**
   * The verdict reached the gateway (FW_RESULT_ACK) or was held long enough (`resultHoldMs` with
   * no FW_COMMIT asking for it again): the moment to reboot into a new image.
   */
  resultSettled?(result: FirmwareOutcome): void;
}

export interface FirmwareReceiverOptions {
  /** FW_CHUNKs kept when they arrive after a gap (0 = none). */
  readonly reorderChunks: number;
  /** How long a verdict is held for a gateway that may ask again, when no FW_RESULT_ACK comes. */
  readonly resultHoldMs: number;
  /** The revision agreed in the current session: in a revision-1 session it behaves exactly as the first spec. */
  readonly revision: () => number;
}

/**
 * The subdevice side of a firmware transfer: accept an offer (with the resume offset), take
 * chunks in order (keeping early ones when it has a reorder buffer), apply on FW_COMMIT, and hold
 * the verdict until the gateway has it. Messages go out through `send`; sessions are counted by
 * the engine (each HELLO_ACK starts one), since chunks and commits are only valid in the session
 * whose gateway made the offer.
 */
export class FirmwareReceiver {
  #offer: FirmwareOffer | undefined;
  #offerSession = 0;
  #received = 0;
  readonly #early = new Map<number, Uint8Array>();
  #applying: number | undefined;
  #result: FirmwareOutcome | undefined;
  #settled = false;
  #holdUntil = 0;

  constructor(
    private readonly hooks: FirmwareReceiverHooks,
    private readonly send: (m: Message) => void,
    private readonly now: () => number,
    private readonly options: FirmwareReceiverOptions,
  ) {}

  /** The session the current image was offered in: only that gateway can read its FW_RESULT. */
  get offerSession(): number {
    return this.#offerSession;
  }

  /** Handles a firmware message of session `session`; false when `m` is not one. */
  receive(m: Message, session: number): boolean {
    switch (m.type) {
      case 'fw_offer':
        this.#onOffer(m, session);
        return true;
      case 'fw_chunk':
        this.#onChunk(m.offset, m.bytes, session);
        return true;
      case 'fw_commit':
        this.#onCommit(session);
        return true;
      case 'fw_cancel':
        this.#onCancel(session);
        return true;
      case 'fw_result_ack':
        if (this.#result && !this.#settled) this.#settle();
        return true;
      default:
        return false;
    }
  }

  reportApplying(percent: number): void {
    this.#applying = Math.max(0, Math.min(100, Math.round(percent)));
    this.send({ type: 'fw_applying', percent: this.#applying });
  }

  reportResult(result: FirmwareOutcome): void {
    this.#applying = undefined;
    this.#result = result;
    this.#settled = false;
    this.#offer = undefined;
    this.#received = 0;
    this.#early.clear();
    this.#sendResult();
  }

  tick(): void {
    if (this.#result && !this.#settled && this.now() >= this.#holdUntil) this.#settle();
  }

  #settle(): void {
    this.#settled = true;
    if (this.#result) this.hooks.resultSettled?.(this.#result);
  }

  /** An offer accepted in this session (revision 1 did not tie offers to sessions). */
  #current(session: number): FirmwareOffer | undefined {
    if (!this.#offer) return undefined;
    return this.options.revision() < 2 || this.#offerSession === session ? this.#offer : undefined;
  }

  #onOffer(m: FirmwareOffer, session: number): void {
    this.#early.clear();
    if (this.#applying !== undefined) {
      this.send({ type: 'fw_result', ok: false, code: FirmwareResultCode.REFUSED, message: 'busy applying an image' });
      return;
    }
    const answer = this.hooks.firmwareOffer ? this.hooks.firmwareOffer(m) : { code: FirmwareResultCode.REFUSED, message: 'firmware updates not supported' };
    if (typeof answer !== 'number') {
      this.send({ type: 'fw_result', ok: false, code: answer.code, message: answer.message });
      return;
    }
    this.#offer = { version: m.version, size: m.size, md5: m.md5, chunkSize: m.chunkSize };
    this.#offerSession = session;
    this.#received = Math.max(0, Math.min(answer, m.size));
    this.#result = undefined;
    this.send({ type: 'fw_accept', resumeOffset: this.#received });
  }

  #onChunk(offset: number, bytes: Uint8Array, session: number): void {
    const offer = this.#current(session);
    // A chunk with no offer accepted in this session (a stale one from before a reboot) is ignored.
    if (!offer || this.#applying !== undefined) return;
    if (offset === this.#received && bytes.length > 0 && this.#received + bytes.length <= offer.size) {
      this.#accept(bytes);
      // Drain chunks that arrived early and now follow on.
      for (let next = this.#early.get(this.#received); next && this.#offer; next = this.#early.get(this.#received)) {
        this.#early.delete(this.#received);
        this.#accept(next);
      }
    } else if (
      offset > this.#received &&
      this.#early.size < this.options.reorderChunks &&
      offset + bytes.length <= offer.size &&
      offset - this.#received <= this.options.reorderChunks * Math.max(1, offer.chunkSize)
    ) {
      this.#early.set(offset, bytes);
    }
    // Cumulative: a chunk at or below the held offset, or after a gap, repeats the held offset (a
    // duplicate ack), with a bitmap of the chunks held beyond it.
    this.send({ type: 'fw_ack', offset: this.#received, sack: this.#sackBits(offer.chunkSize) });
  }

  #onCommit(session: number): void {
    if (this.#result) {
      this.#sendResult();
      return;
    }
    if (this.#applying !== undefined) {
      this.send({ type: 'fw_applying', percent: this.#applying });
      return;
    }
    const offer = this.#current(session);
    if (!offer) {
      // Revision 2 says so, so the gateway offers again; revision 1 stayed silent.
      if (this.options.revision() >= 2) this.send({ type: 'fw_result', ok: false, code: FirmwareResultCode.NO_TRANSFER, message: 'no transfer in progress' });
      return;
    }
    if (this.#received < offer.size) {
      this.send({ type: 'fw_ack', offset: this.#received });
      return;
    }
    this.#applying = 0;
    this.send({ type: 'fw_applying', percent: 0 });
    this.hooks.firmwareCommit?.(offer);
  }

  #onCancel(session: number): void {
    if (this.#applying !== undefined) {
      // Too late to cancel: the image is being written.
      this.send({ type: 'fw_applying', percent: this.#applying });
      return;
    }
    if (this.#result) {
      this.#sendResult();
      return;
    }
    const offer = this.#current(session);
    if (!offer) {
      this.send({ type: 'fw_result', ok: false, code: FirmwareResultCode.NO_TRANSFER, message: 'no transfer in progress' });
      return;
    }
    this.#offer = undefined;
    this.#early.clear();
    this.hooks.firmwareCancelled?.(offer);
    this.send({ type: 'fw_result', ok: false, code: FirmwareResultCode.CANCELLED, message: 'transfer cancelled' });
  }

  #sackBits(chunkSize: number): number {
    const size = Math.max(1, chunkSize);
    let bits = 0;
    for (const key of this.#early.keys()) {
      const i = (key - this.#received) / size - 1;
      if (Number.isInteger(i) && i >= 0 && i < 32) bits |= 1 << i;
    }
    return bits >>> 0;
  }

  #accept(bytes: Uint8Array): void {
    this.hooks.firmwareChunk?.(this.#received, bytes);
    this.#received += bytes.length;
    for (const key of this.#early.keys()) if (key < this.#received) this.#early.delete(key);
  }

  #sendResult(): void {
    const r = this.#result;
    if (!r) return;
    this.#holdUntil = this.now() + this.options.resultHoldMs;
    this.send(r.ok ? { type: 'fw_result', ok: true, version: r.version } : { type: 'fw_result', ok: false, code: r.code, message: r.message });
  }
}
