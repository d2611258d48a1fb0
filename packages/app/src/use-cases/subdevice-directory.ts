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
          const entry = { ...attachment, link };
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
        this.#attached.set(subdeviceKey(attachment.subdevice), { ...attachment, link });
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
   * Resolves with the subdevice's attachment once it is attached and `accept` agrees
   * (at once when it already is, unless `fresh`). Rejects with TimeoutError or CancelledError.
   */
  async waitForAttach(
    subdevice: SubdeviceId,
    accept: (entry: AttachedSubdevice) => boolean,
    options: CallOptions & { readonly timeoutMs: number; readonly fresh?: boolean },
  ): Promise<AttachedSubdevice> {
    const key = subdeviceKey(subdevice);
    const current = this.#attached.get(key);
    // `fresh`: only a new announcement counts (after a cut link the old entry may not be gone yet).
    if (!options.fresh && current && accept(current)) return current;
    let subscription: Subscription | undefined;
    try {
      return await withDeadline(`waiting for ${key} to attach`, options, options.timeoutMs, () =>
        new Promise<AttachedSubdevice>((resolve) => {
          subscription = this.#events.on('attached', (entry) => {
            if (subdeviceKey(entry.subdevice) === key && accept(entry)) resolve(entry);
          });
        }),
      );
    } finally {
      subscription?.close();
    }
  }
}
