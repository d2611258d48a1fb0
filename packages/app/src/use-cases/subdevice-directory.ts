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

/** What a follower of every link subscribed on one link (closed when the link is removed). */
type LinkFollower = (link: SubdeviceLink) => Subscription | readonly Subscription[] | void;

/**
 * Which subdevice is reachable over which link, and with which firmware, as the links announce it.
 * The other use cases ask it instead of each listening to every link. The set of links may change
 * while the gateway runs (a configuration from the hub adds or removes one): use cases follow
 * every link with `eachLink`, which also covers links added later.
 */
@injectable()
export class SubdeviceDirectory {
  readonly #links: SubdeviceLink[];
  readonly #attached = new Map<string, AttachedSubdevice>();
  readonly #events = new TypedEmitter<DirectoryEvents>();
  /** Per follower (the directory itself while open, and each `eachLink` caller), its subscriptions per link. */
  readonly #followers = new Map<object, { readonly follow: LinkFollower; readonly perLink: Map<SubdeviceLink, Subscription[]> }>();
  #own: Subscription | undefined;
  #epoch = 0;

  constructor(@inject(SUBDEVICE_LINKS) links: SubdeviceLink[]) {
    this.#links = [...links];
  }

  /** The links the gateway has now, in the order they were added. */
  get links(): readonly SubdeviceLink[] {
    return this.#links;
  }

  on<K extends keyof DirectoryEvents & string>(event: K, listener: DirectoryEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  /**
   * Calls `follow` for every link now and every link added later; what it returns is closed when
   * that link is removed, or when the returned subscription is closed.
   */
  eachLink(follow: LinkFollower): Subscription {
    const token = {};
    const perLink = new Map<SubdeviceLink, Subscription[]>();
    this.#followers.set(token, { follow, perLink });
    for (const link of this.#links) perLink.set(link, toList(follow(link)));
    return {
      close: () => {
        if (!this.#followers.delete(token)) return;
        for (const subscriptions of perLink.values()) for (const s of subscriptions) s.close();
      },
    };
  }

  /** A link the gateway took on while running: followed like the ones it started with. */
  addLink(link: SubdeviceLink): void {
    if (this.#links.includes(link)) return;
    this.#links.push(link);
    for (const { follow, perLink } of this.#followers.values()) perLink.set(link, toList(follow(link)));
  }

  /**
   * A link the gateway let go of (stop it first, so its subdevices detach as 'stopped' while it
   * is still followed). Any subdevice still listed on it is detached here, with 'stopped'.
   */
  removeLink(link: SubdeviceLink): void {
    const at = this.#links.indexOf(link);
    if (at < 0) return;
    this.#links.splice(at, 1);
    for (const { perLink } of this.#followers.values()) {
      for (const s of perLink.get(link) ?? []) s.close();
      perLink.delete(link);
    }
    for (const [key, entry] of [...this.#attached]) {
      if (entry.link !== link) continue;
      this.#attached.delete(key);
      this.#events.emit('detached', { subdevice: entry.subdevice, link, reason: 'stopped' });
    }
  }

  /** Starts following the links (idempotent); picks up subdevices already attached. */
  open(): void {
    if (this.#own) return;
    this.#own = this.eachLink((link) => {
      for (const attachment of link.attachedSubdevices()) {
        this.#attached.set(subdeviceKey(attachment.subdevice), { ...attachment, link, epoch: ++this.#epoch });
      }
      return [
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
      ];
    });
  }

  close(): void {
    for (const { perLink } of this.#followers.values()) for (const subscriptions of perLink.values()) for (const s of subscriptions) s.close();
    this.#followers.clear();
    this.#own = undefined;
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

function toList(subscriptions: Subscription | readonly Subscription[] | void): Subscription[] {
  if (subscriptions === undefined) return [];
  return 'close' in subscriptions ? [subscriptions] : [...subscriptions];
}
