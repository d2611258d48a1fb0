import { FirmwareResultCode, type Message } from '../messages.js';
import { LinkProtocolError } from './link-protocol.error.js';

/** The image to send. `read` may return fewer bytes only at the end. */
export interface FirmwareSource {
  readonly version: string;
  readonly size: number;
  /** 16 raw bytes. */
  readonly md5: Uint8Array;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export type FirmwareOutcome =
  | { readonly ok: true; readonly version: string }
  | { readonly ok: false; readonly code: number; readonly message: string };

export interface FirmwareProgress {
  readonly phase: 'transferring' | 'applying';
  readonly bytes: number;
  readonly total: number;
  /** Transfer: share of bytes acknowledged; applying: what the subdevice reported. */
  readonly percent: number;
}

export interface FirmwareTransferOptions {
  /** Bytes per FW_CHUNK. Default 512; capped by the subdevice's max frame size. */
  readonly chunkSize?: number;
  /** Chunks in flight before an acknowledgement. Default 4. */
  readonly window?: number;
  /** Go back to the last acknowledged offset when no ack came for this long. Default 1000 ms. */
  readonly retransmitMs?: number;
  /**
   * Duplicate acks that trigger an immediate go-back. Default 1: serial and BLE links never
   * reorder, so one ack that does not move already means a chunk was lost.
   */
  readonly dupAckThreshold?: number;
  /** Give up after this many timeouts in a row without progress. Default 10. */
  readonly maxRetransmits?: number;
  /** Resend FW_OFFER / FW_COMMIT this often until answered. Default 1000 ms. */
  readonly controlRetryMs?: number;
  /** Longest the subdevice may take to apply the image. Default 120 000 ms. */
  readonly applyTimeoutMs?: number;
}

export type FirmwareSenderPhase = 'offering' | 'transferring' | 'committing' | 'applying' | 'done';
type Phase = FirmwareSenderPhase;

/** Offers made again after the subdevice said it had no transfer (it lost its state), before giving up. */
const MAX_REOFFERS = 3;

/**
 * Gateway side of one firmware transfer: offer, windowed chunks with cumulative acks and
 * go-back-N retransmission, commit, wait for the verdict. It emits messages through `send`;
 * the session routes incoming firmware messages to `receive`.
 */
export class FirmwareSender {
  readonly promise: Promise<FirmwareOutcome>;
  #resolve!: (o: FirmwareOutcome) => void;
  #reject!: (e: LinkProtocolError) => void;
  #phase: Phase = 'offering';
  #acked = 0;
  #next = 0;
  #deadline: number;
  #retransmits = 0;
  #dupAcks = 0;
  #fastRetransmitArmed = true;
  /** While recovering a loss selectively: the `next` offset when the loss was seen. */
  #recoverUntil = 0;
  /** The hole last resent selectively, when, and a smoothed time for its ack to come back. */
  #holeOffset = -1;
  #holeSentAt = 0;
  #holeRtt = 0;
  /** Chunks the subdevice reported holding beyond the acked offset (SACK), and when holes were resent. */
  readonly #sacked = new Set<number>();
  readonly #resentAt = new Map<number, number>();
  #applyDeadline = Infinity;
  #applyPercent = -1;
  #reoffers = 0;
  readonly #cache = new Map<number, Uint8Array>();
  readonly #reading = new Set<number>();
  readonly #chunkSize: number;
  readonly #window: number;
  readonly #retransmitMs: number;
  readonly #maxRetransmits: number;
  readonly #controlRetryMs: number;
  readonly #applyTimeoutMs: number;
  readonly #dupAckThreshold: number;

