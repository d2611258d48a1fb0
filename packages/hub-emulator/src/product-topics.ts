import { isValidChannel } from '@iotgw/protocol-tencent';

/**
 * A product's topic list, as the hub's console holds it: every product has `data`, `event` and
 * `control` (`{pid}/{dev}/...`); custom topics are added per product (`user/alarm`). A device
 * publishing on a topic its product does not have is disconnected by the hub; subscribing one is
 * refused.
 */
export const DEFAULT_PRODUCT_TOPICS: readonly string[] = ['data', 'event', 'control'];


/** Why `topics` cannot be a product's custom topic list, or undefined. */
export function productTopicsProblem(topics: unknown): string | undefined {
  if (!Array.isArray(topics)) return 'topics must be an array of topic channels like "user/alarm"';
  for (const topic of topics) {
    if (typeof topic !== 'string' || topic.length > 64 || !isValidChannel(topic)) {
      return `topic ${JSON.stringify(topic)} is not valid: give the levels after "{productId}/{deviceName}/", e.g. "user/alarm" (letters, digits, _ - . : @; no wildcard)`;
    }
  }
  return undefined;
}

/** Undefined when `channel` is in the product's list; else the reason, naming where to add it. */
export function topicListRefusal(productId: string, channel: string, custom: readonly string[]): string | undefined {
  if (DEFAULT_PRODUCT_TOPICS.includes(channel) || custom.includes(channel)) return undefined;
  return `topic ${productId}/{deviceName}/${channel} is not in product ${productId}'s topic list (${[...DEFAULT_PRODUCT_TOPICS, ...custom].join(', ')}): add it as a custom topic in the console`;
}
