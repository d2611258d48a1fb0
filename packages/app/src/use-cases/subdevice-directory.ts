import { inject, injectable } from 'tsyringe';
import {
  SUBDEVICE_LINKS,
  TypedEmitter,
  subdeviceKey,
  withDeadline,
  type CallOptions,
  type DetachReason,
  type SubdeviceAttachment,
  type SubdeviceId,
  type SubdeviceLink,
  type Subscription,
} from '@iotgw/domain';

export interface AttachedSubdevice extends SubdeviceAttachment {
  readonly link: SubdeviceLink;
  /**
   * Which attach this is: every announcement the directory hears gets a larger number than any
   * before it. A caller that saw epoch N and needs the subdevice back asks for one after N, so an
   * attach that lands before it starts waiting still counts (a re-HELLO detaches and attaches in
   * the same tick, before the caller's failed transfer even settles).
   */
  readonly epoch: number;
}

export interface DirectoryEvents {
  [event: string]: (payload: never) => void;
  attached: (entry: AttachedSubdevice) => void;
  detached: (event: { readonly subdevice: SubdeviceId; readonly link: SubdeviceLink; readonly reason: DetachReason }) => void;
}

/**
 * Which subdevice is reachable over which link, and with which firmware, as the links announce it.
 * The other use cases ask it instead of each listening to every link.
 */
@injectable()
export class SubdeviceDirectory {
  readonly #links: readonly SubdeviceLink[];
  readonly #attached = new Map<string, AttachedSubdevice>();
  readonly #events = new TypedEmitter<DirectoryEvents>();
  #subscriptions: Subscription[] = [];
  #epoch = 0;

  constructor(@inject(SUBDEVICE_LINKS) links: SubdeviceLink[]) {
    this.#links = links;
  }

  get links(): readonly SubdeviceLink[] {
    return this.#links;
  }

  on<K extends keyof DirectoryEvents & string>(event: K, listener: DirectoryEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  /** Starts following the links (idempotent); picks up subdevices already attached. */
  open(): void {
    if (this.#subscriptions.length > 0) return;
    for (const link of this.#links) {
      this.#subscriptions.push(
        link.on('attached', (attachment) => {
          const entry = { ...attachment, link, epoch: ++this.#epoch };
          this.#attached.set(subdeviceKey(attachment.subdevice), entry);
          this.#events.emit('attached', entry);
        }),
        link.on('detached', ({ subdevice, reason }) => {
          const key = subdeviceKey(subdevice);
          // A late detach from a link the subdevice already left must not hide its new home.
          if (this.#attached.get(key)?.link === link) this.#attached.delete(key);
          this.#events.emit('detached', { subdevice, link, reason });
        }),
      );
      for (const attachment of link.attachedSubdevices()) {
        this.#attached.set(subdeviceKey(attachment.subdevice), { ...attachment, link, epoch: ++this.#epoch });
      }
    }
  }

  close(): void {
    for (const s of this.#subscriptions) s.close();
    this.#subscriptions = [];
    this.#events.clear();
  }

  find(subdevice: SubdeviceId): AttachedSubdevice | undefined {
    return this.#attached.get(subdeviceKey(subdevice));
  }

  all(): AttachedSubdevice[] {
    return [...this.#attached.values()];
  }

  /**
   * Resolves with the subdevice's attachment once it is attached and `accept` agrees (at once when
   * it already is). With `after`, only an attach with a larger epoch counts: the one a caller saw
   * before losing the subdevice does not (a cut link's detach may not have arrived yet), but one
   * that happened since does, even if it happened before this call. Rejects with TimeoutError or
   * CancelledError.
   */
  async waitForAttach(
    subdevice: SubdeviceId,
    accept: (entry: AttachedSubdevice) => boolean,
    options: CallOptions & { readonly timeoutMs: number; readonly after?: number },
  ): Promise<AttachedSubdevice> {
    const key = subdeviceKey(subdevice);
    const after = options.after ?? Number.NEGATIVE_INFINITY;
    const wanted = (entry: AttachedSubdevice): boolean => entry.epoch > after && accept(entry);
    const current = this.#attached.get(key);
    if (current && wanted(current)) return current;
    let subscription: Subscription | undefined;
    try {
      return await withDeadline(`waiting for ${key} to attach`, options, options.timeoutMs, () =>
        new Promise<AttachedSubdevice>((resolve) => {
          subscription = this.#events.on('attached', (entry) => {
            if (subdeviceKey(entry.subdevice) === key && wanted(entry)) resolve(entry);
          });
        }),
      );
    } finally {
      subscription?.close();
    }
  }
}