  constructor(
    private readonly source: FirmwareSource,
    private readonly send: (m: Message) => void,
    private readonly now: () => number,
    private readonly onProgress: ((p: FirmwareProgress) => void) | undefined,
    maxChunk: number,
    options: FirmwareTransferOptions = {},
    /** The subdevice keeps chunks after a gap (HELLO capability REORDER_BUFFER). */
    private readonly selective = false,
  ) {
    this.#chunkSize = Math.max(1, Math.min(options.chunkSize ?? 512, maxChunk));
    this.#window = Math.max(1, options.window ?? 4);
    this.#retransmitMs = options.retransmitMs ?? 1000;
    this.#maxRetransmits = options.maxRetransmits ?? 10;
    this.#controlRetryMs = options.controlRetryMs ?? 1000;
    this.#applyTimeoutMs = options.applyTimeoutMs ?? 120_000;
    this.#dupAckThreshold = Math.max(1, options.dupAckThreshold ?? 1);
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#deadline = now() + this.#controlRetryMs;
    this.#offer();
  }

  get finished(): boolean {
    return this.#phase === 'done';
  }

  get phase(): FirmwareSenderPhase {
    return this.#phase;
  }

  /** The version being delivered. */
  get version(): string {
    return this.source.version;
  }

  /**
   * The subdevice said HELLO again (it rebooted). After FW_COMMIT, a HELLO announcing the offered
   * version means the image was applied and FW_RESULT was lost: the delivery succeeded. Returns
   * whether that settled the delivery.
   */
  peerRebooted(firmwareVersion: string): boolean {
    if ((this.#phase !== 'committing' && this.#phase !== 'applying') || firmwareVersion !== this.source.version) return false;
    this.#finish({ ok: true, version: firmwareVersion });
    return true;
  }

  get ackedOffset(): number {
    return this.#acked;
  }

  receive(m: Message): void {
    if (this.#phase === 'done') return;
    switch (m.type) {
      case 'fw_accept':
        if (this.#phase !== 'offering') return;
        this.#acked = this.#next = Math.min(m.resumeOffset, this.source.size);
        this.#phase = 'transferring';
        this.#deadline = this.now() + this.#retransmitMs;
        this.#progress();
        // It may hold the whole image already (interrupted just before FW_COMMIT): commit at once.
        if (this.#acked >= this.source.size) this.#commit();
        else this.#pump();
        return;
      case 'fw_ack':
        this.#onAck(m.offset, m.sack);
        return;
      case 'fw_applying':
        // Only after FW_COMMIT: an FW_APPLYING before it (or unprompted in another phase) is ignored.
        if (this.#phase === 'committing' || this.#phase === 'applying') {
          // The apply timeout runs from the last progress, so a long apply that reports is not cut short.
          if (this.#phase === 'committing' || m.percent > this.#applyPercent) this.#applyDeadline = this.now() + this.#applyTimeoutMs;
          this.#applyPercent = Math.max(this.#applyPercent, m.percent);
          this.#phase = 'applying';
          this.onProgress?.({ phase: 'applying', bytes: this.source.size, total: this.source.size, percent: m.percent });
        }
        return;
      case 'fw_result':
        if (!m.ok && m.code === FirmwareResultCode.CANCELLED) return; // answers an FW_CANCEL of an earlier transfer
        if (!m.ok && m.code === FirmwareResultCode.NO_TRANSFER) {
          // The subdevice holds no offer (it lost its state without saying HELLO): offer again.
          if (this.#phase !== 'offering') this.#reoffer();
          return;
        }
        this.#finish(m.ok ? { ok: true, version: m.version } : { ok: false, code: m.code, message: m.message });
        return;
      default:
        return;
    }
  }

  tick(): void {
    if (this.#phase === 'done') return;
    const now = this.now();
    if (this.#phase === 'applying' && now >= this.#applyDeadline) {
      this.fail(new LinkProtocolError('timeout', `subdevice did not report a result within ${this.#applyTimeoutMs} ms of applying`));
      return;
    }
    if (this.#phase === 'transferring' && this.#sacked.size > 0 && now < this.#deadline) {
      this.#resendHoles();
      return;
    }
    if (
      this.#phase === 'transferring' &&
      this.#holeOffset === this.#acked &&
      this.#holeRtt > 0 &&
      now - this.#holeSentAt > 2 * this.#holeRtt + 5 &&
      now < this.#deadline
    ) {
      // The resent chunk itself was lost: resend it again without waiting for the full timeout.
      this.#resendAt(this.#acked);
      return;
    }
    if (now < this.#deadline) return;
    if (this.#phase === 'transferring') {
      this.#holeOffset = -1;
      this.#sacked.clear();
      this.#resentAt.clear();
      this.#retransmits++;
      if (this.#retransmits > this.#maxRetransmits) {
        this.fail(new LinkProtocolError('timeout', `firmware transfer stalled at offset ${this.#acked}`));
        return;
      }
      this.#next = this.#acked;
      this.#recoverUntil = 0;
      this.#deadline = now + this.#retransmitMs;
      this.#pump();
      return;
    }
    this.#retransmits++;
    if (this.#phase !== 'applying' && this.#retransmits > this.#maxRetransmits) {
      this.fail(new LinkProtocolError('timeout', `subdevice did not answer ${this.#phase === 'offering' ? 'FW_OFFER' : 'FW_COMMIT'}`));
      return;
    }
    this.#deadline = now + this.#controlRetryMs;
    if (this.#phase === 'offering') this.#offer();
    else this.send({ type: 'fw_commit' });
  }

  fail(error: LinkProtocolError): void {
    if (this.#phase === 'done') return;
    this.#phase = 'done';
    this.#cache.clear();
    this.#reject(error);
  }

  #finish(outcome: FirmwareOutcome): void {
    this.#phase = 'done';
    this.#cache.clear();
    this.#resolve(outcome);
  }

  #commit(): void {
    this.#phase = 'committing';
    this.#retransmits = 0;
    this.#deadline = this.now() + this.#controlRetryMs;
    this.send({ type: 'fw_commit' });
  }

  #reoffer(): void {
    if (++this.#reoffers > MAX_REOFFERS) {
      this.fail(new LinkProtocolError('timeout', `subdevice lost the transfer ${MAX_REOFFERS} times (it answered "no transfer")`));
      return;
    }
    this.#phase = 'offering';
    this.#retransmits = 0;
    this.#sacked.clear();
    this.#resentAt.clear();
    this.#holeOffset = -1;
    this.#deadline = this.now() + this.#controlRetryMs;
    this.#offer();
  }

  #offer(): void {
    this.send({ type: 'fw_offer', version: this.source.version, size: this.source.size, md5: this.source.md5, chunkSize: this.#chunkSize });
  }

  #onAck(offset: number, sack?: number): void {
    if (this.#phase === 'committing' && offset < this.source.size) {
      // The subdevice lacks bytes after all: go back to transferring from what it has.
      this.#phase = 'transferring';
      this.#acked = this.#next = offset;
    }
    if (this.#phase !== 'transferring') return;
    if (offset > this.#acked && offset <= this.source.size) {
      this.#acked = offset;
      if (this.#next < offset) this.#next = offset;
      this.#retransmits = 0;
      this.#dupAcks = 0;
      this.#fastRetransmitArmed = true;
      this.#deadline = this.now() + this.#retransmitMs;
      for (const key of this.#cache.keys()) if (key < offset) this.#cache.delete(key);
      for (const [key, at] of this.#resentAt) {
        if (key >= offset) continue;
        this.#resentAt.delete(key);
        const sample = this.now() - at;
        this.#holeRtt = this.#holeRtt === 0 ? sample : 0.875 * this.#holeRtt + 0.125 * sample;
      }
      if (this.#holeOffset >= 0 && offset > this.#holeOffset) {
        const sample = this.now() - this.#holeSentAt;
        this.#holeRtt = this.#holeRtt === 0 ? sample : 0.875 * this.#holeRtt + 0.125 * sample;
        this.#holeOffset = -1;
      }
      this.#progress();
      // A partial ack while recovering: the subdevice filled one gap and stops at the next.
      if (this.selective && sack === undefined && offset < this.#recoverUntil) this.#resendAt(offset);
    } else if (this.selective && sack !== undefined) {
      // Holes are handled from the bitmap below, not by counting duplicate acks.
    } else if (offset === this.#acked && this.#next > this.#acked && this.#fastRetransmitArmed) {
      // An ack that does not move means a chunk was lost and later ones arrived: resend at once
      // rather than waiting for the timeout, but only once until the ack moves again.
      if (++this.#dupAcks >= this.#dupAckThreshold) {
        this.#fastRetransmitArmed = false;
        this.#deadline = this.now() + this.#retransmitMs;
        if (this.selective) {
          this.#recoverUntil = this.#next;
          this.#resendAt(this.#acked);
        } else this.#next = this.#acked;
      }
    }
    if (this.selective && offset === this.#acked) this.#applySack(sack ?? 0);
    if (this.#acked >= this.source.size) {
      this.#commit();
      return;
    }
    this.#pump();
  }

  /** Records what the subdevice holds beyond the acked offset and resends the holes before it. */
  #applySack(sack: number): void {
    this.#sacked.clear();
    let highest = -1;
    for (let i = 0; i < 32; i++) {
      if (((sack >>> i) & 1) === 0) continue;
      highest = this.#acked + (i + 1) * this.#chunkSize;
      this.#sacked.add(highest);
    }
    this.#resendHoles(highest);
  }

  #resendHoles(highest = Math.max(-1, ...this.#sacked)): void {
    if (highest < 0) return;
    const now = this.now();
    const patience = this.#holeRtt > 0 ? 2 * this.#holeRtt + 5 : this.#retransmitMs / 4;
    for (let o = this.#acked; o < highest; o += this.#chunkSize) {
      if (this.#sacked.has(o)) continue;
      const last = this.#resentAt.get(o);
      if (last !== undefined && now - last < patience) continue;
      const bytes = this.#cache.get(o);
      if (!bytes) continue;
      this.#resentAt.set(o, now);
      this.send({ type: 'fw_chunk', offset: o, bytes });
    }
  }

  /** Resends the one chunk at `offset` (selective recovery), if it is still at hand. */
  #resendAt(offset: number): void {
    const bytes = this.#cache.get(offset);
    this.#holeOffset = offset;
    this.#holeSentAt = this.now();
    if (bytes) this.send({ type: 'fw_chunk', offset, bytes });
    else this.#next = Math.min(this.#next, offset);
  }

  #progress(): void {
    const total = this.source.size;
    this.onProgress?.({ phase: 'transferring', bytes: this.#acked, total, percent: total === 0 ? 100 : Math.floor((this.#acked * 100) / total) });
  }

  #pump(): void {
    const size = this.source.size;
    // Chunks the subdevice already holds do not count against the window (bitmap: 32 chunks).
    const ahead = Math.min(this.#window + this.#sacked.size, 32);
    const limit = Math.min(size, this.#acked + ahead * this.#chunkSize);
    // Prefetch the whole window so sending never waits on a read once the ack arrives.
    for (let off = this.#next; off < limit; off += this.#chunkSize) this.#fetch(off);
    while (this.#phase === 'transferring' && this.#next < limit) {
      const bytes = this.#cache.get(this.#next);
      if (!bytes) return;
      this.send({ type: 'fw_chunk', offset: this.#next, bytes });
      this.#next += bytes.length;
    }
  }

  #fetch(offset: number): void {
    if (this.#cache.has(offset) || this.#reading.has(offset)) return;
    this.#reading.add(offset);
    const length = Math.min(this.#chunkSize, this.source.size - offset);
    this.source.read(offset, length).then(
      (bytes) => {
        this.#reading.delete(offset);
        if (this.#phase !== 'transferring' || offset < this.#acked) return;
        if (bytes.length !== length) {
          this.fail(new LinkProtocolError('read_failed', `image read at ${offset} returned ${bytes.length} of ${length} bytes`));
          return;
        }
        this.#cache.set(offset, bytes);
        this.#pump();
      },
      (error: unknown) => {
        this.#reading.delete(offset);
        this.fail(new LinkProtocolError('read_failed', `image read at ${offset} failed`, { cause: error }));
      },
    );
  }
}
