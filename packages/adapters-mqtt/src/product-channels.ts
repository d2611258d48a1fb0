import { ValidationError } from '@iotgw/domain';

/** The channels one product declares beyond the defaults, as the console's topic list has them. */
export interface ProductChannelDeclaration {
  /** Channels its devices publish on (`{pid}/{dev}/{channel}`, uplink). */
  readonly publish?: readonly string[];
  /** Channels its devices subscribe (downlink from the hub). */
  readonly subscribe?: readonly string[];
}

/** Every product's default topics at the hub that need no declaration: `data` both ways, `event` up. */
const DEFAULT_PUBLISH = ['data', 'event'];

/**
 * Which `{pid}/{dev}/{channel}` topics the gateway uses for a subdevice. The hub closes the
 * connection of a device publishing on a topic its product does not have, so an uplink on an
 * undeclared channel is refused here, before it reaches the wire (and the outbox): one bad
 * reading must never cost the gateway its connection.
 */
export class ProductChannels {
  constructor(
    /** Subscribed for every product (the gateway-wide `dataChannels`, default `data`); also publishable. */
    private readonly everyProduct: readonly string[],
    private readonly byProduct: Readonly<Record<string, ProductChannelDeclaration>> = {},
  ) {}

  /**
   * Per product, the channels it may publish on, built once: `refusal` runs for every reading, and
   * a declaration never changes (a new one is a new ProductChannels).
   */
  readonly #publishableBy = new Map<string, ReadonlySet<string>>();

  #publishable(productId: string): ReadonlySet<string> {
    let set = this.#publishableBy.get(productId);
    if (!set) {
      set = new Set([...DEFAULT_PUBLISH, ...this.everyProduct, ...(this.byProduct[productId]?.publish ?? [])]);
      this.#publishableBy.set(productId, set);
    }
    return set;
  }

  /** Downlink channels followed for an online subdevice of `productId`. */
  subscribedBy(productId: string): string[] {
    return [...new Set([...this.everyProduct, ...(this.byProduct[productId]?.subscribe ?? [])])];
  }

  /** Channels a subdevice of `productId` may publish on. */
  publishedBy(productId: string): string[] {
    return [...this.#publishable(productId)];
  }

  /** Undefined when allowed; else the error naming the channel and where to declare it. */
  refusal(productId: string, channel: string): ValidationError | undefined {
    if (this.#publishable(productId).has(channel)) return undefined;
    const allowed = this.publishedBy(productId);
    return new ValidationError(
      `channel "${channel}" is not declared for product ${productId} (it has ${allowed.map((c) => `"${c}"`).join(', ')}): ` +
        `define the topic in the hub console and add it to channels.${productId}.publish in the iotgw config; the reading was not published`,
    );
  }
}
